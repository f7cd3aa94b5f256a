package keys

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestPINUnderLMKVectors checks EncryptPIN and DecryptPIN against
// testdata/pin_under_lmk.json, computed by an independent Python
// implementation (testdata/pin_under_lmk_ref.py) of the algorithm in
// EncryptPIN's doc comment (ours; no public vectors exist).
func TestPINUnderLMKVectors(t *testing.T) {
	var f struct {
		Source string
		Cases  []struct {
			PIN      string `json:"pin"`
			Account  string `json:"account"`
			UnderLMK string `json:"under_lmk"`
		}
	}
	loadJSON(t, "pin_under_lmk.json", &f)
	if len(f.Cases) < 9 {
		t.Fatalf("%d vectors", len(f.Cases))
	}
	l := TestLMK()
	for _, c := range f.Cases {
		enc, err := l.EncryptPIN([]byte(c.PIN), c.Account)
		if err != nil {
			t.Fatalf("EncryptPIN(%s, %s): %v", c.PIN, c.Account, err)
		}
		if string(enc) != c.UnderLMK {
			t.Errorf("EncryptPIN(%s, %s) [%s]: have %s, want %s", c.PIN, c.Account, f.Source, enc, c.UnderLMK)
		}
		pin, err := l.DecryptPIN([]byte(c.UnderLMK), c.Account)
		if err != nil || string(pin) != c.PIN {
			t.Errorf("DecryptPIN(%s, %s): have %s, %v; want %s", c.UnderLMK, c.Account, pin, err, c.PIN)
		}
	}
}

func randomDigits(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0' + byte(r.IntN(10))
	}
	return b
}

func TestPINUnderLMKRoundTripEveryLength(t *testing.T) {
	l := TestLMK()
	r := rand.New(rand.NewPCG(1, 2))
	for n := 4; n <= 12; n++ {
		for range 200 {
			pin := randomDigits(r, n)
			acct := string(randomDigits(r, 12))
			enc, err := l.EncryptPIN(pin, acct)
			if err != nil {
				t.Fatalf("EncryptPIN(%d digits): %v", n, err)
			}
			if len(enc) != n+1 || !allDigits(enc) {
				t.Fatalf("EncryptPIN(%d digits) gave %d characters, digits only: %v", n, len(enc), allDigits(enc))
			}
			if bytes.Equal(enc, pin) || bytes.Contains(enc[1:], pin) {
				t.Fatalf("EncryptPIN shows the clear PIN")
			}
			for i := range pin {
				if enc[i+1] == pin[i] {
					t.Fatalf("EncryptPIN kept PIN digit %d in place", i)
				}
			}
			back, err := l.DecryptPIN(enc, acct)
			if err != nil || !bytes.Equal(back, pin) {
				t.Fatalf("round trip of a %d-digit PIN: err %v, equal %v", n, err, bytes.Equal(back, pin))
			}
		}
	}
}

// TestPINUnderLMKDetectsWrongAccount: with one check digit, a wrong account
// passes by chance about 1 time in 10.
func TestPINUnderLMKDetectsWrongAccount(t *testing.T) {
	l := TestLMK()
	r := rand.New(rand.NewPCG(3, 4))
	const trials = 2000
	detected := 0
	for range trials {
		pin := randomDigits(r, 4+r.IntN(9))
		acct := randomDigits(r, 12)
		enc, _ := l.EncryptPIN(pin, string(acct))
		other := bytes.Clone(acct)
		other[r.IntN(12)] = '0' + byte((int(acct[0]-'0')+1+r.IntN(9))%10)
		if bytes.Equal(other, acct) {
			other[0] = '0' + (acct[0]-'0'+1)%10
		}
		if _, err := l.DecryptPIN(enc, string(other)); errors.Is(err, ErrPINUnderLMK) {
			detected++
		} else if err != nil {
			t.Fatalf("DecryptPIN: unexpected error %v", err)
		}
	}
	if detected < trials*8/10 {
		t.Errorf("wrong account detected %d of %d times, want at least 80%%", detected, trials)
	}
	t.Logf("wrong account detected %d of %d", detected, trials)
}

// TestPINUnderLMKDetectsGarbling changes one digit: always detected at the
// check digit, about 9 times in 10 elsewhere.
func TestPINUnderLMKDetectsGarbling(t *testing.T) {
	l := TestLMK()
	r := rand.New(rand.NewPCG(5, 6))
	const trials = 2000
	detected, total := 0, 0
	for range trials {
		pin := randomDigits(r, 4+r.IntN(9))
		acct := string(randomDigits(r, 12))
		enc, _ := l.EncryptPIN(pin, acct)
		i := r.IntN(len(enc))
		bad := bytes.Clone(enc)
		bad[i] = '0' + (bad[i]-'0'+1+byte(r.IntN(9)))%10
		_, err := l.DecryptPIN(bad, acct)
		if i == 0 && !errors.Is(err, ErrPINUnderLMK) {
			t.Fatalf("a changed check digit was not detected")
		}
		total++
		if errors.Is(err, ErrPINUnderLMK) {
			detected++
		}
	}
	if detected < total*8/10 {
		t.Errorf("garbled value detected %d of %d times, want at least 80%%", detected, total)
	}
	t.Logf("garbled value detected %d of %d", detected, total)
}

// TestPINUnderLMKIsBoundToTheLMK: another LMK does not decrypt the value.
func TestPINUnderLMKIsBoundToTheLMK(t *testing.T) {
	other, err := ParseLMK(strings.NewReader(strings.Replace(testLMKFile, "02-03 2020202020202020", "02-03 2020202020202023", 1)))
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	same := 0
	for range 200 {
		pin := randomDigits(r, 4)
		acct := string(randomDigits(r, 12))
		a, _ := TestLMK().EncryptPIN(pin, acct)
		b, _ := other.EncryptPIN(pin, acct)
		if bytes.Equal(a, b) {
			same++
		}
	}
	if same > 20 {
		t.Errorf("%d of 200 PINs encrypt the same under two LMKs", same)
	}
}

func TestPINUnderLMKErrors(t *testing.T) {
	l := TestLMK()
	const acct = "550000025321"
	encErrs := []struct {
		pin, acct string
		want      error
	}{
		{"123", acct, ErrPINLength},
		{"1234567890123", acct, ErrPINLength},
		{"", acct, ErrPINLength},
		{"12a4", acct, ErrPINFormat},
		{"123F", acct, ErrPINFormat},
		{"12 4", acct, ErrPINFormat},
		{"1234", "55000002532", ErrAccount},
		{"1234", "5500000253210", ErrAccount},
		{"1234", "55000002532X", ErrAccount},
		{"1234", "", ErrAccount},
	}
	for _, tc := range encErrs {
		enc, err := l.EncryptPIN([]byte(tc.pin), tc.acct)
		if !errors.Is(err, tc.want) || enc != nil {
			t.Errorf("EncryptPIN(%q, %q): err %v, want %v", tc.pin, tc.acct, err, tc.want)
		}
		if err != nil && (strings.Contains(err.Error(), tc.pin) && tc.pin != "" || !strings.HasPrefix(err.Error(), "keys: ")) {
			t.Errorf("error %q carries the PIN or lacks the prefix", err)
		}
	}
	decErrs := []struct {
		enc, acct string
		want      error
	}{
		{"1234", acct, ErrPINUnderLMK},
		{"12345678901234", acct, ErrPINUnderLMK},
		{"", acct, ErrPINUnderLMK},
		{"8848A", acct, ErrPINUnderLMK},
		{"88485", "55000002532", ErrAccount},
		{"88485", "5500000253a1", ErrAccount},
	}
	for _, tc := range decErrs {
		pin, err := l.DecryptPIN([]byte(tc.enc), tc.acct)
		if !errors.Is(err, tc.want) || pin != nil {
			t.Errorf("DecryptPIN(%q, %q): err %v, want %v", tc.enc, tc.acct, err, tc.want)
		}
	}
}
