package tdes

import (
	"bytes"
	"encoding/hex"
	"testing"
)

func unhex(s string) []byte { b, _ := hex.DecodeString(s); return b }

// Key check values (encrypt eight zero bytes): ANSI X9.24-1:2017 A.2 method,
// values from jPOS JCESecurityModuleTest (6FB1C8, AAB151) and pyemv tools.py
// (08D7B4).
func TestNewKCV(t *testing.T) {
	tests := []struct{ key, kcv string }{
		{"0123456789ABCDEFFEDCBA9876543210", "08D7B4"},
		{"12345678123456781234567812345678", "6FB1C8"},
		{"8765432187654321", "AAB151"},
		{"0123456789ABCDEFFEDCBA98765432100123456789ABCDEF", "08D7B4"},
	}
	for _, tt := range tests {
		b, err := New(unhex(tt.key))
		if err != nil {
			t.Fatal(err)
		}
		out := make([]byte, 8)
		b.Encrypt(out, make([]byte, 8))
		if have := out[:3]; !bytes.Equal(have, unhex(tt.kcv)) {
			t.Errorf("KCV(%d-byte key): have %X, want %s", len(tt.key)/2, have, tt.kcv)
		}
	}
}

func TestNewRejectsBadLength(t *testing.T) {
	for _, n := range []int{0, 7, 9, 15, 17, 32} {
		if _, err := New(make([]byte, n)); err == nil {
			t.Errorf("New(%d bytes): no error", n)
		}
	}
}
