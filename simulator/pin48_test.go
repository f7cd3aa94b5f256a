package simulator

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/tr31"
	"github.com/payhsm/payhsm-gw/pin"
)

// Format 48 in JE, JG, DC, EC, DA and EA under the test AES key-block LMK
// (hostcmd-keyblocks.md §9). Public inputs:
//   - the ANSI X9.24-3:2017 format 4 example (via openemv/dukpt
//     test/dukpt_aes128_test.c, KSN ...0001): AES key AF8C...93FB, PIN 1234,
//     PAN 4111111111111111, block A912...2D15; the ZPK below is that key
//     under the LMK (hostcmd-keyblocks.md §9's worked example);
//   - Visa PVV: PSEC tests/test_pin.py (PVK 0123...3210, PAN
//     1122334455667788, PVKI 1, PIN 4524, PVV 8523) and CryptoCarver
//     PaymentControlValuesTest (PAN 4111111111111111, PIN 1234, PVV 9464);
//   - IBM 3624: CryptoCarver PaymentControlValuesTest (validation data
//     0000 + account 111111111111, table 0123456789012345, offset 6569 for
//     PIN 1234).
//
// The PIN under the LMK (ours) is from keys/testdata/kb_pin_under_lmk_ref.py,
// an independent implementation: PIN 1234, account 111111111111 -> 02675.
const (
	x9ZPK      = "S10096P0AB00E000041FAA8814866CBA77400211DD0AB06AE7CFDB3E5BCDA1CCF84E3F447432DD7627726D8F869190207"
	x9Key      = "AF8CB133A78F8DC2D1359F18527593FB"
	x9Block    = "A912150391AB65A67E52883D81CE2D15"
	x9PAN      = "4111111111111111"
	tdesZPK    = "S1009672TB00E0000260C61387216C1775918C0E16AC93C9A46539B800A0925CDA80880245B697242D4F0D11FD26991FE"
	testPVKHex = "0123456789ABCDEFFEDCBA9876543210"
)

// sBlock wraps the clear key under the test AES key-block LMK with the
// given usage, algorithm and mode of use.
func aesS(t testing.TB, usage string, alg, mode byte, key string) string {
	t.Helper()
	return sBlock(t, keys.TestAESKeyBlockLMK(), tr31.Header{KeyUsage: usage, Algorithm: alg, ModeOfUse: mode, Exportability: 'E'}, key)
}

func TestJEJGFormat48(t *testing.T) {
	h := kbHSM(t)
	// JE: the X9.24-3 block becomes the PIN under the LMK.
	got := string(h.Execute(nil, []byte("JE"+x9ZPK+x9Block+"48"+x9PAN+";")))
	if got != "JF00"+"02675" {
		t.Fatalf("JE 48 answered %q, want JF0002675", got)
	}
	// JG to a TDES ZPK in format 01: PIN 1234, account 111111111111 (ISO 0
	// checked with pyca/cryptography Triple DES).
	got = string(h.Execute(nil, []byte("JG"+tdesZPK+"01"+"111111111111"+"02675")))
	if got != "JH00"+"2A3D408A1977DDE9" {
		t.Fatalf("JG 01 answered %q", got)
	}
	// JG back to the AES ZPK in format 48: a new random half, so decrypt.
	first := ""
	for i := range 2 {
		got = string(h.Execute(nil, []byte("JG"+x9ZPK+"48"+x9PAN+";"+"02675")))
		if !strings.HasPrefix(got, "JH00") || len(got) != 4+32 {
			t.Fatalf("JG 48 answered %q", got)
		}
		b, _ := hex.DecodeString(got[4:])
		c := aesCipher(t, x9Key)
		p, err := pin.DecryptBlock(c, pin.ISO4, b, x9PAN)
		if err != nil || !p.Equal(mustPIN(t, "1234")) {
			t.Fatalf("JG 48 block does not decrypt to the PIN: %v", err)
		}
		if i == 0 {
			first = got
		} else if got == first {
			t.Error("two JG 48 answers are equal: the random half is not random")
		}
	}
}

func TestVerifyFormat48(t *testing.T) {
	h := kbHSM(t)
	pvkPVV := aesS(t, "V2", 'T', 'V', testPVKHex)
	pvkIBM := aesS(t, "V1", 'T', 'V', testPVKHex)
	// PSEC's PVV case, its PIN as a format 4 block under the AES key.
	psecBlock := iso4Block(t, x9Key, "4524", "1122334455667788")
	for _, tt := range []struct{ name, body, want string }{
		{"EC, X9.24-3 block, CryptoCarver PVV", "EC" + x9ZPK + pvkPVV + x9Block + "48" + x9PAN + ";" + "1" + "9464", "ED00"},
		{"DC, X9.24-3 block as TPK, CryptoCarver PVV", "DC" + x9ZPK + pvkPVV + x9Block + "48" + x9PAN + ";" + "1" + "9464", "DD00"},
		{"EC, PSEC PVV", "EC" + x9ZPK + pvkPVV + psecBlock + "48" + "1122334455667788;" + "1" + "8523", "ED00"},
		{"EC, PSEC PVV, wrong PVKI", "EC" + x9ZPK + pvkPVV + psecBlock + "48" + "1122334455667788;" + "2" + "8523", "ED01"},
		{"EC, wrong PVV", "EC" + x9ZPK + pvkPVV + x9Block + "48" + x9PAN + ";" + "1" + "9465", "ED01"},
		{"EC, another PAN", "EC" + x9ZPK + pvkPVV + x9Block + "48" + "4111111111111112;" + "1" + "9464", "ED20"},
		{"EA, CryptoCarver offset", "EA" + x9ZPK + pvkIBM + "12" + x9Block + "48" + "04" + x9PAN + ";" + "0123456789012345" + "00001111111N" + "6569FFFFFFFF", "EB00"},
		{"DA, CryptoCarver offset", "DA" + x9ZPK + pvkIBM + "12" + x9Block + "48" + "04" + x9PAN + ";" + "0123456789012345" + "00001111111N" + "6569FFFFFFFF", "DB00"},
		{"EA, wrong offset", "EA" + x9ZPK + pvkIBM + "12" + x9Block + "48" + "04" + x9PAN + ";" + "0123456789012345" + "00001111111N" + "6568FFFFFFFF", "EB01"},
		// Key and format that do not fit (27), roles (A6).
		{"EC, format 01 under an AES ZPK", "EC" + x9ZPK + pvkPVV + x9Block + "01" + "111111111111" + "1" + "9464", "ED27"},
		{"EC, format 48 under a TDES ZPK", "EC" + tdesZPK + pvkPVV + "2A3D408A1977DDE9" + "48" + x9PAN + ";" + "1" + "9464", "ED27"},
		{"EC, an IBM PVK for PVV", "EC" + x9ZPK + pvkIBM + x9Block + "48" + x9PAN + ";" + "1" + "9464", "EDA6"},
		{"EA, a PVV PVK for IBM", "EA" + x9ZPK + pvkPVV + "12" + x9Block + "48" + "04" + x9PAN + ";" + "0123456789012345" + "00001111111N" + "6569FFFFFFFF", "EBA6"},
		{"JE, format 48 under a TDES ZPK", "JE" + tdesZPK + "2A3D408A1977DDE9" + "48" + x9PAN + ";", "JF27"},
		{"JE, PAN too short for the account field", "JE" + x9ZPK + iso4Block(t, x9Key, "1234", "1234567") + "48" + "1234567;", "JF22"},
		{"JG, PIN under LMK of another account", "JG" + x9ZPK + "48" + "4111111111111121;" + "02675", "JH14"},
		{"JG, a PVK as ZPK", "JG" + pvkPVV + "48" + x9PAN + ";" + "02675", "JHA6"},
		{"JG, a decrypt-only ZPK", "JG" + aesS(t, "P0", 'A', 'D', x9Key) + "48" + x9PAN + ";" + "02675", "JHA8"},
	} {
		if got := string(h.Execute(nil, []byte(tt.body))); got != tt.want {
			t.Errorf("%s: have %q, want %q", tt.name, got, tt.want)
		}
	}
}

// Under a variant LMK every PIN key is Triple DES, so format 48 answers 27
// (pin.ErrKey), as in CA.
func TestFormat48UnderVariantLMK(t *testing.T) {
	h := NewHSM(nil)
	const zpkU = "U1EF828AA8F6B80EB83E19FBC373F3A85"
	if got := string(h.Execute(nil, []byte("JE"+zpkU+"2A3D408A1977DDE9"+"48"+x9PAN+";"))); got != "JF27" {
		t.Errorf("JE 48 under a variant ZPK: %q, want JF27", got)
	}
}

func iso4Block(t testing.TB, key, digits, pan string) string {
	t.Helper()
	b, err := pin.EncryptBlock(nil, aesCipher(t, key), pin.ISO4, mustPIN(t, digits), pan, nil)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

func aesCipher(t testing.TB, key string) cipher.Block {
	t.Helper()
	c, err := aes.NewCipher(unhex(t, key))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustPIN(t testing.TB, digits string) pin.PIN {
	t.Helper()
	p, err := pin.ParsePIN(digits)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// FuzzExecuteFormat48 feeds arbitrary bodies to an HSM under the test AES
// key-block LMK, seeded with the format 48 commands of this file: the
// answer is always a response of the command's code and a valid error code.
func FuzzExecuteFormat48(f *testing.F) {
	for _, s := range []string{
		"JE" + x9ZPK + x9Block + "48" + x9PAN + ";",
		"JG" + x9ZPK + "48" + x9PAN + ";" + "02675",
		"JG" + tdesZPK + "01" + "111111111111" + "02675%00\x19t",
		"EC" + x9ZPK + x9ZPK + x9Block + "48" + x9PAN + ";" + "1" + "9464",
		"DA" + x9ZPK + tdesZPK + "12" + x9Block + "48" + "04" + x9PAN + ";" + "0123456789012345" + "00001111111N" + "6569FFFFFFFF",
		"CC" + x9ZPK + tdesZPK + "12" + x9Block + "48" + "01" + x9PAN + ";",
		"CA" + x9ZPK + x9ZPK + "12" + x9Block + "48" + "48" + "4;",
	} {
		f.Add([]byte(s))
	}
	h := kbHSM(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if err := badAnswer(body, h.Execute(nil, body)); err != nil {
			t.Fatal(err)
		}
	})
}
