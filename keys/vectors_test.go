package keys

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/testvec"
)

// loadJSON decodes testdata/name into v.
func loadJSON(t testing.TB, name string, v any) {
	t.Helper()
	testvec.LoadJSON(t, filepath.Join("testdata", name), v)
}

// unhex decodes a vector's hex, which may be split into groups by spaces.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	return testvec.Unhex(t, strings.ReplaceAll(s, " ", ""))
}

func mustKey(t testing.TB, s string) ClearKey {
	t.Helper()
	return testvec.Make(t, strings.ReplaceAll(s, " ", ""), NewClearKey)
}

// TestCheckValueVectors checks the legacy and AES CMAC check values against
// testdata/kcv.json (sources in the file: pyemv, jPOS, TR-31:2018 A.7.2.1,
// X9.143:2021 8.1, openemv/tr31).
func TestCheckValueVectors(t *testing.T) {
	var f struct {
		Groups []struct {
			Source string
			Cases  []struct {
				Key, Alg, KCV, KCV16 string
			}
		}
	}
	loadJSON(t, "kcv.json", &f)
	n := 0
	for _, g := range f.Groups {
		for _, c := range g.Cases {
			n++
			k := mustKey(t, c.Key)
			var have []byte
			switch c.Alg {
			case "tdes", "des":
				kcv, err := CheckValue(k)
				if err != nil {
					t.Fatalf("%s: %v", c.Key, err)
				}
				have = kcv[:]
				if c.KCV16 != "" && !bytes.Equal(have, unhex(t, c.KCV16)) {
					t.Errorf("CheckValue(%s) 16H (%s): have %X, want %s", c.Key, g.Source, have, c.KCV16)
				}
			case "aes-cmac":
				kcv, err := AESCheckValue(k)
				if err != nil {
					t.Fatalf("%s: %v", c.Key, err)
				}
				if len(kcv) != 16 {
					t.Fatalf("AESCheckValue returned %d bytes, want 16", len(kcv))
				}
				have = kcv
			default:
				t.Fatalf("unknown alg %q", c.Alg)
			}
			want := unhex(t, c.KCV)
			if !bytes.Equal(have[:len(want)], want) {
				t.Errorf("check value of %s (%s, %s): have %X, want %s", c.Key, c.Alg, g.Source, have[:len(want)], c.KCV)
			}
		}
	}
	if n < 8 {
		t.Fatalf("only %d KCV vectors loaded", n)
	}
}

// wrapCase is one key under the LMK, valid in both directions.
type wrapCase struct {
	KeyType  string `json:"key_type"`
	Pair     string
	Variant  int
	Scheme   string
	UnderLMK string `json:"under_lmk"`
	Clear    string
	KCV      string
	KCV16    string
	Source   string
}

// scheme returns the case's scheme; an empty Scheme is read from the tag.
func (c wrapCase) scheme(t testing.TB) (Scheme, []byte) {
	t.Helper()
	s := c.Scheme
	if s == "" {
		s = "Z"
		if len(c.UnderLMK)%16 == 1 {
			s = c.UnderLMK[:1]
		}
	}
	var sch Scheme
	switch s {
	case "pair":
		sch = SchemePair
	default:
		var err error
		if sch, err = ParseScheme(s[0]); err != nil || len(s) != 1 {
			t.Fatalf("bad scheme %q in vector", s)
		}
	}
	field := c.UnderLMK
	if p := sch.Prefix(); p != 0 {
		if field[0] != p {
			t.Fatalf("vector %s: field tag %q does not match scheme %s", c.UnderLMK, field[0], sch)
		}
		field = field[1:]
	}
	return sch, unhex(t, field)
}

// checkWrapCase runs one vector through Encrypt, Decrypt and CheckValue.
func checkWrapCase(t *testing.T, l *LMK, c wrapCase) {
	t.Helper()
	kt, err := ParseKeyType(c.KeyType)
	if err != nil {
		t.Fatalf("key type %q: %v", c.KeyType, err)
	}
	s, ct := c.scheme(t)
	clearKey := mustKey(t, c.Clear)

	have, err := l.Encrypt(kt, s, clearKey)
	if err != nil {
		t.Fatalf("Encrypt(%s, %s): %v", kt, s, err)
	}
	if !bytes.Equal(have, ct) {
		t.Errorf("Encrypt(%s, %s, %s) [%s]: have %X, want %s", kt, s, c.Clear, c.Source, have, c.UnderLMK)
	}
	k, err := l.Decrypt(kt, s, ct)
	if err != nil {
		t.Fatalf("Decrypt(%s, %s, %s) [%s]: %v", kt, s, c.UnderLMK, c.Source, err)
	}
	if !bytes.Equal(k.Bytes(), unhex(t, c.Clear)) {
		t.Errorf("Decrypt(%s, %s, %s) [%s]: have %X, want %s", kt, s, c.UnderLMK, c.Source, k.Bytes(), c.Clear)
	}
	checkKCV(t, k, c)
}

func checkKCV(t *testing.T, k ClearKey, c wrapCase) {
	t.Helper()
	if c.KCV == "" && c.KCV16 == "" {
		return
	}
	kcv, err := CheckValue(k)
	if err != nil {
		t.Fatal(err)
	}
	if c.KCV != "" && !bytes.Equal(kcv[:3], unhex(t, c.KCV)) {
		t.Errorf("KCV of %s [%s]: have %X, want %s", c.UnderLMK, c.Source, kcv[:3], c.KCV)
	}
	if c.KCV16 != "" && !bytes.Equal(kcv[:], unhex(t, c.KCV16)) {
		t.Errorf("16H KCV of %s [%s]: have %X, want %s", c.UnderLMK, c.Source, kcv, c.KCV16)
	}
}

// TestVariantLMKVectors runs the variant_lmk group of the shared vectors
// (jPOS JCESecurityModuleTest keys under the test LMK).
func TestVariantLMKVectors(t *testing.T) {
	var f struct {
		Source string
		LMK    string
		Cases  []wrapCase
	}
	loadJSON(t, "variant_lmk.json", &f)
	if f.LMK != "test" || len(f.Cases) < 6 {
		t.Fatalf("unexpected vector file: lmk %q, %d cases", f.LMK, len(f.Cases))
	}
	for _, c := range f.Cases {
		c.Source = f.Source
		t.Run(c.KeyType+"/"+c.UnderLMK, func(t *testing.T) { checkWrapCase(t, TestLMK(), c) })
	}
}

// TestThalesLMKVectors runs testdata/thales_lmk.json: CryptoCarver's external
// vectors for pair 00-01 variants 1 and 2, jPOS keys (DEK, cvkA/cvkB and the
// bare pair they form), ThalesSim's test cryptograms with their clear keys
// and 16H check values, and the derived U cryptograms of the public test key
// for each key type. Sources are named per case.
func TestThalesLMKVectors(t *testing.T) {
	var f struct {
		LMK           string
		Cases         []wrapCase
		LMKCheckValue struct{ Value, Source string } `json:"lmk_check_value"`
	}
	loadJSON(t, "thales_lmk.json", &f)
	if f.LMK != "test" || len(f.Cases) < 20 {
		t.Fatalf("unexpected vector file: lmk %q, %d cases", f.LMK, len(f.Cases))
	}
	l := TestLMK()
	for _, c := range f.Cases {
		name := c.KeyType
		if c.Pair != "" {
			name = c.Pair + "v" + string(rune('0'+c.Variant))
		}
		t.Run(name+"/"+c.UnderLMK, func(t *testing.T) {
			if c.Pair == "" {
				checkWrapCase(t, l, c)
				return
			}
			checkPairVariantCase(t, l, c)
		})
	}
	t.Run("CheckValue", func(t *testing.T) {
		have := l.CheckValue()
		if want := unhex(t, f.LMKCheckValue.Value); !bytes.Equal(have[:], want) {
			t.Errorf("test LMK check value [%s]: have %X, want %X", f.LMKCheckValue.Source, have, want)
		}
	})
}

// checkPairVariantCase checks a vector given for an LMK pair and key-type
// variant that no key type code addresses (pair 00-01).
func checkPairVariantCase(t *testing.T, l *LMK, c wrapCase) {
	t.Helper()
	i, ok := parsePairLabel([]byte(c.Pair))
	if !ok || c.Variant < 0 || c.Variant > 9 {
		t.Fatalf("bad pair %q / variant %d in vector", c.Pair, c.Variant)
	}
	vc := newVariantCiphers(l.s.raw[i], variantBytes[c.Variant])
	s, ct := c.scheme(t)
	b := unhex(t, c.Clear)
	AdjustParity(b)
	vc.apply(s, b, false)
	if !bytes.Equal(b, ct) {
		t.Errorf("encrypt under pair %s variant %d [%s]: have %X, want %s", c.Pair, c.Variant, c.Source, b, c.UnderLMK)
	}
	vc.apply(s, b, true)
	if !bytes.Equal(b, unhex(t, c.Clear)) {
		t.Errorf("decrypt under pair %s variant %d: have %X, want %s", c.Pair, c.Variant, b, c.Clear)
	}
	k := mustKey(t, c.Clear)
	checkKCV(t, k, c)
}

// TestEncryptAdjustsParityOfACopy checks the note of the shared variant_lmk
// vectors: jPOS wraps 1234567812345678... (even parity bytes) as its
// odd-parity form, and Encrypt leaves the caller's key unchanged.
func TestEncryptAdjustsParityOfACopy(t *testing.T) {
	raw := "12345678123456781234567812345678"
	k := mustKey(t, raw)
	have, err := TestLMK().Encrypt(ZPK, SchemeU, k)
	if err != nil {
		t.Fatal(err)
	}
	// jPOS JCESecurityModuleTest "zpk" (payment-crypto.md §8.1).
	if want := unhex(t, "34E2FC8EAD7CD07BFA2B7ED5FE4D8212"); !bytes.Equal(have, want) {
		t.Errorf("Encrypt(001, U, %s): have %X, want %X", raw, have, want)
	}
	if !bytes.Equal(k.Bytes(), unhex(t, raw)) {
		t.Errorf("Encrypt changed the caller's key")
	}
	_, err = TestLMK().Decrypt(ZPK, SchemeU, have)
	if err != nil {
		t.Errorf("Decrypt of the wrapped key: %v", err)
	}
	if errors.Is(err, ErrParity) {
		t.Errorf("wrapped key decrypts with a parity error")
	}
}
