package pin

import (
	"crypto/cipher"
	"testing"
)

// BenchmarkTranslateISO4 measures Translate with format 4 on the source
// side (the ISO-4 translate of CA and CC with format 48): to ISO 0 under a
// TDES key and to format 4 under another AES key (a new random half from
// crypto/rand). Ciphers are built outside the loop; dst is reused.
func BenchmarkTranslateISO4(b *testing.B) {
	p := mustPIN(b, "1234")
	a1 := newKey(b, aesKeyHex, true)
	src, err := EncryptBlock(nil, a1, ISO4, p, testPAN, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		to   Format
		key  cipher.Block
	}{
		{"ISO4toISO0", ISO0, newKey(b, tdesKey2Hex, false)},
		{"ISO4toISO4", ISO4, newKey(b, aesKey2Hex, true)},
	} {
		b.Run(c.name, func(b *testing.B) {
			dst := make([]byte, 0, 32)
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				dst, _, err = Translate(dst[:0], src, a1, ISO4, c.key, c.to, testPAN, nil)
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
