package redact

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/testlog"
)

func TestStringNeverPrints(t *testing.T) {
	const v = "1234567890ABCDEF"
	s := String(v)
	for _, out := range append(testlog.Renderings(t, s), testlog.Renderings(t, struct{ V String }{s})...) {
		if strings.Contains(out, v) || strings.Contains(out, "31323334") {
			t.Errorf("printed the secret: %s", out)
		}
	}
	var back struct{ V String }
	if err := json.Unmarshal([]byte(`{"V":"`+v+`"}`), &back); err != nil || back.V.Reveal() != v {
		t.Errorf("unmarshal: have %q, %v", back.V.Reveal(), err)
	}
}

func TestMaskPAN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"4123456789012345", "412345******2345"},
		{"5544332211009966123", "554433*********6123"},
		{"12345678901", "123456*8901"},
		{"1234567890", "**********"},
		{"", ""},
	}
	for _, tt := range tests {
		if have := MaskPAN(tt.in); have != tt.want {
			t.Errorf("MaskPAN(%s): have %s, want %s", tt.in, have, tt.want)
		}
	}
}
