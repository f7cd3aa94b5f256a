package keys

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// FuzzParseLMK checks that ParseLMK never panics, that every error is an
// *LMKFileError, and that an accepted file round-trips: writing its pairs
// back out in the canonical form parses to the same LMK.
func FuzzParseLMK(f *testing.F) {
	f.Add([]byte(testLMKFile))
	f.Add([]byte(strings.ToLower(testLMKFile)))
	f.Add([]byte(strings.ReplaceAll(testLMKFile, "\n", " # c\r\n")))
	f.Add([]byte(replaceLine(8, "")))
	f.Add([]byte(replaceLine(5, "08-09 80808080808080G0 9191919191919191")))
	f.Add([]byte(replaceLine(10, "18-19 0101010101010101 0101010101010100")))
	f.Add([]byte(testLMKFile + testLMKLines()[3] + "\n"))
	f.Add([]byte("00-01 0101010101010101 7902CD1FD36EF8BA"))
	f.Add([]byte("#\n\n\t \r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseLMK(bytes.NewReader(data))
		if err != nil {
			var fe *LMKFileError
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "keys: LMK file") {
				t.Fatalf("error %v is not an *LMKFileError", err)
			}
			return
		}
		var canon strings.Builder
		for i, p := range l.s.raw {
			canon.WriteString(pairLabel(i) + " " + strings.ToUpper(hex.EncodeToString(p[:8])) + " " + strings.ToUpper(hex.EncodeToString(p[8:])) + "\n")
		}
		again, err := ParseLMK(strings.NewReader(canon.String()))
		if err != nil {
			t.Fatalf("canonical form of an accepted file does not parse: %v", err)
		}
		if *again.s.raw != *l.s.raw || again.CheckValue() != l.CheckValue() {
			t.Fatalf("canonical form parses to another LMK")
		}
	})
}

// FuzzDecryptPIN checks that DecryptPIN never panics and that a value it
// accepts is exactly what EncryptPIN makes of the PIN it returns.
func FuzzDecryptPIN(f *testing.F) {
	f.Add([]byte("88485"), "550000025321")
	f.Add([]byte("8331535423336"), "550000025321")
	f.Add([]byte("02485"), "550000025321")
	f.Add([]byte("1234"), "55000002532")
	f.Add([]byte("88A85"), "550000025321")
	l := TestLMK()
	f.Fuzz(func(t *testing.T, enc []byte, account string) {
		pin, err := l.DecryptPIN(enc, account)
		if err != nil {
			if !errors.Is(err, ErrPINUnderLMK) && !errors.Is(err, ErrAccount) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		again, err := l.EncryptPIN(pin, account)
		if err != nil || !bytes.Equal(again, enc) {
			t.Fatalf("accepted value does not round-trip: %v", err)
		}
	})
}

// FuzzParseKeyType checks that an accepted key type prints back as its
// input in upper case.
func FuzzParseKeyType(f *testing.F) {
	for _, s := range []string{"000", "402", "00a", "10C", "FFF", "0F0", "99E"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kt, err := ParseKeyType(s)
		if err != nil {
			return
		}
		if kt.String() != strings.ToUpper(s) || kt.LMKPair() < 2 || kt.LMKPair() >= NumPairs {
			t.Fatalf("ParseKeyType(%q) = %v (pair %d)", s, kt, kt.LMKPair())
		}
	})
}

// FuzzParseAnyLMK checks that ParseAnyLMK never panics, that its errors are
// *LMKFileError values, and that an accepted file gives exactly one LMK.
func FuzzParseAnyLMK(f *testing.F) {
	f.Add([]byte(testAESKBLMKFile))
	f.Add([]byte(testTDESKBLMKFile))
	f.Add([]byte(testLMKFile))
	f.Add([]byte("key-block TDES 0023456789ABCDEF8080808080808080"))
	f.Add([]byte("key-block AES 00\nkey-block AES 11"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ParseAnyLMK(bytes.NewReader(data))
		if err != nil {
			var fe *LMKFileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not an *LMKFileError", err)
			}
			return
		}
		if (a.Variant == nil) == (a.KeyBlock == nil) {
			t.Fatalf("accepted file gives %v variant and %v key-block LMK", a.Variant != nil, a.KeyBlock != nil)
		}
		_ = a.CheckValue()
	})
}
