package dukpt

import (
	"crypto/aes"
	"encoding/binary"
	"fmt"

	"github.com/payhsm/payhsm-gw/keys"
)

// KeyType is the type of an AES DUKPT working key: its algorithm and
// length, which go into the derivation data (ANSI X9.24-3:2017 6.2.1,
// 6.3.2 table 3).
type KeyType int

// The key types X9.24-3:2017 lists. The HMAC types are keys for
// HMAC-SHA-256 of the length named.
const (
	TDES2 KeyType = iota // double-length TDEA (2TDEA), 16 bytes
	TDES3                // triple-length TDEA (3TDEA), 24 bytes
	AES128
	AES192
	AES256
	HMAC128
	HMAC192
	HMAC256
)

var keyTypeInfo = [...]struct {
	name string
	alg  uint16 // algorithm indicator
	bits uint16 // key length in bits
}{
	TDES2:   {"2TDEA", 0x0000, 128},
	TDES3:   {"3TDEA", 0x0001, 192},
	AES128:  {"AES-128", 0x0002, 128},
	AES192:  {"AES-192", 0x0003, 192},
	AES256:  {"AES-256", 0x0004, 256},
	HMAC128: {"HMAC-128", 0x0005, 128},
	HMAC192: {"HMAC-192", 0x0005, 192},
	HMAC256: {"HMAC-256", 0x0005, 256},
}

func (t KeyType) valid() bool { return t >= TDES2 && t <= HMAC256 }

// String returns the type's name ("2TDEA", "AES-128", "HMAC-256" ...).
func (t KeyType) String() string {
	if !t.valid() {
		return fmt.Sprintf("KeyType(%d)", int(t))
	}
	return keyTypeInfo[t].name
}

// Len returns the key length in bytes (0 for an invalid type).
func (t KeyType) Len() int {
	if !t.valid() {
		return 0
	}
	return int(keyTypeInfo[t].bits) / 8
}

// strength is the security strength in bits X9.24-3 compares: a working
// key may not be stronger than the key it is derived from. TDEA keys
// (at most 112 bits) are weaker than any AES derivation key.
func (t KeyType) strength() int {
	switch t {
	case TDES2:
		return 80
	case TDES3:
		return 112
	}
	return t.Len() * 8
}

// Usage is the key usage indicator of AES DUKPT derivation data (ANSI
// X9.24-3:2017 6.3.2 table 2).
type Usage uint16

// The working key usages. Key derivation (8000) and initial key
// derivation (8001) are internal to the algorithm and not accepted by
// AESWorkingKey.
const (
	UsageKeyEncryption Usage = 0x0002 // key encryption key
	UsagePIN           Usage = 0x1000 // PIN encryption
	UsageMACGenerate   Usage = 0x2000 // MAC generation (request MAC)
	UsageMACVerify     Usage = 0x2001 // MAC verification (response MAC)
	UsageMACBoth       Usage = 0x2002 // MAC both ways
	UsageDataEncrypt   Usage = 0x3000 // data encryption, encrypt (request)
	UsageDataDecrypt   Usage = 0x3001 // data encryption, decrypt (response)
	UsageDataBoth      Usage = 0x3002 // data encryption, both ways

	usageDerivation Usage = 0x8000
	usageInitialKey Usage = 0x8001
)

func (u Usage) working() bool {
	switch u {
	case UsageKeyEncryption, UsagePIN, UsageMACGenerate, UsageMACVerify, UsageMACBoth,
		UsageDataEncrypt, UsageDataDecrypt, UsageDataBoth:
		return true
	}
	return false
}

// String returns the 4-hex-digit indicator.
func (u Usage) String() string { return fmt.Sprintf("%04X", uint16(u)) }

// derivationKeyType returns the AES type of a derivation key (BDK, initial
// or transaction key) of n bytes.
func derivationKeyType(n int, what string) (KeyType, error) {
	switch n {
	case 16:
		return AES128, nil
	case 24:
		return AES192, nil
	case 32:
		return AES256, nil
	}
	return 0, fmt.Errorf("%w: AES DUKPT %s must be 16, 24 or 32 bytes, have %d", ErrBDK, what, n)
}

// deriveAES sets out (t.Len() bytes) to the X9.24-3:2017 6.3.1 derivation
// of key under the derivation data 01 ‖ counter ‖ usage ‖ algorithm ‖
// length ‖ tail: AES-ECB of the data with the block counter 1, 2, ...,
// truncated to the key length.
func deriveAES(out []byte, key []byte, u Usage, t KeyType, tail *[8]byte) error {
	c, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	var d, blk [16]byte
	d[0] = 0x01
	binary.BigEndian.PutUint16(d[2:], uint16(u))
	binary.BigEndian.PutUint16(d[4:], keyTypeInfo[t].alg)
	binary.BigEndian.PutUint16(d[6:], keyTypeInfo[t].bits)
	copy(d[8:], tail[:])
	for i := 0; i < len(out); i += 16 {
		d[1] = byte(i/16 + 1)
		c.Encrypt(blk[:], d[:])
		copy(out[i:], blk[:])
	}
	clear(blk[:])
	return nil
}

// AESInitialKey derives the AES DUKPT initial key of the device with
// initial key ID id from bdk (AES-128, -192 or -256; else ErrBDK) (ANSI
// X9.24-3:2017 6.3.1: usage 8001, the full initial key ID). The initial
// key has the BDK's type.
func AESInitialKey(bdk keys.ClearKey, id InitialKeyID) (keys.ClearKey, error) {
	var k [32]byte
	defer clear(k[:])
	n, err := aesInitialKey(&k, bdk, id)
	if err != nil {
		return keys.ClearKey{}, err
	}
	return keys.NewClearKey(k[:n])
}

func aesInitialKey(out *[32]byte, bdk keys.ClearKey, id InitialKeyID) (int, error) {
	t, err := derivationKeyType(bdk.Len(), "BDK")
	if err != nil {
		return 0, err
	}
	tail := [8]byte(id)
	n := t.Len()
	return n, deriveAES(out[:n], bdk.Bytes(), usageInitialKey, t, &tail)
}

// AESTransactionKey derives the transaction (derivation) key for ksn from
// the device's initial key ik (ANSI X9.24-3:2017 6.1, 6.3.1): for each set
// counter bit from the highest, add it to a working counter and derive the
// next key with usage 8000 over the right half of the initial key ID and
// the working counter. The key keeps ik's type. An ik of the wrong length
// gives ErrBDK, a counter that fails AESKSN.Check ErrCounter.
func AESTransactionKey(ik keys.ClearKey, ksn AESKSN) (keys.ClearKey, error) {
	t, err := derivationKeyType(ik.Len(), "initial key")
	if err != nil {
		return keys.ClearKey{}, err
	}
	if err := ksn.Check(); err != nil {
		return keys.ClearKey{}, err
	}
	var k [32]byte
	defer clear(k[:])
	copy(k[:], ik.Bytes())
	if err := aesTransactionKey(&k, t, &ksn); err != nil {
		return keys.ClearKey{}, err
	}
	return keys.NewClearKey(k[:t.Len()])
}

func aesTransactionKey(k *[32]byte, t KeyType, ksn *AESKSN) error {
	n := t.Len()
	var tail [8]byte
	copy(tail[:4], ksn[4:8])
	c := ksn.Counter()
	var working uint32
	for bit := uint32(1) << 31; bit != 0; bit >>= 1 {
		if c&bit == 0 {
			continue
		}
		working |= bit
		binary.BigEndian.PutUint32(tail[4:], working)
		if err := deriveAES(k[:n], k[:n], usageDerivation, t, &tail); err != nil {
			return err
		}
	}
	return nil
}

// AESWorkingKey derives the working key of usage u and type kt for ksn
// from its transaction key txn (ANSI X9.24-3:2017 6.3.1, 6.3.3): the
// derivation data carry kt's algorithm and length and the right half of
// the initial key ID with the counter. A working key may not be stronger
// than txn (an AES-128 transaction key yields 2TDEA, 3TDEA, AES-128 or
// HMAC-128 keys; X9.24-3:2017 6.1.3); a stronger one, an unknown type or
// a usage that is not a working usage gives ErrKeyType.
func AESWorkingKey(txn keys.ClearKey, ksn AESKSN, u Usage, kt KeyType) (keys.ClearKey, error) {
	if _, err := checkWorking(txn, "transaction key", ksn, u, kt); err != nil {
		return keys.ClearKey{}, err
	}
	var k [32]byte
	defer clear(k[:])
	if err := aesWorkingKey(k[:kt.Len()], txn.Bytes(), &ksn, u, kt); err != nil {
		return keys.ClearKey{}, err
	}
	return keys.NewClearKey(k[:kt.Len()])
}

// checkWorking checks a request for a working key derived from key (a BDK
// or a transaction key, named by what) and returns the derivation key type
// that key's length gives: u must be a working usage, kt a known type no
// stronger than the derivation key, and ksn's counter valid.
func checkWorking(key keys.ClearKey, what string, ksn AESKSN, u Usage, kt KeyType) (KeyType, error) {
	derivation, err := derivationKeyType(key.Len(), what)
	if err != nil {
		return 0, err
	}
	if !u.working() {
		return 0, fmt.Errorf("%w: usage %s is not a working key usage", ErrKeyType, u)
	}
	if !kt.valid() {
		return 0, fmt.Errorf("%w: key type %d", ErrKeyType, int(kt))
	}
	if kt.strength() > derivation.strength() {
		return 0, fmt.Errorf("%w: %s working key from a %s derivation key", ErrKeyType, kt, derivation)
	}
	return derivation, ksn.Check()
}

func aesWorkingKey(out, txn []byte, ksn *AESKSN, u Usage, kt KeyType) error {
	var tail [8]byte
	copy(tail[:], ksn[4:12])
	return deriveAES(out, txn, u, kt, &tail)
}

// DeriveAES derives, host side, the working key of usage u and type kt for
// the transaction with KSN ksn from bdk: initial key, transaction key and
// working key in one call, with no intermediate ClearKey. Errors are as for
// AESInitialKey, AESTransactionKey and AESWorkingKey.
func DeriveAES(bdk keys.ClearKey, ksn AESKSN, u Usage, kt KeyType) (keys.ClearKey, error) {
	t, err := checkWorking(bdk, "BDK", ksn, u, kt)
	if err != nil {
		return keys.ClearKey{}, err
	}
	var k, w [32]byte
	defer clear(k[:])
	defer clear(w[:])
	if _, err := aesInitialKey(&k, bdk, ksn.InitialKeyID()); err != nil {
		return keys.ClearKey{}, err
	}
	if err := aesTransactionKey(&k, t, &ksn); err != nil {
		return keys.ClearKey{}, err
	}
	if err := aesWorkingKey(w[:kt.Len()], k[:t.Len()], &ksn, u, kt); err != nil {
		return keys.ClearKey{}, err
	}
	return keys.NewClearKey(w[:kt.Len()])
}
