package emv_test

import (
	"encoding/hex"
	"fmt"

	"github.com/payhsm/payhsm-gw/emv"
	"github.com/payhsm/payhsm-gw/internal/tdes"
)

// Verifying a Visa CVN 18 ARQC and answering with an ARPC (method 2), with
// the PYEMV test_cvn_hsm.py vector.
func ExampleDeriveKeys() {
	imkBytes, _ := hex.DecodeString("0123456789ABCDEFFEDCBA9876543210")
	imk, _ := tdes.New(imkBytes) // build once, reuse for every card
	p, _ := emv.LookupProfile("visa-cvn18")

	data, _ := hex.DecodeString("0000000040000000000000000124800004800001241911050152BF45851800001C" + // terminal data
		"06011203A0B800") // issuer application data 9F10
	arqc, _ := hex.DecodeString("7A788EA6B8A3E733")

	k, err := emv.DeriveKeys(imk, p, "1234567890123456", "00", [2]byte{0x00, 0x1C}, [4]byte{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer k.Clear()
	ok, err := k.VerifyARQC(data, [8]byte(arqc))
	fmt.Println("verified:", ok, err)
	arpc, _ := k.ARPC2([8]byte(arqc), [4]byte{}, nil)
	fmt.Printf("ARPC: %X, sent with %s scheme %c\n", arpc, p.Command, p.CommandScheme)
	// Output:
	// verified: true <nil>
	// ARPC: 9AF514C1, sent with KW scheme 3
}

// Building cryptogram input from ICC data (field 55).
func ExampleConcat() {
	icc, _ := hex.DecodeString("9F3602001C" + "9F370452BF4585" + "9C0101")
	tlvs, err := emv.ParseTLV(icc)
	if err != nil {
		fmt.Println(err)
		return
	}
	data, err := emv.Concat(tlvs, 0x9C, 0x9F37, 0x9F36)
	fmt.Printf("%X %v\n", data, err)
	_, err = emv.Concat(tlvs, 0x9F02)
	fmt.Println(err)
	// Output:
	// 0152BF4585001C <nil>
	// emv: tlv: tag 9F02 missing
}
