package tr31_test

import (
	"encoding/hex"
	"fmt"

	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/tr31"
)

// Unwrapping the TR-31:2018 Annex A.7.2.1 example and showing the key's
// check value.
func ExampleUnwrap() {
	kbpk, _ := hex.DecodeString("89E88CF7931444F334BD7547FC3F380C")
	k, _ := keys.NewClearKey(kbpk)
	h, key, err := tr31.Unwrap(k, "A0072P0TE00E0000F5161ED902807AF26F1D62263644BD24192FDB3193C730301CEE8701")
	if err != nil {
		fmt.Println(err)
		return
	}
	kcv, _ := tr31.CheckValue(h.Algorithm, key)
	fmt.Printf("usage %s, algorithm %c, mode %c, key %v, KCV %X\n", h.KeyUsage, h.Algorithm, h.ModeOfUse, key, kcv[:3])
	// Output: usage P0, algorithm T, mode E, key [REDACTED], KCV CB9DEA
}
