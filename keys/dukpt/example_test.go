package dukpt_test

import (
	"crypto/des"
	"encoding/hex"
	"fmt"

	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/dukpt"
)

// Derive the PIN key of the first X9.24-1:2009 A.4 transaction and
// decrypt its PIN block back to the ISO-0 clear block.
func ExampleDeriveTDES() {
	raw, _ := hex.DecodeString("0123456789ABCDEFFEDCBA9876543210")
	bdk, _ := keys.NewClearKey(raw)
	clear(raw)
	defer bdk.Destroy()

	ksn, err := dukpt.ParseKSN("FFFF9876543210E00001")
	if err != nil {
		panic(err)
	}
	pinKey, err := dukpt.DeriveTDES(bdk, ksn, dukpt.VariantPIN)
	if err != nil {
		panic(err)
	}
	defer pinKey.Destroy()

	k := pinKey.Bytes()
	c, _ := des.NewTripleDESCipher(append(append([]byte{}, k...), k[:8]...))
	block, _ := hex.DecodeString("1B9C1845EB993A7A")
	c.Decrypt(block, block)
	fmt.Printf("KSN %s counter %d: clear block %X\n", ksn, ksn.Counter(), block)
	// Output: KSN FFFF9876543210E00001 counter 1: clear block 041274EDCBA9876F
}

// The counter rules: a terminal never sends a counter with more than 10
// bits set (TDES) or 16 (AES).
func ExampleParseKSN() {
	_, err := dukpt.ParseKSN("FFFF9876543210E007FF")
	fmt.Println(err)
	_, err = dukpt.ParseAESKSN("FFFF9876543210E00001")
	fmt.Println(err)
	// Output:
	// dukpt: invalid transaction counter: 11 bits set, at most 10 allowed
	// dukpt: wrong KSN length: AES KSN has 20 characters, want 24 hex digits
}
