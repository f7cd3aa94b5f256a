package dukpt

import (
	"crypto/des"
	"encoding/binary"
	"fmt"

	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/keys"
)

// Variant names a TDES DUKPT working key: the transaction key XORed with a
// variant constant (ANSI X9.24-1:2009 A.4.1 and A.6), and for the data
// keys then enciphered under itself.
type Variant int

const (
	// VariantPIN is the PIN encryption key: XOR 00000000000000FF
	// 00000000000000FF.
	VariantPIN Variant = iota
	// VariantMACRequest is the MAC key for request (terminal to host)
	// messages: XOR 000000000000FF00 000000000000FF00.
	VariantMACRequest
	// VariantMACResponse is the MAC key for response messages: XOR
	// 00000000FF000000 00000000FF000000.
	VariantMACResponse
	// VariantDataRequest is the data encryption key for requests: XOR
	// 0000000000FF0000 0000000000FF0000, then each half TDES-enciphered
	// under the XORed key (the one-way step X9.24-1:2009 added).
	VariantDataRequest
	// VariantDataResponse is the data encryption key for responses: XOR
	// 000000FF00000000 000000FF00000000, then the same one-way step.
	VariantDataResponse
)

var variantNames = [...]string{"PIN", "MACRequest", "MACResponse", "DataRequest", "DataResponse"}

// String returns the variant's name ("PIN", "MACRequest" ...).
func (v Variant) String() string {
	if v < 0 || int(v) >= len(variantNames) {
		return fmt.Sprintf("Variant(%d)", int(v))
	}
	return variantNames[v]
}

// variantMask is the byte, repeated at the same offset in both halves,
// that each variant XORs in, and that offset.
func (v Variant) mask() (off int, ok bool) {
	switch v {
	case VariantPIN:
		return 7, true
	case VariantMACRequest:
		return 6, true
	case VariantMACResponse:
		return 4, true
	case VariantDataRequest:
		return 5, true
	case VariantDataResponse:
		return 3, true
	}
	return 0, false
}

// keyRegisterMask is XORed into a key for the second half of the IPEK and
// of each non-reversible key generation step.
var keyRegisterMask = [16]byte{0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0, 0xC0, 0xC0, 0xC0, 0xC0, 0, 0, 0, 0}

// IPEK derives the TDES DUKPT initial key (initial PIN encryption key) of
// the device with KSN ksn from the double-length bdk (ANSI X9.24-1:2009
// A.6): with d the left 8 bytes of the KSN with its counter cleared,
// IPEK = TDES(bdk, d) ‖ TDES(bdk ⊕ C0C0C0C000000000C0C0C0C000000000, d).
// The counter of ksn is ignored. A bdk that is not 16 bytes gives ErrBDK.
func IPEK(bdk keys.ClearKey, ksn KSN) (keys.ClearKey, error) {
	var k [16]byte
	defer clear(k[:])
	if err := ipek(&k, bdk, &ksn); err != nil {
		return keys.ClearKey{}, err
	}
	return keys.NewClearKey(k[:])
}

func ipek(out *[16]byte, bdk keys.ClearKey, ksn *KSN) error {
	if bdk.Len() != 16 {
		return fmt.Errorf("%w: TDES DUKPT takes a 16-byte BDK, have %d bytes", ErrBDK, bdk.Len())
	}
	iksn := ksn.Initial()
	var k [16]byte
	defer clear(k[:])
	copy(k[:], bdk.Bytes())
	for half := range 2 {
		c, err := tdes.New(k[:])
		if err != nil {
			return err
		}
		c.Encrypt(out[8*half:8*half+8], iksn[:8])
		for i := range k {
			k[i] ^= keyRegisterMask[i]
		}
	}
	return nil
}

// TDESTransactionKey derives the transaction key for ksn from the device's
// initial key ipek by the non-reversible key generation process (ANSI
// X9.24-1:2009 A.2, A.3): for each counter bit set, from the highest, set
// it in the KSN register and derive the next key from the previous one.
// An ipek that is not 16 bytes gives ErrBDK; a counter that fails
// KSN.Check gives ErrCounter.
func TDESTransactionKey(ipek keys.ClearKey, ksn KSN) (keys.ClearKey, error) {
	if ipek.Len() != 16 {
		return keys.ClearKey{}, fmt.Errorf("%w: TDES DUKPT initial key must be 16 bytes, have %d", ErrBDK, ipek.Len())
	}
	if err := ksn.Check(); err != nil {
		return keys.ClearKey{}, err
	}
	var k [16]byte
	defer clear(k[:])
	copy(k[:], ipek.Bytes())
	if err := transactionKey(&k, &ksn); err != nil {
		return keys.ClearKey{}, err
	}
	return keys.NewClearKey(k[:])
}

// transactionKey turns the initial key in k into the transaction key for
// ksn, in place.
func transactionKey(k *[16]byte, ksn *KSN) error {
	iksn := ksn.Initial()
	r := binary.BigEndian.Uint64(iksn[2:])
	c := ksn.Counter()
	for bit := uint32(1) << (tdesCounterBits - 1); bit != 0; bit >>= 1 {
		if c&bit == 0 {
			continue
		}
		r |= uint64(bit)
		if err := nrkgp(k, r); err != nil {
			return err
		}
	}
	return nil
}

// nrkgp is the non-reversible key generation process (X9.24-1:2009 A.2):
// the right half becomes DES(KL, R ⊕ KR) ⊕ KR, the left half the same
// with K ⊕ C0C0C0C000000000C0C0C0C000000000.
func nrkgp(k *[16]byte, r uint64) error {
	var in, out [8]byte
	var kk [16]byte
	defer clear(kk[:])
	kk = *k
	var res [16]byte
	defer clear(res[:])
	for half := 1; half >= 0; half-- {
		kr := binary.BigEndian.Uint64(kk[8:])
		binary.BigEndian.PutUint64(in[:], r^kr)
		c, err := des.NewCipher(kk[:8])
		if err != nil {
			return err
		}
		c.Encrypt(out[:], in[:])
		binary.BigEndian.PutUint64(res[8*half:], binary.BigEndian.Uint64(out[:])^kr)
		for i := range kk {
			kk[i] ^= keyRegisterMask[i]
		}
	}
	*k = res
	clear(in[:])
	clear(out[:])
	return nil
}

// TDESWorkingKey returns the working key of variant v from the
// transaction key txn (16 bytes; else ErrBDK). An unknown variant gives
// ErrKeyType.
func TDESWorkingKey(txn keys.ClearKey, v Variant) (keys.ClearKey, error) {
	if txn.Len() != 16 {
		return keys.ClearKey{}, fmt.Errorf("%w: TDES DUKPT transaction key must be 16 bytes, have %d", ErrBDK, txn.Len())
	}
	var k [16]byte
	defer clear(k[:])
	copy(k[:], txn.Bytes())
	if err := workingKey(&k, v); err != nil {
		return keys.ClearKey{}, err
	}
	return keys.NewClearKey(k[:])
}

func workingKey(k *[16]byte, v Variant) error {
	off, ok := v.mask()
	if !ok {
		return fmt.Errorf("%w: TDES DUKPT variant %d", ErrKeyType, int(v))
	}
	k[off] ^= 0xFF
	k[8+off] ^= 0xFF
	if v == VariantDataRequest || v == VariantDataResponse {
		c, err := tdes.New(k[:])
		if err != nil {
			return err
		}
		c.Encrypt(k[:8], k[:8])
		c.Encrypt(k[8:], k[8:])
	}
	return nil
}

// DeriveTDES derives, host side, the working key of variant v for the
// transaction with KSN ksn from the double-length bdk: IPEK, transaction
// key and variant in one call, with no intermediate ClearKey. Errors are as
// for IPEK, TDESTransactionKey and TDESWorkingKey.
func DeriveTDES(bdk keys.ClearKey, ksn KSN, v Variant) (keys.ClearKey, error) {
	if _, ok := v.mask(); !ok {
		return keys.ClearKey{}, fmt.Errorf("%w: TDES DUKPT variant %d", ErrKeyType, int(v))
	}
	if err := ksn.Check(); err != nil {
		return keys.ClearKey{}, err
	}
	var k [16]byte
	defer clear(k[:])
	if err := ipek(&k, bdk, &ksn); err != nil {
		return keys.ClearKey{}, err
	}
	if err := transactionKey(&k, &ksn); err != nil {
		return keys.ClearKey{}, err
	}
	if err := workingKey(&k, v); err != nil {
		return keys.ClearKey{}, err
	}
	return keys.NewClearKey(k[:])
}
