package emv

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/testlog"
)

func TestPANPSNBlock(t *testing.T) {
	for _, c := range []struct {
		pan, psn, want string
	}{
		// Y of EMV 4.3 Book 2 A1.4.1: right-most 16 digits of PAN || PSN.
		{"1234567890123456", "00", "3456789012345600"},
		{"1234567890123456", "", "3456789012345600"},
		{"12345678901234567", "45", "4567890123456745"},
		{"99012345678901234", "45", "1234567890123445"},
		{"123456789012", "01", "0012345678901201"},
		{"1234567890123456789", "12", "6789012345678912"},
	} {
		y, err := PANPSNBlock(c.pan, c.psn)
		if err != nil {
			t.Fatalf("%s/%s: %v", c.pan, c.psn, err)
		}
		if have := strings.ToUpper(hex.EncodeToString(y[:])); have != c.want {
			t.Errorf("%s/%s: have %s, want %s", c.pan, c.psn, have, c.want)
		}
		d, err := PANPSNDigits(y)
		if err != nil || d != c.want {
			t.Errorf("PANPSNDigits: have %s (%v), want %s", d, err, c.want)
		}
	}
	if _, err := PANPSNDigits([8]byte{0x12, 0x3A}); err == nil {
		t.Error("PANPSNDigits accepted a nibble A")
	}
	for _, c := range [][2]string{{"", "00"}, {"1234567", "00"}, {"12345678901234567890", "00"}, {"1234 5678901234", "00"}, {"1234567890123456", "123"}, {"1234567890123456", "x1"}} {
		if _, err := PANPSNBlock(c[0], c[1]); err == nil {
			t.Errorf("PANPSNBlock(%q, %q) accepted", c[0], c[1])
		} else {
			checkErrText(t, err, c[0])
		}
	}
}

// TestDeriveFromBlockMatchesOptionA checks the KQ/KW path (Y off the wire)
// against DeriveICCMK on the shared vector rows (PYEMV kd.py).
func TestDeriveFromBlockMatchesOptionA(t *testing.T) {
	v := loadVectors(t)
	imk := block(t, v.Shared.IMK)
	for _, r := range v.Shared.MKD {
		if r.Option != "A" {
			continue
		}
		y, err := PANPSNBlock(r.PAN, r.PSN)
		if err != nil {
			t.Fatal(err)
		}
		mk, err := DeriveICCMKFromBlock(imk, y)
		if err != nil || keyHex(mk) != r.ICCMK {
			t.Errorf("%s/%s: have %s (%v), want %s", r.PAN, r.PSN, keyHex(mk), err, r.ICCMK)
		}
	}
	if _, err := DeriveICCMKFromBlock(imk, [8]byte{0xAB}); err == nil {
		t.Error("DeriveICCMKFromBlock accepted a non-BCD block")
	}
}

// checkErrText fails if err lacks the package prefix or carries the secret.
func checkErrText(t *testing.T, err error, secret string) {
	t.Helper()
	s := err.Error()
	if !strings.HasPrefix(s, "emv: ") {
		t.Errorf("error %q lacks the emv: prefix", s)
	}
	if len(secret) >= 4 && strings.Contains(s, secret) {
		t.Errorf("error %q carries the input value", s)
	}
}

func TestKeyNeverPrints(t *testing.T) {
	k := Key{0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98}
	keys, err := DeriveKeys(block(t, "0123456789ABCDEFFEDCBA9876543210"), mustProfile(t, "mc-cvn16"), "1234567890123456", "00", [2]byte{0, 1}, [4]byte{})
	if err != nil {
		t.Fatal(err)
	}
	var outs []string
	for _, v := range []any{k, struct{ K Key }{k}, keys, *keys} {
		outs = append(outs, testlog.Renderings(t, v)...)
	}
	for _, s := range outs {
		for _, leak := range []string{"dead", "DEAD", "222", "173"} { // hex and decimal of 0xDE, 0xAD
			if strings.Contains(s, leak) {
				t.Errorf("output %q leaks key material", s)
			}
		}
		if !strings.Contains(s, "REDACTED") {
			t.Errorf("output %q is not redacted", s)
		}
	}
	k.Clear()
	if k != (Key{}) {
		t.Error("Clear left key bytes")
	}
}

func mustProfile(t testing.TB, name string) Profile {
	t.Helper()
	p, ok := LookupProfile(name)
	if !ok {
		t.Fatalf("no profile %s", name)
	}
	return p
}
