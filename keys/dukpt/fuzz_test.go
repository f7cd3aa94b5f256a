package dukpt

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseKSN checks that neither KSN parser panics, that every error
// wraps one of the KSN sentinels, and that an accepted KSN has a valid
// counter and prints back as its input in upper case.
func FuzzParseKSN(f *testing.F) {
	for _, s := range []string{
		"FFFF9876543210E00001", "ffff9876543210fff800", "FFFF9876543210E00000",
		"FFFF9876543210E007FF", "FFFF9876543210E0000G", "FFFF9876543210E0001",
		"123456789012345600000001", "1234567890123456FFFF0000", "12345678901234560001FFFF",
		"1234567890123456FFFFFFFF", "", "\x00\xff", "FFFF9876543210E0000١",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseKSN(s)
		checkParse(t, s, k.String(), err, k.Check)
		a, err := ParseAESKSN(s)
		checkParse(t, s, a.String(), err, a.Check)
		// The binary forms take the raw bytes: same sentinels, and an
		// accepted KSN is the input.
		if kb, err := KSNFromBytes([]byte(s)); err == nil && string(kb[:]) != s {
			t.Fatalf("KSNFromBytes changed the bytes")
		} else if err != nil && !errors.Is(err, ErrKSNLength) && !errors.Is(err, ErrCounter) {
			t.Fatalf("KSNFromBytes error %v", err)
		}
		if ab, err := AESKSNFromBytes([]byte(s)); err == nil && string(ab[:]) != s {
			t.Fatalf("AESKSNFromBytes changed the bytes")
		} else if err != nil && !errors.Is(err, ErrKSNLength) && !errors.Is(err, ErrCounter) {
			t.Fatalf("AESKSNFromBytes error %v", err)
		}
	})
}

func checkParse(t *testing.T, in, out string, err error, check func() error) {
	t.Helper()
	if err != nil {
		if !errors.Is(err, ErrKSNLength) && !errors.Is(err, ErrKSNHex) && !errors.Is(err, ErrCounter) {
			t.Fatalf("error %v wraps no KSN sentinel", err)
		}
		return
	}
	if out != strings.ToUpper(in) {
		t.Fatalf("accepted %q prints as %q", in, out)
	}
	if err := check(); err != nil {
		t.Fatalf("accepted %q fails Check: %v", in, err)
	}
}
