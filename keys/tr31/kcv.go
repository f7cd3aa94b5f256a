package tr31

import "github.com/payhsm/payhsm-gw/keys"

// CheckValue returns the key check value of k as algorithm alg (a header's
// algorithm byte): for 'A' (AES) the CMAC of a zero block, 16 bytes (ANSI
// X9.24-1:2017 A.3, the value X9.143 prints); for anything else the legacy
// value, 8 zero bytes encrypted under the DES or Triple DES key, 8 bytes
// (A.2). Callers show the leftmost 3 bytes (6H), or 5 for an X9.143 KC
// block. Errors wrap keys.ErrKeyLength.
func CheckValue(alg byte, k keys.ClearKey) ([]byte, error) {
	if alg == 'A' {
		return keys.AESCheckValue(k)
	}
	kcv, err := keys.CheckValue(k)
	if err != nil {
		return nil, err
	}
	return kcv[:], nil
}
