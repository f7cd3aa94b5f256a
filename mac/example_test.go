package mac_test

import (
	"crypto/aes"
	"encoding/hex"
	"fmt"

	"github.com/payhsm/payhsm-gw/mac"
)

// The ANSI X9.19 retail MAC of ISO/IEC 9797-1:2011 Annex B.4.
func ExampleRetail() {
	key, _ := hex.DecodeString("0123456789ABCDEFFEDCBA9876543210")
	r, err := mac.NewRetail(key)
	if err != nil {
		panic(err)
	}
	m, err := r.MAC(nil, []byte("Now is the time for all "), mac.PaddingMethod1)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%X\n", m[:4]) // X9.19 keeps the leftmost 4 bytes
	// Output: A1C72E74
}

// The AES-128 CMAC of the empty message, NIST SP 800-38B Appendix D.1.
func ExampleCMAC() {
	key, _ := hex.DecodeString("2b7e151628aed2a6abf7158809cf4f3c")
	b, _ := aes.NewCipher(key)
	fmt.Printf("%x\n", mac.CMAC(b, nil))
	// Output: bb1d6929e95937287fa37d129b756746
}
