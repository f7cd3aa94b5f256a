package pin

import (
	"crypto/cipher"
	"io"
)

// This file gives ISO 9564-1:2017 format 4 its two steps one at a time, for
// callers that hold a plaintext PIN field rather than a PIN: an AES-DUKPT
// PIN path, a simulator that reports which step failed, a test that checks
// the intermediates of a published example. EncryptBlock, DecryptBlock and
// Translate do the same in one call.

// ISO4PANField returns the format 4 plaintext PAN field of pan: the nibble
// M = len(pan)-12 (0 when the PAN has 12 digits or fewer), the PAN (right-
// justified in 12 digits with leading zeros when shorter), then zero
// nibbles to 16 bytes. pan has 1 to 19 decimal digits; anything else gives
// an error wrapping ErrAccount.
func ISO4PANField(pan string) ([16]byte, error) {
	return panField(pan)
}

// ISO4PINField returns the format 4 plaintext PIN field of p: the nibbles
// 4, the PIN length, the PIN digits and A fill to 8 bytes, then 8 random
// bytes read from rnd (nil means crypto/rand). Errors wrap ErrPINLength,
// or are rnd's.
func ISO4PINField(p PIN, rnd io.Reader) ([16]byte, error) {
	var f [16]byte
	if err := checkPIN(&p); err != nil {
		return f, err
	}
	var bd binding
	if err := encodeInto(f[:], nil, ISO4, &p, &bd, rnd); err != nil {
		return f, err
	}
	return f, nil
}

// DecodeISO4PINField returns the PIN of a format 4 plaintext PIN field,
// checking the control nibble 4, a length of 4 to 12 and the A fill of the
// first 8 bytes (the last 8 are random and not checked). Errors wrap
// ErrInvalidBlock or ErrPINLength.
func DecodeISO4PINField(field [16]byte) (PIN, error) {
	var bd binding
	p, err := decodeClear(ISO4, &field, &bd)
	clear(field[:])
	return p, err
}

// EncipherISO4 enciphers a format 4 plaintext PIN field under key (AES) in
// the two steps of ISO 9564-1: A = E(PIN field), B = A XOR PAN field,
// block = E(B). pan is as for ISO4PANField. Errors wrap ErrKey (key is not
// a 128-bit block cipher) or ErrAccount. The field is not checked: a caller
// that has a PIN uses EncryptBlock.
func EncipherISO4(key cipher.Block, field [16]byte, pan string) ([16]byte, error) {
	if err := checkKey(key, ISO4); err != nil {
		return [16]byte{}, err
	}
	bd, err := bind(ISO4, pan, false)
	if err != nil {
		return [16]byte{}, err
	}
	buf := new([16]byte) // the cipher may retain what it is given
	*buf = field
	encipher(key, ISO4, buf[:], &bd)
	out := *buf
	clear(buf[:])
	return out, nil
}

// DecipherISO4 undoes EncipherISO4: B = D(block), A = B XOR PAN field, PIN
// field = D(A). It returns the plaintext PIN field without checking it
// (DecodeISO4PINField does), so that a caller can tell a block under the
// wrong key (the field does not start with 4 and an A-filled PIN) from one
// that decodes. Errors wrap ErrKey, ErrAccount, or ErrInvalidBlock when
// block is not 16 bytes.
func DecipherISO4(key cipher.Block, block []byte, pan string) ([16]byte, error) {
	if err := checkKey(key, ISO4); err != nil {
		return [16]byte{}, err
	}
	if len(block) != 16 {
		return [16]byte{}, errBlockLength
	}
	bd, err := bind(ISO4, pan, false)
	if err != nil {
		return [16]byte{}, err
	}
	buf := new([16]byte)
	copy(buf[:], block)
	decipher(key, ISO4, buf[:], &bd)
	out := *buf
	clear(buf[:])
	return out, nil
}
