// Package tr31 implements key blocks: ASC X9 TR-31 / ANSI X9.143 versions
// A, B, C and D, and the Thales key block (key scheme "S") versions 0 and 1
// that a payShield key-block LMK protects.
//
// A key block is a 16-character ASCII header (version, length, key usage,
// algorithm, mode of use, key version, exportability, optional block count
// and two version-specific characters), optional blocks, the hex-encoded
// encrypted payload (key length in bits, key, padding) and a hex MAC over
// the header and the payload. How the key block protection key (KBPK)
// encrypts and authenticates depends on the version:
//
//	A, C, Thales 0  Triple DES; KBEK/KBAK = KBPK XOR 45../4D..; CBC with the
//	                header's first 8 characters as IV, then a 4-byte CBC-MAC
//	                over header and ciphertext
//	B               Triple DES; KBEK/KBAK derived with CMAC; 8-byte CMAC over
//	                header and clear payload, used as the CBC IV
//	D               AES; as B with AES-CMAC and a 16-byte MAC
//	Thales 1        AES; keys derived as D; CBC with the header's first 16
//	                characters as IV, then an 8-byte CMAC over header and
//	                ciphertext
//
// docs/reference/keyblocks.md describes the formats and lists what no
// public source confirms. Every vector of testdata/keyblocks.json (the
// TR-31:2018 and X9.143:2021 annex examples, payShield 10K and BP-Tools
// blocks, each with its source) unwraps, and wraps back to the same block
// when given the same padding.
//
// Import is lenient (ParseHeader says how), because payShield emits
// TR-31:2018 blocks, not X9.143 ones; export writes what payShield writes
// unless WrapOptions asks for X9.143 key length masking.
//
// Secrets: a KBPK and the keys it protects. KBPK redacts itself like
// keys.ClearKey; errors (*Error, wrapping one sentinel) name a field and
// its offset, never a key, a payload or the encrypted part. MACs are
// compared with crypto/subtle.
//
// # Errors
//
// The HSM error code each sentinel maps to (payShield key-block codes; the
// assignment is ours, docs/spec/hostcmd-keyblocks.md §3):
//
//	ErrVersion        A9  version not A-D (TR-31) or 0-1 (Thales)
//	ErrMAC            A4  MAC does not verify
//	ErrLength         A5  length field, whole cipher blocks, key length in the payload
//	ErrHeader         AC  malformed header or optional block
//	ErrRepeatedBlock  BC  optional block given twice (also matches ErrHeader)
//	ErrKBPK           BB  KBPK algorithm or length does not fit the version
//	ErrKey            A7  key does not fit the header's algorithm
//	ErrEncoding       15  encrypted part or MAC not hex
package tr31
