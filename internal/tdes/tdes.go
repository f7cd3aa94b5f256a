// Package tdes builds DES and Triple DES block ciphers from the key lengths
// payment systems use: single (8 bytes), double (16 bytes, K1 K2 K1 as in
// ANSI X9.52 keying option 2) and triple (24 bytes).
package tdes

import (
	"crypto/cipher"
	"crypto/des"
	"fmt"
)

// New returns a 64-bit block cipher for key. A single-length key gives
// plain DES (the same result as Triple DES with K1=K2=K3); a double-length
// key is expanded to K1 K2 K1. The key bytes are not kept.
func New(key []byte) (cipher.Block, error) {
	switch len(key) {
	case 8:
		return des.NewCipher(key)
	case 16:
		var k [24]byte
		copy(k[:], key)
		copy(k[16:], key[:8])
		b, err := des.NewTripleDESCipher(k[:])
		clear(k[:])
		return b, err
	case 24:
		return des.NewTripleDESCipher(key)
	}
	return nil, fmt.Errorf("tdes: invalid key length %d", len(key))
}
