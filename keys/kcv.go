package keys

import (
	"crypto/aes"

	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/mac"
)

// CheckValue returns the legacy key check value of a DES or Triple DES key
// (8, 16 or 24 bytes, else ErrKeyLength): the key encrypts 8 zero bytes
// (ANSI X9.24-1:2017 Annex A.2). Callers show the leftmost 3 bytes (6H) or
// all 8 (16H), as payShield's KCV type selects.
func CheckValue(k ClearKey) ([8]byte, error) {
	var kcv [8]byte
	switch k.Len() {
	case 8, 16, 24:
	default:
		return kcv, ErrKeyLength
	}
	b, err := tdes.New(k.Bytes())
	if err != nil {
		return kcv, ErrKeyLength
	}
	b.Encrypt(kcv[:], kcv[:])
	return kcv, nil
}

// AESCheckValue returns the CMAC-based key check value of an AES key (16, 24
// or 32 bytes, else ErrKeyLength): AES-CMAC under the key over 16 zero bytes
// (ANSI X9.24-1:2017 Annex A.3; NIST SP 800-38B). It returns the full 16-byte
// CMAC; callers take the leftmost 3 bytes (X9.24-1 display) or 5 (the
// ANSI X9.143 KC optional block).
func AESCheckValue(k ClearKey) ([]byte, error) {
	switch k.Len() {
	case 16, 24, 32:
	default:
		return nil, ErrKeyLength
	}
	b, err := aes.NewCipher(k.Bytes())
	if err != nil {
		return nil, ErrKeyLength
	}
	var zero [aes.BlockSize]byte
	return mac.CMAC(b, zero[:]), nil
}
