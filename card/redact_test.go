package card

import (
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/internal/testlog"
)

// TestSecretsRedacted: no way of printing, logging or marshalling a value
// that holds a secret shows it (in either case); each shows the placeholder
// instead.
func TestSecretsRedacted(t *testing.T) {
	aav, _ := ParseAAV(unhex(t, "8C7CA7FBB6058B511401110000002F3547BA1EFF"))
	cavv, _ := ParseCAVV(unhex(t, goCAVV))
	cvk := newCVK(t, "0123456789ABCDEFFEDCBA9876543210")
	for _, tt := range []struct {
		name   string
		values []any
		direct []string // the String and GoString methods
		secret []string // what must not appear
	}{
		// The MAC: its hex, and the decimal bytes of %v and %#v.
		{"AAV MAC", []any{aav, aav.MAC}, []string{aav.MAC.String(), aav.MAC.GoString()}, []string{"3547BA1EFF", "53 71 186", "53,71"}},
		{"CAVV output", []any{cavv}, nil, []string{"972"}},
		// A CVK holds DES key schedules: any pointer or field dump.
		{"CVK", []any{cvk, *cvk}, []string{cvk.String(), cvk.GoString()}, []string{"0x"}},
	} {
		printed := tt.direct
		for _, v := range tt.values {
			printed = append(printed, testlog.Renderings(t, v)...)
		}
		for _, s := range printed {
			if !strings.Contains(s, redact.Placeholder) {
				t.Errorf("%s printed without the placeholder: %s", tt.name, s)
			}
			for _, x := range tt.secret {
				if strings.Contains(strings.ToUpper(s), strings.ToUpper(x)) {
					t.Errorf("%s printed as %s", tt.name, s)
				}
			}
		}
	}
}
