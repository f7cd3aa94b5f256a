package main

import (
	"os"

	"github.com/payhsm/payhsm-gw/keys"
)

// loadAnyLMK returns the LMK 'sim --lmk' names: the public variant test LMK
// for "test", the test AES key-block LMK for "keyblock-test", the test
// Triple DES key-block LMK for "keyblock-test-tdes", else the LMK of either
// kind in the file (keys.ParseAnyLMK; docs/spec/hostcmd-keyblocks.md §1).
func loadAnyLMK(arg string) (keys.AnyLMK, error) {
	switch arg {
	case "test":
		return keys.AnyLMK{Variant: keys.TestLMK()}, nil
	case "keyblock-test":
		return keys.AnyLMK{KeyBlock: keys.TestAESKeyBlockLMK()}, nil
	case "keyblock-test-tdes":
		return keys.AnyLMK{KeyBlock: keys.TestTDESKeyBlockLMK()}, nil
	}
	f, err := os.Open(arg)
	if err != nil {
		return keys.AnyLMK{}, err
	}
	defer f.Close()
	return keys.ParseAnyLMK(f)
}
