// Package kbvec is the shape of a key-block known-answer vector as the JSON
// files of this module keep it (keys/tr31/testdata/keyblocks.json and
// conformance/testdata/keyblock.json): one type for the tr31 tests, the
// REST tests and the conformance suite that read them. It holds no vectors
// and imports nothing.
package kbvec

// KeyBlock is a key block that unwraps under a key-block protection key to
// a clear key, with the public source that printed it.
type KeyBlock struct {
	Name    string `json:"name"`
	Source  string `json:"source"`
	KBPK    string `json:"kbpk"`     // hex of the KBPK (or ZMK)
	KBPKAlg string `json:"kbpk_alg"` // "A" for an AES KBPK, empty for Triple DES
	Block   string `json:"block"`    // the key block
	Key     string `json:"key"`      // hex of the clear key
	KCV     string `json:"kcv"`      // the clear key's check value
}
