package tr31

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. Every error this package returns wraps exactly one of
// them; test with errors.Is. Messages name the field and its offset in the
// key block, never a key, a KBPK or the block's encrypted part.
var (
	// ErrHeader: the header or an optional block is malformed (a field
	// with a character it may not hold, an optional block whose length
	// does not fit, a repeated block, a header that is not a multiple of
	// the cipher block).
	ErrHeader = errors.New("tr31: malformed key block header")
	// ErrRepeatedBlock: an optional block ID appears twice. It wraps
	// ErrHeader, so errors.Is(err, ErrHeader) holds too (payShield answers
	// a repeated block with its own error code, BC).
	ErrRepeatedBlock = fmt.Errorf("%w: repeated optional block", ErrHeader)
	// ErrLength: the block's length field does not match its length, or
	// the encrypted part is not a whole number of cipher blocks, or the
	// key length inside the payload does not fit the payload or is not a
	// length this project holds (8, 16, 24 or 32 bytes).
	ErrLength = errors.New("tr31: bad key block length")
	// ErrVersion: the version ID is not one this package implements (TR-31
	// A, B, C, D; Thales 0, 1), or a Thales version where a TR-31 block
	// was expected and the other way round.
	ErrVersion = errors.New("tr31: unsupported key block version")
	// ErrMAC: the block's MAC (authenticator) does not verify under the
	// KBPK: a wrong KBPK or a block altered in transit.
	ErrMAC = errors.New("tr31: key block MAC does not verify")
	// ErrKBPK: the key block protection key does not fit the version (a
	// TDES KBPK for version D, an AES KBPK for A/B/C, a length other than
	// 16 or 24 bytes for TDES and 16, 24 or 32 for AES).
	ErrKBPK = errors.New("tr31: KBPK does not fit the key block version")
	// ErrEncoding: the encrypted key data or the MAC is not hex digits.
	ErrEncoding = errors.New("tr31: key block data is not hex")
	// ErrKey: the key to wrap does not fit the header's algorithm (a
	// 32-byte key with algorithm T, an 8-byte key with algorithm A).
	ErrKey = errors.New("tr31: key does not fit the header's algorithm")
)

// Error is a key block error: which sentinel it is, the field concerned,
// the character offset in the key block where that field starts (-1 when
// none applies) and what is wrong. It never holds key material.
type Error struct {
	Err    error  // one of the sentinels above
	Field  string // "version", "key usage", "optional block KS", ...
	Offset int    // character offset of the field in the block, or -1
	Reason string // what is wrong, without values
}

// Error implements error: "tr31: malformed key block header: optional
// block KS at offset 16: length is not 2 hex digits".
func (e *Error) Error() string {
	s := e.Err.Error()
	if e.Field != "" {
		s += ": " + e.Field
		if e.Offset >= 0 {
			s += " at offset " + strconv.Itoa(e.Offset)
		}
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

func headerErr(field string, off int, reason string) error {
	return &Error{Err: ErrHeader, Field: field, Offset: off, Reason: reason}
}

func lengthErr(field string, off int, reason string) error {
	return &Error{Err: ErrLength, Field: field, Offset: off, Reason: reason}
}
