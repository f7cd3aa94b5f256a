package pin

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/internal/testvec"
)

func unhex(t testing.TB, s string) []byte { return testvec.Unhex(t, s) }

func loadJSON(t testing.TB, name string, v any) {
	t.Helper()
	testvec.LoadJSON(t, filepath.Join("testdata", name), v)
}

// newKey returns a TDES cipher for an 8/16/24-byte key and AES for 32 hex
// digits when aesKey is set.
func newKey(t testing.TB, keyHex string, aesKey bool) cipher.Block {
	t.Helper()
	k := unhex(t, keyHex)
	var c cipher.Block
	var err error
	if aesKey {
		c, err = aes.NewCipher(k)
	} else {
		c, err = tdes.New(k)
	}
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// keyFor returns the cipher a format uses for keyHex.
func keyFor(t testing.TB, f Format, keyHex string) cipher.Block {
	return newKey(t, keyHex, f == ISO4)
}

func mustPIN(t testing.TB, s string) PIN {
	t.Helper()
	p, err := ParsePIN(s)
	if err != nil {
		t.Fatalf("ParsePIN(%q): %v", s, err)
	}
	return p
}

func mustFormat(t testing.TB, name string) Format {
	t.Helper()
	f, err := ParseFormat(name)
	if err != nil {
		t.Fatalf("ParseFormat(%q): %v", name, err)
	}
	return f
}

func digits(p PIN) string { return string(p.AppendDigits(nil)) }

// cycleReader reads its bytes over and over: a deterministic random source.
type cycleReader struct {
	b []byte
	i int
}

func (r *cycleReader) Read(p []byte) (int, error) {
	for n := range p {
		p[n] = r.b[r.i%len(r.b)]
		r.i++
	}
	return len(p), nil
}

func fixedRand(b ...byte) *cycleReader { return &cycleReader{b: b} }

// hexUpper formats b as upper-case hex, as the vectors are written.
func hexUpper(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

// accountArg returns the account argument a vector's format takes: the
// 12-digit account field for ISO0/ISO3 (given, or from the PAN), the PAN for
// ISO4, and whatever is given otherwise.
func accountArg(t testing.TB, f Format, account, pan string) string {
	t.Helper()
	switch {
	case f == ISO4:
		return pan
	case account != "":
		return account
	case pan != "" && (f == ISO0 || f == ISO3):
		a, err := AccountFromPAN(pan)
		if err != nil {
			t.Fatalf("AccountFromPAN: %v", err)
		}
		return a
	}
	return pan
}
