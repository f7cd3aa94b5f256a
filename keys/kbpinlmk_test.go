package keys

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// TestKeyBlockPINUnderLMKVectors checks (*KeyBlockLMK).EncryptPIN and
// DecryptPIN against testdata/kb_pin_under_lmk.json, computed by an
// independent Python implementation (testdata/kb_pin_under_lmk_ref.py) of
// the algorithm in kbpinlmk.go (ours; no public vectors exist).
func TestKeyBlockPINUnderLMKVectors(t *testing.T) {
	var f struct {
		Source string
		Cases  []struct {
			LMK      string `json:"lmk"`
			PIN      string `json:"pin"`
			Account  string `json:"account"`
			UnderLMK string `json:"under_lmk"`
		}
	}
	loadJSON(t, "kb_pin_under_lmk.json", &f)
	double, err := NewKeyBlockLMK(mustClear(t, "0123456789ABCDEFFEDCBA9876543210"))
	if err != nil {
		t.Fatal(err)
	}
	lmks := map[string]*KeyBlockLMK{"AES": TestAESKeyBlockLMK(), "TDES": TestTDESKeyBlockLMK(), "TDES2": double}
	seen := map[string]int{}
	for _, c := range f.Cases {
		l := lmks[c.LMK]
		if l == nil {
			t.Fatalf("unknown LMK %q", c.LMK)
		}
		seen[c.LMK]++
		enc, err := l.EncryptPIN([]byte(c.PIN), c.Account)
		if err != nil {
			t.Fatalf("%s EncryptPIN(%s, %s): %v", c.LMK, c.PIN, c.Account, err)
		}
		if string(enc) != c.UnderLMK {
			t.Errorf("%s EncryptPIN(%s, %s) [%s]: have %s, want %s", c.LMK, c.PIN, c.Account, f.Source, enc, c.UnderLMK)
		}
		pin, err := l.DecryptPIN([]byte(c.UnderLMK), c.Account)
		if err != nil || string(pin) != c.PIN {
			t.Errorf("%s DecryptPIN(%s, %s): have %s, %v; want %s", c.LMK, c.UnderLMK, c.Account, pin, err, c.PIN)
		}
	}
	for name := range lmks {
		if seen[name] < 4 {
			t.Errorf("%d vectors for the %s LMK", seen[name], name)
		}
	}
}

func mustClear(t *testing.T, h string) ClearKey {
	t.Helper()
	k, err := NewClearKey(unhex(t, h))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestKeyBlockPINUnderLMKProperties: every length round trips, the PIN
// never shows in place, another account or another LMK does not decrypt it
// (but for the 1-in-10 check digit collision), and bad input gets the
// documented errors.
func TestKeyBlockPINUnderLMKProperties(t *testing.T) {
	aesLMK, tdesLMK := TestAESKeyBlockLMK(), TestTDESKeyBlockLMK()
	r := rand.New(rand.NewPCG(3, 4))
	wrongAcct, wrongLMK, total := 0, 0, 0
	for n := 4; n <= 12; n++ {
		for range 100 {
			pin := randomDigits(r, n)
			acct := string(randomDigits(r, 12))
			enc, err := aesLMK.EncryptPIN(pin, acct)
			if err != nil || len(enc) != n+1 {
				t.Fatalf("EncryptPIN: %q, %v", enc, err)
			}
			for i := range pin {
				if enc[i+1] == pin[i] {
					t.Fatalf("PIN digit %d shows in place", i)
				}
			}
			back, err := aesLMK.DecryptPIN(enc, acct)
			if err != nil || !bytes.Equal(back, pin) {
				t.Fatalf("round trip of a %d-digit PIN failed: %v", n, err)
			}
			total++
			other := string(randomDigits(r, 12))
			if _, err := aesLMK.DecryptPIN(enc, other); errors.Is(err, ErrPINUnderLMK) {
				wrongAcct++
			}
			if _, err := tdesLMK.DecryptPIN(enc, acct); errors.Is(err, ErrPINUnderLMK) {
				wrongLMK++
			}
		}
	}
	// A wrong account or LMK passes only when the check digit matches by
	// chance (1 in 10): demand at least 80% detected.
	if wrongAcct*10 < total*8 || wrongLMK*10 < total*8 {
		t.Errorf("detected %d wrong accounts and %d wrong LMKs of %d", wrongAcct, wrongLMK, total)
	}
	for _, tc := range []struct {
		pin, acct string
		want      error
	}{
		{"123", "123456789012", ErrPINLength},
		{"1234567890123", "123456789012", ErrPINLength},
		{"12a4", "123456789012", ErrPINFormat},
		{"1234", "12345678901", ErrAccount},
		{"1234", "12345678901x", ErrAccount},
	} {
		if _, err := aesLMK.EncryptPIN([]byte(tc.pin), tc.acct); !errors.Is(err, tc.want) {
			t.Errorf("EncryptPIN(%q, %q): %v, want %v", tc.pin, tc.acct, err, tc.want)
		}
	}
	for _, enc := range []string{"1234", "12345678901234", "1234x"} {
		if _, err := aesLMK.DecryptPIN([]byte(enc), "123456789012"); !errors.Is(err, ErrPINUnderLMK) {
			t.Errorf("DecryptPIN(%q): %v, want ErrPINUnderLMK", enc, err)
		}
	}
}
