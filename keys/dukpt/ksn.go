package dukpt

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"strings"

	"github.com/payhsm/payhsm-gw/internal/hexdigit"
)

// TDES DUKPT counter limits (ANSI X9.24-1:2009 A.2): 21 counter bits, of
// which a terminal sets at most 10.
const (
	tdesCounterBits = 21
	tdesCounterMask = 1<<tdesCounterBits - 1
	// MaxTDESCounterBits is the most bits a TDES DUKPT counter may have set.
	MaxTDESCounterBits = 10
	// MaxTDESCounter is the last TDES DUKPT counter: the top 10 of its 21
	// bits set.
	MaxTDESCounter = 0x1FF800
)

// AES DUKPT counter limits (ANSI X9.24-3:2017 6.1): 32 counter bits, of
// which at most 16 are set.
const (
	// MaxAESCounterBits is the most bits an AES DUKPT counter may have set.
	MaxAESCounterBits = 16
	// MaxAESCounter is the last AES DUKPT counter: the top 16 bits set.
	MaxAESCounter = 0xFFFF0000
)

// KSN is a TDES DUKPT key serial number (ANSI X9.24-1:2009): 10 bytes, the
// initial KSN in the left 59 bits and the transaction counter in the right
// 21. Written as 20 hex digits, "FFFF9876543210E00001".
type KSN [10]byte

// ParseKSN parses a TDES KSN of exactly 20 hex digits (either case) and
// checks its counter (see KSN.Check). Errors wrap ErrKSNLength, ErrKSNHex or
// ErrCounter.
func ParseKSN(s string) (KSN, error) {
	var k KSN
	if err := decodeHex(k[:], s, "TDES", 20); err != nil {
		return KSN{}, err
	}
	if err := k.Check(); err != nil {
		return KSN{}, err
	}
	return k, nil
}

// KSNFromBytes returns the TDES KSN of b, which must be exactly 10 bytes
// (a binary KSN, as some ISO 8583 fields carry it), with the counter
// checks of ParseKSN. Errors wrap ErrKSNLength or ErrCounter.
func KSNFromBytes(b []byte) (KSN, error) {
	if len(b) != len(KSN{}) {
		return KSN{}, fmt.Errorf("%w: TDES KSN has %d bytes, want 10", ErrKSNLength, len(b))
	}
	k := KSN(b)
	if err := k.Check(); err != nil {
		return KSN{}, err
	}
	return k, nil
}

// Counter returns the 21-bit transaction counter.
func (k KSN) Counter() uint32 {
	return uint32(k[7])<<16&0x1F0000 | uint32(k[8])<<8 | uint32(k[9])
}

// Initial returns k with its counter cleared: the initial KSN the IPEK is
// derived from.
func (k KSN) Initial() KSN {
	k[7] &^= 0x1F
	k[8], k[9] = 0, 0
	return k
}

// WithCounter returns k with its counter replaced by the low 21 bits of c.
// The result is not checked.
func (k KSN) WithCounter(c uint32) KSN {
	k[7] = k[7]&^0x1F | byte(c>>16)&0x1F
	k[8], k[9] = byte(c>>8), byte(c)
	return k
}

// Check reports whether the counter of k is one a terminal may use: not
// zero and at most 10 bits set (which also keeps it at or below
// MaxTDESCounter). The error wraps ErrCounter.
func (k KSN) Check() error {
	return checkCounter(k.Counter(), MaxTDESCounterBits, MaxTDESCounter)
}

// Next returns the KSN of the terminal's next transaction: the counter
// advanced to the next value with at most 10 bits set (ANSI X9.24-1:2009
// A.2; the terminal skips the others). Past MaxTDESCounter the terminal is
// exhausted and Next returns an error wrapping ErrCounter.
func (k KSN) Next() (KSN, error) {
	c, err := nextCounter(k.Counter(), MaxTDESCounterBits, MaxTDESCounter)
	if err != nil {
		return KSN{}, err
	}
	return k.WithCounter(c), nil
}

// String returns the 20 upper-case hex digits. A KSN is not secret.
func (k KSN) String() string { return strings.ToUpper(hex.EncodeToString(k[:])) }

// InitialKeyID is the 8-byte initial key ID of AES DUKPT: a 4-byte BDK ID
// and a 4-byte derivation ID (ANSI X9.24-3:2017 6.2).
type InitialKeyID [8]byte

// AESKSN is an AES DUKPT key serial number (ANSI X9.24-3:2017): the 8-byte
// initial key ID, then the 32-bit transaction counter, big-endian. Written
// as 24 hex digits, "123456789012345600000001".
type AESKSN [12]byte

// ParseAESKSN parses an AES KSN of exactly 24 hex digits (either case) and
// checks its counter (see AESKSN.Check). Errors wrap ErrKSNLength, ErrKSNHex
// or ErrCounter.
func ParseAESKSN(s string) (AESKSN, error) {
	var k AESKSN
	if err := decodeHex(k[:], s, "AES", 24); err != nil {
		return AESKSN{}, err
	}
	if err := k.Check(); err != nil {
		return AESKSN{}, err
	}
	return k, nil
}

// AESKSNFromBytes returns the AES KSN of b, which must be exactly 12
// bytes, with the counter checks of ParseAESKSN. Errors wrap ErrKSNLength
// or ErrCounter.
func AESKSNFromBytes(b []byte) (AESKSN, error) {
	if len(b) != len(AESKSN{}) {
		return AESKSN{}, fmt.Errorf("%w: AES KSN has %d bytes, want 12", ErrKSNLength, len(b))
	}
	k := AESKSN(b)
	if err := k.Check(); err != nil {
		return AESKSN{}, err
	}
	return k, nil
}

// NewAESKSN returns the KSN of initial key ID id and counter c (unchecked).
func NewAESKSN(id InitialKeyID, c uint32) AESKSN {
	var k AESKSN
	copy(k[:8], id[:])
	binary.BigEndian.PutUint32(k[8:], c)
	return k
}

// InitialKeyID returns the left 8 bytes.
func (k AESKSN) InitialKeyID() InitialKeyID { return InitialKeyID(k[:8]) }

// Counter returns the 32-bit transaction counter.
func (k AESKSN) Counter() uint32 { return binary.BigEndian.Uint32(k[8:]) }

// Check reports whether the counter of k is one a terminal may use: not
// zero and at most 16 bits set (so at most MaxAESCounter; the all-ones
// counter that X9.24-3 reserves for the DUKPT update key is refused too).
// The error wraps ErrCounter.
func (k AESKSN) Check() error {
	return checkCounter(k.Counter(), MaxAESCounterBits, MaxAESCounter)
}

// Next returns the KSN of the terminal's next transaction: the counter
// advanced to the next value with at most 16 bits set (ANSI X9.24-3:2017
// 6.1). Past MaxAESCounter it returns an error wrapping ErrCounter.
func (k AESKSN) Next() (AESKSN, error) {
	c, err := nextCounter(k.Counter(), MaxAESCounterBits, MaxAESCounter)
	if err != nil {
		return AESKSN{}, err
	}
	return NewAESKSN(k.InitialKeyID(), c), nil
}

// String returns the 24 upper-case hex digits. A KSN is not secret.
func (k AESKSN) String() string { return strings.ToUpper(hex.EncodeToString(k[:])) }

func checkCounter(c uint32, maxBits int, last uint32) error {
	switch n := bits.OnesCount32(c); {
	case c == 0:
		return fmt.Errorf("%w: counter is zero (an initial KSN)", ErrCounter)
	case n > maxBits:
		return fmt.Errorf("%w: %d bits set, at most %d allowed", ErrCounter, n, maxBits)
	case c > last:
		return fmt.Errorf("%w: past the last counter", ErrCounter)
	}
	return nil
}

// nextCounter returns the smallest counter above c with at most maxBits
// bits set. Adding the lowest set bit of an over-full counter clears at
// least one bit, so the loop runs at most 32 times.
func nextCounter(c uint32, maxBits int, last uint32) (uint32, error) {
	if c >= last {
		return 0, fmt.Errorf("%w: counter exhausted", ErrCounter)
	}
	n := uint64(c) + 1
	for bits.OnesCount64(n) > maxBits {
		n += n & -n
	}
	if n > uint64(last) {
		return 0, fmt.Errorf("%w: counter exhausted", ErrCounter)
	}
	return uint32(n), nil
}

// decodeHex decodes s, which must be exactly 2*len(dst) hex digits, into
// dst. The errors name the length or the position, not the text.
func decodeHex(dst []byte, s, what string, digits int) error {
	if len(s) != digits {
		return fmt.Errorf("%w: %s KSN has %d characters, want %d hex digits", ErrKSNLength, what, len(s), digits)
	}
	for i := range dst {
		hi, ok1 := hexdigit.Value(s[2*i])
		lo, ok2 := hexdigit.Value(s[2*i+1])
		if !ok1 || !ok2 {
			pos := 2*i + 1
			if ok1 {
				pos++
			}
			clear(dst)
			return fmt.Errorf("%w: %s KSN character %d", ErrKSNHex, what, pos)
		}
		dst[i] = hi<<4 | lo
	}
	return nil
}
