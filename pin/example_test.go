package pin_test

import (
	"encoding/hex"
	"fmt"

	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/pin"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// Encipher an ISO format 0 block: the jPOS pinUnderZPK vector.
func ExampleEncryptBlock() {
	zpk, _ := tdes.New(mustHex("12345678123456781234567812345678"))
	account, _ := pin.AccountFromPAN("1234567890123456")
	p, _ := pin.ParsePIN("1234")
	block, err := pin.EncryptBlock(nil, zpk, pin.ISO0, p, account, nil)
	fmt.Printf("%X %v\n", block, err)
	// Output: ABE38E29B58EA392 <nil>
}

// Translate a PIN block from a TPK to a ZPK as payShield CA does (ThalesSim
// TestTranslatePINFromTPKToZMK, with the clear keys).
func ExampleTranslate() {
	tpk, _ := tdes.New(mustHex("D3DCC7EA9BCB755D254620B376B3D007"))
	zpk, _ := tdes.New(mustHex("C7152C20BC2C830EA7EC9E8334ABE3FE"))
	out, n, err := pin.Translate(nil, mustHex("6428EB94035AF53B"), tpk, pin.ISO0, zpk, pin.ISO0, "550000025321", nil)
	fmt.Printf("%02d %X %v\n", n, out, err)
	// Output: 04 91DDDA0A7C12CFAA <nil>
}

// Compute and verify a Visa PVV (psec test vector).
func ExamplePVV() {
	pvk, _ := tdes.New(mustHex("0123456789ABCDEFFEDCBA9876543210"))
	account, _ := pin.AccountFromPAN("1122334455667788")
	p, _ := pin.ParsePIN("4524")
	pvv, _ := pin.PVV(pvk, account, 1, p)
	ok, _ := pin.VerifyPVV(pvk, account, 1, p, "8523")
	fmt.Println(string(pvv[:]), ok)
	// Output: 8523 true
}

// Verify a PIN by IBM 3624 offset with payShield's conventions (the DA
// example: validation data with N, offset F-padded to 12).
func ExampleVerifyOffset() {
	pvk, _ := tdes.New(mustHex("0123456789ABCDEF"))
	table, _ := pin.ParseDecTable("0123456789012345")
	vdata, _ := pin.ExpandValidationData("55000002532N", "550000025321")
	p, _ := pin.ParsePIN("1234")
	natural, _ := pin.NaturalPIN(pvk, vdata, table, 4)
	offset, _ := pin.Offset(pvk, vdata, table, p)
	field, _ := pin.PadOffset(offset)
	ok, _ := pin.VerifyOffset(pvk, vdata, table, 4, field, p)
	fmt.Println(vdata, string(natural.AppendDigits(nil)), field, ok)
	// Output: 5500000253225321 2536 9708FFFFFFFF true
}

// A PIN redacts itself wherever it is printed.
func ExamplePIN() {
	p, _ := pin.ParsePIN("1234")
	fmt.Printf("%v %d %#v %d digits\n", p, p, p, p.Len())
	// Output: [REDACTED] [REDACTED] [REDACTED] 4 digits
}
