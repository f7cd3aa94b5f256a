package keys_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"

	"github.com/payhsm/payhsm-gw/keys"
)

// Wrap the public test key 0123456789ABCDEFFEDCBA9876543210 as a TPK in
// scheme U under the Thales test LMK, and show its key check value.
func ExampleLMK_Encrypt() {
	clearBytes, _ := hex.DecodeString("0123456789ABCDEFFEDCBA9876543210")
	k, err := keys.NewClearKey(clearBytes)
	clear(clearBytes)
	if err != nil {
		panic(err)
	}
	defer k.Destroy()

	lmk := keys.TestLMK()
	ct, err := lmk.Encrypt(keys.TPK, keys.SchemeU, k)
	if err != nil {
		panic(err)
	}
	kcv, _ := keys.CheckValue(k)
	fmt.Printf("%c%X %X\n", keys.SchemeU.Prefix(), ct, kcv[:3])
	// Output: U1750CDFB0757D3B3994430636DBB281B 08D7B4
}

// Unwrap a key field as a host command carries it, and print it by mistake:
// the clear key redacts itself.
func ExampleLMK_Decrypt() {
	field := "U8463435FC4B4DAA0C49025272C29B12C" // a TPK from ThalesSim's tests
	s, err := keys.ParseScheme(field[0])
	if err != nil {
		panic(err)
	}
	ct, err := hex.DecodeString(field[1:])
	if err != nil {
		panic(err)
	}
	k, err := keys.TestLMK().Decrypt(keys.TPK, s, ct)
	if err != nil {
		panic(err) // a parity error wraps keys.ErrParity: error 10 or 11
	}
	defer k.Destroy()
	kcv, _ := keys.CheckValue(k)
	fmt.Printf("key %v %x, KCV %X\n", k, k, kcv[:3])
	// Output: key [REDACTED] [REDACTED], KCV 070753
}

// Load an LMK from the file format of `payhsm-gw sim --lmk FILE` and print
// its NC check value.
func ExampleParseLMK() {
	file, err := os.ReadFile("test.lmk") // the public Thales test LMK
	if err != nil {
		panic(err)
	}
	lmk, err := keys.ParseLMK(bytes.NewReader(file))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%X\n", lmk.CheckValue())

	_, err = keys.ParseLMK(bytes.NewReader(bytes.Replace(file, []byte("7902CD1F"), []byte("7902CD1E"), 1)))
	fmt.Println(err)
	// Output:
	// 7D22274C5745C5A1
	// keys: LMK file line 2: right half of pair 00-01 is not odd parity
}

// Encrypt a PIN under the LMK for an account and decrypt it again.
func ExampleLMK_EncryptPIN() {
	lmk := keys.TestLMK()
	enc, err := lmk.EncryptPIN([]byte("1234"), "550000025321")
	if err != nil {
		panic(err)
	}
	pin, err := lmk.DecryptPIN(enc, "550000025321")
	fmt.Println(string(enc), string(pin), err)
	_, err = lmk.DecryptPIN(enc, "550000025322")
	fmt.Println(err)
	// Output:
	// 88485 1234 <nil>
	// keys: invalid PIN under LMK
}
