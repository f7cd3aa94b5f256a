package card_test

import (
	"encoding/hex"
	"fmt"

	"github.com/payhsm/payhsm-gw/card"
)

// The classic published CVV example (also the payShield CW example's clear
// CVK): PAN 4123456789012345, expiry 8701, service code 101.
func ExampleCVK_Generate() {
	key, _ := hex.DecodeString("0123456789ABCDEFFEDCBA9876543210")
	k, err := card.NewCVK(key)
	if err != nil {
		panic(err)
	}
	cvv, _ := k.Generate("4123456789012345", "8701", "101")
	cvv2, _ := k.Generate("4123456789012345", "8701", card.CVV2.ServiceCode(""))
	ok, _ := k.Verify("4123456789012345", "8701", "101", "561")
	fmt.Println(cvv, cvv2, ok)
	// Output: 561 636 true
}

// Verifying a Visa CAVV as the REST layer does (pablom/go-cavv vector): the
// CY inputs come from CAVVInput; here the CVK checks it in process.
func ExampleCVK_VerifyCAVV() {
	raw, err := card.DecodeCAVV("BwABCXJ5k5YCIxA0cnmTAAAAAAA=")
	if err != nil {
		panic(err)
	}
	c, err := card.ParseCAVV(raw)
	if err != nil {
		panic(err)
	}
	pan16, expiry, serviceCode, _ := card.CAVVInput("4123456789012345", c)
	fmt.Println(c.AuthResultsCode, c.SecondFactorCode, c.KeyIndicator, c.ATN, c.Output)
	fmt.Println(pan16, expiry, serviceCode)

	key, _ := hex.DecodeString("0123456789ABCDEFFEDCBA9876543210")
	k, _ := card.NewCVK(key)
	ok, _ := k.VerifyCAVV("4123456789012345", c)
	fmt.Println(ok)
	// Output:
	// 7 00 01 9602231034727993 [REDACTED]
	// 4123456789012345 7993 700
	// true
}

// The Mastercard SPA AAV HMAC variant (pablom/go-cavv vector).
func ExampleAAVHMAC() {
	a := card.AAV{
		Control:      card.AAVControlAuthenticated,
		MerchantHash: card.MerchantHash("SPA Merchant, Inc."),
		ACSID:        1,
		AuthMethod:   1,
		BINKeyID:     1,
		TSN:          0x2F,
	}
	key, _ := hex.DecodeString("0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B0B")
	a.MAC, _ = card.AAVHMAC(key, "5432109876543210", a)
	fmt.Printf("%X\n", a.Append(nil))
	// Output: 8C7CA7FBB6058B511401110000002F3547BA1EFF
}
