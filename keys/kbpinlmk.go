package keys

import (
	"crypto/aes"
	"crypto/cipher"

	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/mac"
)

// A PIN under a key-block LMK (JE, JG; docs/spec/hostcmd-keyblocks.md §9)
// is ours: no public source says how payShield encrypts a PIN under a
// key-block LMK. It is the variant LMK's algorithm (EncryptPIN) under a PIN
// key derived from the LMK, so that the LMK key itself only ever protects
// key blocks.

// pinKeyUsage is the key usage indicator of the PIN key's derivation data:
// "PI", a value TR-31's derivation (0000 encryption, 0001 MAC) never uses.
const pinKeyUsage = 0x5049

// derivePINCipher returns the PIN cipher of a key-block LMK key: the
// TR-31:2018 key derivation (CMAC under the LMK, as for the key block
// encryption key of versions B and D) with key usage indicator "PI". The
// derivation data of block i (from 1) is: i, 50 49, 00, the algorithm (0000
// double-length TDES, 0001 triple-length, 0004 AES-256), the key length in
// bits (2 bytes). A Triple DES LMK gives a Triple DES PIN key of its length
// (8-byte blocks), an AES-256 LMK an AES-256 PIN key (16-byte blocks).
func derivePINCipher(lmk []byte) (cipher.Block, error) {
	var c cipher.Block
	var alg uint16
	var err error
	switch len(lmk) {
	case 16:
		c, err = tdes.New(lmk)
	case 24:
		c, err = tdes.New(lmk)
		alg = 1
	case 32:
		c, err = aes.NewCipher(lmk)
		alg = 4
	default:
		return nil, ErrKeyLength
	}
	if err != nil {
		return nil, err
	}
	bits := uint16(len(lmk) * 8)
	k := make([]byte, 0, len(lmk)+aes.BlockSize)
	for i := byte(1); len(k) < len(lmk); i++ {
		data := [8]byte{i, pinKeyUsage >> 8, pinKeyUsage & 0xFF, 0, byte(alg >> 8), byte(alg), byte(bits >> 8), byte(bits)}
		k = append(k, mac.CMAC(c, data[:])...)
	}
	defer clear(k)
	if len(lmk) == 32 {
		return aes.NewCipher(k)
	}
	return tdes.New(k[:len(lmk)])
}

// EncryptPIN encrypts a clear PIN under the key-block LMK, bound to the
// 12-digit account field, and returns the "PIN under LMK" of JE and JG:
// len(pin)+1 ASCII digits. The algorithm is (*LMK).EncryptPIN's with the
// LMK's PIN key (derivePINCipher) in place of pair 02-03; under an AES LMK
// the blocks T and P of that algorithm are 16 bytes, their nibbles F-padded
// to 32 (ours). Errors: ErrPINLength, ErrPINFormat, ErrAccount.
func (l *KeyBlockLMK) EncryptPIN(pin []byte, account string) ([]byte, error) {
	return encryptPIN(l.s.pin, pin, account)
}

// DecryptPIN reverses EncryptPIN, as (*LMK).DecryptPIN does: a value that
// does not decrypt under this LMK and account gives ErrPINUnderLMK.
func (l *KeyBlockLMK) DecryptPIN(enc []byte, account string) ([]byte, error) {
	return decryptPIN(l.s.pin, enc, account)
}
