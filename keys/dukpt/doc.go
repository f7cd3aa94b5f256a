// Package dukpt derives the keys of Derived Unique Key Per Transaction
// (DUKPT) key management, host side:
//
//   - TDES DUKPT, ANSI X9.24-1:2009 Annex A ("DUKPT 2000"): the initial key
//     (IPEK) from a double-length BDK and a KSN, the transaction key for a
//     KSN by the non-reversible key generation process, and the PIN, MAC
//     request/response and data request/response working keys
//     (IPEK, TDESTransactionKey, TDESWorkingKey, DeriveTDES);
//   - AES DUKPT, ANSI X9.24-3:2017: the initial key from an AES-128, -192 or
//     -256 BDK and an initial key ID, the transaction (derivation) key for a
//     32-bit counter, and working keys of every type the standard lists
//     (2TDEA, 3TDEA, AES-128/192/256, HMAC-128/192/256) for every usage
//     (AESInitialKey, AESTransactionKey, AESWorkingKey, DeriveAES);
//   - the key serial numbers of both (KSN, AESKSN) with the counter rules
//     of each standard, and the payShield KSN descriptor (KSNDescriptor).
//
// This package derives keys only, which is why it sits under keys and not
// pin: the same derivation yields PIN, MAC, data and key-encryption keys.
// PIN blocks are package pin's, MACs package mac's. A DUKPT PIN block is a PIN block enciphered under the
// PIN working key of the transaction: ISO 9564-1 format 0 under the TDES
// key (TDES-ECB), format 4 under the AES key. Never under the transaction
// key itself.
//
// # Counters
//
// A TDES KSN is 10 bytes whose right-most 21 bits are the transaction
// counter; a terminal uses only counters with at most 10 bits set, so the
// largest is 0x1FF800. An AES KSN is 12 bytes: an 8-byte initial key ID and
// a 32-bit counter with at most 16 bits set (the largest 0xFFFF0000).
// ParseKSN and ParseAESKSN refuse a counter of zero (the initial KSN, no
// transaction key) and one with too many bits set (ErrCounter); the
// derivation functions check the same rules, so a KSN built by hand is held
// to them too.
//
// # Secrets
//
// Every key in and out is a keys.ClearKey, which redacts itself in fmt,
// log/slog and encoding/json. Intermediate keys live in fixed-size arrays
// that are cleared before return (best effort: the Go runtime may have
// copied them). Errors name the field and at most a length, a bit count or
// a position, never key material. A KSN is not secret: it travels in clear
// beside the PIN block.
//
// # Errors
//
// Every error wraps one of the sentinels. The host-command error code each
// maps to (docs/spec/hostcmd-dukpt.md; payShield numbering where public):
//
//	ErrKSNLength    15  KSN (or KSN field) of the wrong length
//	ErrKSNHex       15  KSN with a non-hex character
//	ErrCounter      15  counter zero, too many bits set or past its limit
//	ErrDescriptor   15  KSN descriptor malformed or inconsistent with the KSN
//	ErrBDK          27  BDK of the wrong length or type for the algorithm
//	ErrKeyType      15  working key type or usage not allowed
package dukpt
