// Package keys holds the key management of a Thales payShield-style variant
// LMK: clear key material, DES odd parity, key check values, key types, the
// key schemes of the host-command contract and key wrapping under the LMK,
// and the simulator's PIN-under-LMK encryption.
//
// The variant LMK is 20 double-length Triple DES pairs (00-01 .. 38-39). A key
// of type vPP (key-type variant v, pair code PP) is wrapped under the pair that
// PP selects, with the variant byte of v XORed into byte 0 of the pair; keys
// of scheme U and T are wrapped one 8-byte part at a time with a further
// scheme variant XORed into byte 8 (docs/spec/hostcmd.md §3; the algorithm
// as implemented by jPOS, ThalesSim and CryptoCarver, matched here against
// their published cryptograms). The public Thales test LMK is built in
// (TestLMK); another is read from a file with ParseLMK or built from its
// pairs with NewLMK.
//
// A key-block LMK (KeyBlockLMK) is one Triple DES or AES-256 key that
// protects Thales key blocks (key scheme "S", version 0 or 1); package
// keys/tr31 wraps and unwraps those blocks and TR-31 blocks. The public test
// key-block LMKs are built in (TestAESKeyBlockLMK, TestTDESKeyBlockLMK);
// ParseAnyLMK reads an LMK file of either kind.
//
// Secrets: clear keys (ClearKey), the LMK and every cipher built from it,
// clear PINs, and — by the project's rule — the cryptograms and PINs under
// the LMK that Encrypt and EncryptPIN return. ClearKey and LMK redact
// themselves in fmt (every verb), log/slog and encoding/json; ClearKey.Bytes
// is the one way to reach clear key bytes and its result must never be
// logged. Errors name the field and at most its length, never a value; LMK
// file errors name the line number.
//
// Constant time: DecryptPIN compares its check digit with
// crypto/subtle.ConstantTimeByteEq. Parity checking and the ciphers take time
// that depends only on lengths (crypto/des makes no cache-timing promise
// beyond its table lookups). This package compares no key check values; a
// caller that compares one (say a KCV sent by a host against CheckValue)
// must use crypto/subtle.ConstantTimeCompare.
//
// Concurrency: an LMK is immutable after construction and safe for
// concurrent use; it precomputes the Triple DES key schedule of every pair,
// key-type variant and scheme variant, so wrapping and unwrapping do no key
// schedule.
package keys
