package keys

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/internal/testlog"
)

const (
	testAESKBLMKHex  = "9B71333A13F9FAE72F9D0E2DAB4AD6784718012F9244033F3F26A2DE0C8AA11A"
	testTDESKBLMKHex = "0123456789ABCDEF8080808080808080FEDCBA9876543210"
)

func TestKeyBlockLMKs(t *testing.T) {
	for _, c := range []struct {
		l        *KeyBlockLMK
		hex      string
		ver, alg byte
	}{{TestAESKeyBlockLMK(), testAESKBLMKHex, '1', 'A'}, {TestTDESKeyBlockLMK(), testTDESKBLMKHex, '0', 'T'}} {
		if !bytes.Equal(c.l.Key().Bytes(), unhex(t, c.hex)) || c.l.Version() != c.ver || c.l.Algorithm() != c.alg {
			t.Errorf("test LMK %c: key, version %c or algorithm %c wrong", c.ver, c.l.Version(), c.l.Algorithm())
		}
		// The NC check value is the key check value of the LMK key:
		// legacy for TDES, CMAC for AES (both checked against public
		// vectors in kcv_test.go / vectors_test.go).
		var want []byte
		if c.alg == 'A' {
			want, _ = AESCheckValue(c.l.Key())
		} else {
			kcv, _ := CheckValue(c.l.Key())
			want = kcv[:]
		}
		if have := c.l.CheckValue(); !bytes.Equal(have[:], want[:8]) {
			t.Errorf("check value %X, want %X", have, want[:8])
		}
		if (AnyLMK{KeyBlock: c.l}).CheckValue() != c.l.CheckValue() {
			t.Error("AnyLMK.CheckValue differs")
		}
	}
	if a, b := TestAESKeyBlockLMK(), TestAESKeyBlockLMK(); a != b {
		t.Error("TestAESKeyBlockLMK is not one LMK")
	}
}

func TestNewKeyBlockLMKErrors(t *testing.T) {
	if _, err := NewKeyBlockLMK(mustKey(t, "0123456789ABCDEF")); !errors.Is(err, ErrKeyLength) {
		t.Errorf("8-byte LMK: %v", err)
	}
	if _, err := NewKeyBlockLMK(mustKey(t, "0023456789ABCDEF8080808080808080")); !errors.Is(err, ErrParity) {
		t.Errorf("even parity TDES LMK: %v", err)
	}
	if _, err := NewKeyBlockLMK(ClearKey{}); !errors.Is(err, ErrKeyLength) {
		t.Errorf("zero key: %v", err)
	}
	k := mustKey(t, testAESKBLMKHex)
	l, err := NewKeyBlockLMK(k)
	if err != nil {
		t.Fatal(err)
	}
	k.Destroy()
	if l.Key().Len() != 32 {
		t.Error("NewKeyBlockLMK did not copy its key")
	}
}

func TestKeyBlockLMKRedacts(t *testing.T) {
	l := TestAESKeyBlockLMK()
	type holder struct{ l *KeyBlockLMK }
	printed := append(testlog.Renderings(t, l), testlog.Renderings(t, holder{l})...)
	for _, s := range append(printed, testlog.Renderings(t, *l)...) {
		if strings.Contains(strings.ToUpper(s), "9B71333A") || strings.Contains(s, "\x9b\x71") {
			t.Errorf("LMK printed: %q", s)
		}
	}
	if fmt.Sprint(l) != redact.Placeholder {
		t.Errorf("Sprint: %s", fmt.Sprint(l))
	}
}

func TestParseAnyLMK(t *testing.T) {
	good := map[string]string{
		"AES":          "key-block AES " + testAESKBLMKHex + "\n",
		"AES groups":   "# c\n\n  KEY-BLOCK aes 9B71333A13F9FAE7 2F9D0E2DAB4AD678 4718012F9244033F 3F26A2DE0C8AA11A # trailing\r\n\n",
		"TDES":         "key-block TDES " + testTDESKBLMKHex,
		"3DES lower":   "key-block 3des " + strings.ToLower(testTDESKBLMKHex),
		"built-in AES": testAESKBLMKFile,
	}
	for name, file := range good {
		a, err := ParseAnyLMK(strings.NewReader(file))
		if err != nil || a.KeyBlock == nil || a.Variant != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		want := TestAESKeyBlockLMK()
		if strings.Contains(strings.ToUpper(name), "DES") {
			want = TestTDESKeyBlockLMK()
		}
		if a.CheckValue() != want.CheckValue() {
			t.Errorf("%s: check value %X", name, a.CheckValue())
		}
	}
	// A variant LMK file still parses, to the same LMK as ParseLMK gives.
	a, err := ParseAnyLMK(strings.NewReader("# variant\n" + testLMKFile))
	if err != nil || a.Variant == nil || a.KeyBlock != nil || a.CheckValue() != TestLMK().CheckValue() {
		t.Errorf("variant file: %v", err)
	}

	bad := []struct {
		name, file string
		line       int
		reason     string
		parity     bool
	}{
		{"empty", "", 0, "no LMK", false},
		{"comments only", "# x\n\n", 0, "no LMK", false},
		{"two lines", "key-block AES " + testAESKBLMKHex + "\nkey-block AES " + testAESKBLMKHex, 2, "one key-block line only", false},
		{"then a pair", "key-block AES " + testAESKBLMKHex + "\n00-01 0101010101010101 7902CD1FD36EF8BA", 2, "one key-block line only", false},
		{"no key", "key-block AES", 1, "want key-block", false},
		{"bad algorithm", "key-block DES " + testTDESKBLMKHex, 1, "not TDES or AES", false},
		{"AES short", "key-block AES " + testAESKBLMKHex[:32], 1, "not 64 hex digits", false},
		{"TDES 64", "key-block TDES " + testAESKBLMKHex, 1, "not 32 or 48 hex digits", false},
		{"not hex", "key-block AES " + strings.Replace(testAESKBLMKHex, "9B", "9G", 1), 1, "not hex", false},
		{"parity", "key-block TDES 0023456789ABCDEF8080808080808080", 1, "odd parity", true},
		{"variant error stays", "00-01 0101010101010101", 1, "want 3 fields", false},
	}
	for _, tc := range bad {
		_, err := ParseAnyLMK(strings.NewReader(tc.file))
		var fe *LMKFileError
		if !errors.As(err, &fe) || fe.Line != tc.line || !strings.Contains(fe.Reason, tc.reason) {
			t.Errorf("%s: %v, want line %d reason %q", tc.name, err, tc.line, tc.reason)
			continue
		}
		if errors.Is(err, ErrParity) != tc.parity {
			t.Errorf("%s: parity %v", tc.name, !tc.parity)
		}
		for _, secret := range []string{"9B71", "0123", "0023", "8080"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error %q carries key material", tc.name, err)
			}
		}
	}
}
