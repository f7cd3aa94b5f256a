package keys

import (
	"strings"
	"testing"
)

// BenchmarkDecryptU unwraps a U-scheme TPK under the test LMK (ThalesSim's
// U8463435FC4B4DAA0C49025272C29B12C): two Triple DES block decryptions, a
// parity check and the ClearKey allocation.
func BenchmarkDecryptU(b *testing.B) {
	l := TestLMK()
	ct := unhex(b, "8463435FC4B4DAA0C49025272C29B12C")
	b.ReportAllocs()
	for b.Loop() {
		k, err := l.Decrypt(TPK, SchemeU, ct)
		if err != nil {
			b.Fatal(err)
		}
		k.Destroy()
	}
}

// BenchmarkEncryptU wraps a double-length key in scheme U.
func BenchmarkEncryptU(b *testing.B) {
	l := TestLMK()
	k := mustKey(b, "D3DCC7EA9BCB755D254620B376B3D007")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Encrypt(TPK, SchemeU, k); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecryptPIN decrypts a 4-digit PIN under the LMK (JG, NG).
func BenchmarkDecryptPIN(b *testing.B) {
	l := TestLMK()
	enc := []byte("88485")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.DecryptPIN(enc, "550000025321"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncryptPIN encrypts a 4-digit PIN under the LMK (JE, BA).
func BenchmarkEncryptPIN(b *testing.B) {
	l := TestLMK()
	pin := []byte("1234")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.EncryptPIN(pin, "550000025321"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseLMK measures loading an LMK file, which precomputes every
// key schedule (a start-up cost, paid once per simulator).
func BenchmarkParseLMK(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseLMK(strings.NewReader(testLMKFile)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckValue computes a TDES KCV (includes the key schedule).
func BenchmarkCheckValue(b *testing.B) {
	k := mustKey(b, "0123456789ABCDEFFEDCBA9876543210")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CheckValue(k); err != nil {
			b.Fatal(err)
		}
	}
}
