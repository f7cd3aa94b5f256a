package simulator

import (
	"crypto/aes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/internal/testvec"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/dukpt"
	"github.com/payhsm/payhsm-gw/pin"
)

// Keys of the DUKPT contract's vectors under the test LMK
// (docs/spec/hostcmd-dukpt.md §5): the X9.24-1 A.4 BDK as 009, the
// ZPKs 1C1C… (ThalesSim CI test) and C715… (ThalesSim CU test) as 001, and
// the X9.24-3:2017 supplement's AES-128 BDK as 009.
const (
	dukptBDK    = "U8E3D3E2FD5919657F05A1AA90D32A014"
	dukptZPK    = "U9D961F6AF1D24B38AB37B320022FF57D"
	dukptZPK2   = "U1EF828AA8F6B80EB83E19FBC373F3A85"
	dukptAESBDK = "UC0106228334ECB2E12B49BA556660547"
)

// TestCIPublishedBlocks sends every TDES DUKPT PIN block of ANSI
// X9.24-1:2009 A.4.2/A.4.3 (PIN 1234, PAN 4012345678909, as printed by
// openemv/dukpt test/dukpt_tdes_test.c; testvec.DUKPTPINBlocks) through CI
// and G0: each must come back as the same PIN under the ZPK, the block of
// ThalesSim's CI test (7D26134E85E7DADF).
func TestCIPublishedBlocks(t *testing.T) {
	blocks, _ := testvec.DUKPTPINBlocks(t)
	h := NewHSM(nil)
	for _, b := range blocks {
		ci := "CI" + dukptBDK + dukptZPK + "605" + b.KSN + b.Block + "01" + "401234567890"
		if have := string(h.Execute(nil, []byte(ci))); have != "CJ00047D26134E85E7DADF01" {
			t.Errorf("CI %s: have %q", b.KSN, have)
		}
		g0 := "G0" + dukptBDK + dukptZPK + "A05" + b.KSN + b.Block + "01" + "01" + "401234567890"
		if have := string(h.Execute(nil, []byte(g0))); have != "G100047D26134E85E7DADF01" {
			t.Errorf("G0 %s: have %q", b.KSN, have)
		}
	}
}

// TestG0AESPublishedBlocks sends the AES DUKPT format 4 PIN blocks of the
// ANSI X9.24-3:2017 supplement (PIN 1234, PAN 4111111111111111, as printed
// by openemv/dukpt test/dukpt_aes128_test.c) through the AES form of G0: each
// is PIN 1234, so each answers the same ISO-0 block under the ZPK.
func TestG0AESPublishedBlocks(t *testing.T) {
	_, blocks := testvec.DUKPTPINBlocks(t)
	h := NewHSM(nil)
	for _, b := range blocks {
		g0 := "G0" + dukptAESBDK + dukptZPK2 + "018" + b.KSN + b.Block + "48" + "01" + "4111111111111111;"
		if have := string(h.Execute(nil, []byte(g0))); have != "G10004F6052A5891953D7501" {
			t.Errorf("G0 AES %s: have %q", b.KSN, have)
		}
	}
	// Another KSN than the block's: the block does not decode (20).
	g0 := "G0" + dukptAESBDK + dukptZPK2 + "018" + blocks[1].KSN + blocks[0].Block + "48" + "01" + "4111111111111111;"
	if have := string(h.Execute(nil, []byte(g0))); have != "G120" {
		t.Errorf("wrong KSN: have %q", have)
	}
}

// TestG0AESBDKParityNotChecked: an AES BDK is used whatever the parity of
// its bytes (hostcmd-dukpt.md §1). The cryptogram below fails the TDES
// parity check as a BDK (CJ10); as an AES BDK it is a key like any other,
// and a block made for it with keys/dukpt translates.
func TestG0AESBDKParityNotChecked(t *testing.T) {
	const ct = "U8E3D3E2FD5919657F05A1AA90D32A015"
	raw, _ := hex.DecodeString(ct[1:])
	bdk, err := keys.TestLMK().DecryptAES(keys.BDK, keys.SchemeU, raw)
	if err != nil || keys.CheckParity(bdk.Bytes()) {
		t.Fatalf("want a key with a parity error: %v", err)
	}
	ksn, _ := dukpt.ParseAESKSN("0102030405060708000000F0")
	pk, err := dukpt.DeriveAES(bdk, ksn, dukpt.UsagePIN, dukpt.AES128)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := aes.NewCipher(pk.Bytes())
	p, _ := pin.ParsePIN("987654")
	block, err := pin.EncryptBlock(nil, c, pin.ISO4, p, "5413330089020011", nil)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHSM(nil)
	g0 := "G0" + ct + dukptZPK2 + "018" + ksn.String() + strings.ToUpper(hex.EncodeToString(block)) + "48" + "03" + "5413330089020011;"
	// Format 03 (IBM 3624): the PIN padded with F, under the ZPK.
	zpk, _ := keys.TestLMK().Decrypt(keys.ZPK, keys.SchemeU, mustHex(t, dukptZPK2[1:]))
	zc, _ := tdes.New(zpk.Bytes())
	want, _ := pin.EncryptBlock(nil, zc, pin.IBM3624, p, "", nil)
	if have := string(h.Execute(nil, []byte(g0))); have != "G10006"+strings.ToUpper(hex.EncodeToString(want))+"03" {
		t.Errorf("have %q, want the PIN under the ZPK in format 03", have)
	}
}

// TestDUKPTKeyAndBlockErrors: the contract's codes for keys of the wrong
// type, and for a block that decodes to a PIN length outside 4..12.
func TestDUKPTKeyAndBlockErrors(t *testing.T) {
	h := NewHSM(nil)
	const rest = "605FFFF9876543210E000011B9C1845EB993A7A01401234567890"
	tests := []struct{ name, body, want string }{
		// A ZPK given as the BDK decrypts under LMK 28-29 to a key with a
		// parity error; a BDK given as the ZPK likewise under 06-07.
		{"ZPK as BDK", "CI" + dukptZPK + dukptZPK + rest, "CJ10"},
		{"BDK as ZPK", "CI" + dukptBDK + dukptBDK + rest, "CJ11"},
		{"LMK identifier", "CI" + dukptBDK + dukptZPK + rest + "%01", "CJ13"},
		{"triple-length BDK", "G0T" + strings.Repeat("0123456789ABCDEF", 3) + dukptZPK + "605FFFF9876543210E000011B9C1845EB993A7A0101401234567890", "G127"},
	}
	// PIN length 3: an ISO-0 block with length nibble 3 under the PIN key
	// of KSN E00001.
	bdk, _ := keys.TestLMK().Decrypt(keys.BDK, keys.SchemeU, mustHex(t, dukptBDK[1:]))
	ksn, _ := dukpt.ParseKSN("FFFF9876543210E00001")
	pk, _ := dukpt.DeriveTDES(bdk, ksn, dukpt.VariantPIN)
	c, _ := tdes.New(pk.Bytes())
	blk := mustHex(t, "03123FFFFFFFFFFF")
	acct := mustHex(t, "0000401234567890")
	for i := range blk {
		blk[i] ^= acct[i]
	}
	c.Encrypt(blk, blk)
	short := strings.ToUpper(hex.EncodeToString(blk))
	tests = append(tests, struct{ name, body, want string }{"PIN length 3",
		"CI" + dukptBDK + dukptZPK + "605FFFF9876543210E00001" + short + "01401234567890", "CJ24"})
	for _, tt := range tests {
		if have := string(h.Execute(nil, []byte(tt.body))); have != tt.want {
			t.Errorf("%s: have %q, want %q", tt.name, have, tt.want)
		}
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
