package dukpt

import "errors"

// Sentinel errors. Callers match them with errors.Is; returned errors wrap
// them with a short reason (a length, a bit count, a position), never key
// material.
var (
	// ErrKSNLength reports a KSN that is not 20 hex digits (10 bytes, TDES)
	// or 24 hex digits (12 bytes, AES).
	ErrKSNLength = errors.New("dukpt: wrong KSN length")
	// ErrKSNHex reports a KSN with a character other than 0-9, A-F, a-f.
	ErrKSNHex = errors.New("dukpt: KSN is not hex")
	// ErrCounter reports a transaction counter of zero, with more bits set
	// than the standard allows (10 for TDES, 16 for AES), or past the last
	// counter.
	ErrCounter = errors.New("dukpt: invalid transaction counter")
	// ErrDescriptor reports a malformed payShield KSN descriptor, or a KSN
	// field whose length does not fit it.
	ErrDescriptor = errors.New("dukpt: invalid KSN descriptor")
	// ErrBDK reports a base derivation key (or initial or transaction key)
	// of the wrong length for the algorithm: TDES DUKPT takes a 16-byte
	// key, AES DUKPT a 16-, 24- or 32-byte one.
	ErrBDK = errors.New("dukpt: wrong base derivation key type")
	// ErrKeyType reports a working key type or usage that the standard
	// does not define, or a working key stronger than the key it is
	// derived from (X9.24-3:2017 6.1.3).
	ErrKeyType = errors.New("dukpt: working key type not allowed")
)
