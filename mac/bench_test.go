package mac

import (
	"crypto/aes"
	"testing"
)

// BenchmarkRetailMAC measures MAC algorithm 3 over a typical EMV ARQC input
// (43 bytes of CDOL data, padding method 2) with a prepared key schedule.
func BenchmarkRetailMAC(b *testing.B) {
	r, _ := NewRetail(make([]byte, 16))
	msg := make([]byte, 43)
	dst := make([]byte, 0, RetailSize)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.MAC(dst, msg, PaddingMethod2); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewRetail measures building the two DES key schedules.
func BenchmarkNewRetail(b *testing.B) {
	key := make([]byte, 16)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewRetail(key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCMAC measures AES-128 CMAC over 64 bytes (SP 800-38B D.1 M64).
func BenchmarkCMAC(b *testing.B) {
	c, _ := aes.NewCipher(make([]byte, 16))
	msg := make([]byte, 64)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		CMAC(c, msg)
	}
}
