package keys_test

import (
	"encoding/hex"
	"fmt"
	"strings"

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
	file := `# the public Thales test LMK
00-01 0101010101010101 7902CD1FD36EF8BA
02-03 2020202020202020 3131313131313131
04-05 4040404040404040 5151515151515151
06-07 6161616161616161 7070707070707070
08-09 8080808080808080 9191919191919191
10-11 A1A1A1A1A1A1A1A1 B0B0B0B0B0B0B0B0
12-13 C1C1010101010101 D0D0010101010101
14-15 E0E0010101010101 F1F1010101010101
16-17 1C587F1C13924FEF 0101010101010101
18-19 0101010101010101 0101010101010101
20-21 0202020202020202 0404040404040404
22-23 0707070707070707 1010101010101010
24-25 1313131313131313 1515151515151515
26-27 1616161616161616 1919191919191919
28-29 1A1A1A1A1A1A1A1A 1C1C1C1C1C1C1C1C
30-31 2323232323232323 2525252525252525
32-33 2626262626262626 2929292929292929
34-35 2A2A2A2A2A2A2A2A 2C2C2C2C2C2C2C2C
36-37 2F2F2F2F2F2F2F2F 3131313131313131
38-39 0101010101010101 0101010101010101
`
	lmk, err := keys.ParseLMK(strings.NewReader(file))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%X\n", lmk.CheckValue())

	_, err = keys.ParseLMK(strings.NewReader(strings.Replace(file, "7902CD1F", "7902CD1E", 1)))
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
