package conformance

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/internal/testvec"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/dukpt"
	"github.com/payhsm/payhsm-gw/pin"
)

func dukptKey(t *testing.T, s string) keys.ClearKey {
	t.Helper()
	return testvec.Make(t, s, keys.NewClearKey)
}

func TestDUKPTPINBlock(t *testing.T) {
	bdk := dukptKey(t, "0123456789ABCDEFFEDCBA9876543210")
	p, _ := pin.ParsePIN("1234")
	// The published blocks (testvec.DUKPTPINBlocks names their sources).
	tdesBlocks, _ := testvec.DUKPTPINBlocks(t)
	for _, tc := range tdesBlocks {
		ksn, err := dukpt.ParseKSN(tc.KSN)
		if err != nil {
			t.Fatal(err)
		}
		b, err := DUKPTPINBlock(bdk, ksn, p, "4012345678909")
		if err != nil || strings.ToUpper(hex.EncodeToString(b)) != tc.Block {
			t.Errorf("%s: have %X, %v; want %s", tc.KSN, b, err, tc.Block)
		}
	}
	ksn, _ := dukpt.ParseKSN("FFFF9876543210E00001")
	if _, err := DUKPTPINBlock(bdk, ksn, p, "40123"); !errors.Is(err, pin.ErrAccount) {
		t.Errorf("short PAN: err %v", err)
	}
	if _, err := DUKPTPINBlock(dukptKey(t, "0123456789ABCDEF"), ksn, p, "4012345678909"); !errors.Is(err, dukpt.ErrBDK) {
		t.Errorf("single-length BDK: err %v", err)
	}
}

func TestAESDUKPTPINBlock(t *testing.T) {
	bdk := dukptKey(t, "FEDCBA9876543210F1F1F1F1F1F1F1F1")
	p, _ := pin.ParsePIN("1234")
	random, _ := hex.DecodeString("2F69ADDE2E9E7ACE")
	_, aesBlocks := testvec.DUKPTPINBlocks(t)
	for _, tc := range aesBlocks {
		ksn, err := dukpt.ParseAESKSN(tc.KSN)
		if err != nil {
			t.Fatal(err)
		}
		b, err := AESDUKPTPINBlock(bdk, ksn, dukpt.AES128, p, "4111111111111111", bytes.NewReader(random))
		if err != nil || strings.ToUpper(hex.EncodeToString(b)) != tc.Block {
			t.Errorf("%s: have %X, %v; want %s", tc.KSN, b, err, tc.Block)
		}
	}
	ksn, _ := dukpt.ParseAESKSN("123456789012345600000001")
	for _, kt := range []dukpt.KeyType{dukpt.TDES2, dukpt.HMAC128} {
		if _, err := AESDUKPTPINBlock(bdk, ksn, kt, p, "4111111111111111", nil); !errors.Is(err, dukpt.ErrKeyType) {
			t.Errorf("%s PIN key: err %v", kt, err)
		}
	}
	if _, err := AESDUKPTPINBlock(bdk, ksn, dukpt.AES256, p, "4111111111111111", nil); !errors.Is(err, dukpt.ErrKeyType) {
		t.Errorf("AES-256 key from an AES-128 BDK: err %v", err)
	}
	// With crypto/rand the block differs each time but stays 16 bytes.
	b1, err1 := AESDUKPTPINBlock(bdk, ksn, dukpt.AES128, p, "4111111111111111", nil)
	b2, err2 := AESDUKPTPINBlock(bdk, ksn, dukpt.AES128, p, "4111111111111111", nil)
	if err1 != nil || err2 != nil || len(b1) != 16 || bytes.Equal(b1, b2) {
		t.Errorf("random fill: %X %X %v %v", b1, b2, err1, err2)
	}
}

// TestDUKPTTerminal: a terminal started at the A.4 initial KSN sends the
// published sequence, and concurrent callers never share a KSN.
func TestDUKPTTerminal(t *testing.T) {
	bdk := dukptKey(t, "0123456789ABCDEFFEDCBA9876543210")
	p, _ := pin.ParsePIN("1234")
	ksn, _ := dukpt.ParseKSN("FFFF9876543210E00001")
	term := NewDUKPTTerminal(bdk, ksn.Initial())
	tdesBlocks, _ := testvec.DUKPTPINBlocks(t)
	for _, want := range tdesBlocks[:3] {
		k, b, err := term.PINBlock(p, "4012345678909")
		if err != nil || k.String() != want.KSN || strings.ToUpper(hex.EncodeToString(b)) != want.Block {
			t.Fatalf("have %s %X %v, want %s %s", k, b, err, want.KSN, want.Block)
		}
	}
	var mu sync.Mutex
	seen := map[dukpt.KSN]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				k, _, err := term.PINBlock(p, "4012345678909")
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[k] {
					t.Errorf("KSN %s used twice", k)
				}
				seen[k] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	last, _ := dukpt.ParseKSN("FFFF9876543210FFF800")
	done := NewDUKPTTerminal(bdk, last)
	if _, _, err := done.PINBlock(p, "4012345678909"); !errors.Is(err, dukpt.ErrCounter) {
		t.Errorf("exhausted terminal: err %v", err)
	}
}

// TestDUKPTWireVectorCrypto recomputes the answers of the CI and G0 wire
// vectors that docs/spec/hostcmd-dukpt.md carries, under the public test
// LMK: the BDK (009) and ZPK (001) cryptograms unwrap, the DUKPT PIN block
// decrypts under the PIN key of its KSN, and the ISO-0 block of the same
// PIN under the ZPK is the block of the response. CI: nickntg's
// ThalesSim TestTranslatePINFromDukptoZPK (also with KSN ...E00010 and
// ...EFFC00); G0: the same inputs as its TestTranslatePINFromDukptToZPK3DES
// with the ZPK of its CU test. The BDK cryptogram decrypts to the X9.24-1
// A.4 BDK (KCV 08D7B4).
func TestDUKPTWireVectorCrypto(t *testing.T) {
	lmk := keys.TestLMK()
	unwrap := func(kt keys.KeyType, field string) keys.ClearKey {
		t.Helper()
		ct, err := hex.DecodeString(field[1:])
		if err != nil {
			t.Fatal(err)
		}
		k, err := lmk.Decrypt(kt, keys.Scheme(field[0]), ct)
		if err != nil {
			t.Fatalf("unwrap %s: %v", kt, err)
		}
		return k
	}
	bdk := unwrap(keys.BDK, "U8E3D3E2FD5919657F05A1AA90D32A014")
	if kcv, _ := keys.CheckValue(bdk); hex.EncodeToString(kcv[:3]) != "08d7b4" {
		t.Fatalf("BDK KCV %X", kcv[:3])
	}
	tests := []struct {
		name, zpk, kcv, ksn, in, out string
	}{
		{"CI", "U9D961F6AF1D24B38AB37B320022FF57D", "77800C", "FFFF9876543210E00001", "1B9C1845EB993A7A", "7D26134E85E7DADF"},
		{"CI", "U9D961F6AF1D24B38AB37B320022FF57D", "77800C", "FFFF9876543210E00010", "D5D9638559EF53D6", "7D26134E85E7DADF"},
		{"CI", "U9D961F6AF1D24B38AB37B320022FF57D", "77800C", "FFFF9876543210EFFC00", "DEFC6F09F8927B71", "7D26134E85E7DADF"},
		{"G0", "U1EF828AA8F6B80EB83E19FBC373F3A85", "6F1E3F", "FFFF9876543210E00008", "50E55547A5027551", "AC623CC691B16CBF"},
	}
	const acct = "401234567890"
	want, _ := pin.ParsePIN("1234")
	for _, tc := range tests {
		desc, _ := dukpt.ParseKSNDescriptor("605")
		ksn, err := desc.ParseTDES(tc.ksn)
		if err != nil {
			t.Fatal(err)
		}
		pk, err := dukpt.DeriveTDES(bdk, ksn, dukpt.VariantPIN)
		if err != nil {
			t.Fatal(err)
		}
		pc, _ := tdesCipher(pk.Bytes())
		in, _ := hex.DecodeString(tc.in)
		p, err := pin.DecryptBlock(pc, pin.ISO0, in, acct)
		if err != nil || !p.Equal(want) {
			t.Fatalf("%s %s: DUKPT block does not decrypt to the PIN: %v", tc.name, tc.ksn, err)
		}
		zpk := unwrap(keys.ZPK, tc.zpk)
		if kcv, _ := keys.CheckValue(zpk); strings.ToUpper(hex.EncodeToString(kcv[:3])) != tc.kcv {
			t.Errorf("%s: ZPK KCV %X, want %s", tc.name, kcv[:3], tc.kcv)
		}
		zc, _ := tdesCipher(zpk.Bytes())
		out, err := pin.EncryptBlock(nil, zc, pin.ISO0, p, acct, nil)
		if err != nil || strings.ToUpper(hex.EncodeToString(out)) != tc.out {
			t.Errorf("%s %s: block under ZPK %X, %v; want %s", tc.name, tc.ksn, out, err, tc.out)
		}
	}
}

func tdesCipher(k []byte) (cipher.Block, error) { return tdes.New(k) }

// TestDUKPTContractCrypto recomputes the rows of hostcmd-dukpt.md §5 that
// depend on cryptography beyond the public vectors: the AES form of G0
// (ours: layout and answer; BDK and source block from the X9.24-3:2017
// supplement) and the error cases decided by parity or by the PIN block.
func TestDUKPTContractCrypto(t *testing.T) {
	lmk := keys.TestLMK()
	decrypt := func(kt keys.KeyType, field string) (keys.ClearKey, error) {
		ct, err := hex.DecodeString(field[1:])
		if err != nil {
			t.Fatal(err)
		}
		return lmk.Decrypt(kt, keys.Scheme(field[0]), ct)
	}

	// G0, AES form.
	bdk, err := decrypt(keys.BDK, "UC0106228334ECB2E12B49BA556660547")
	if err != nil || strings.ToUpper(hex.EncodeToString(bdk.Bytes())) != "FEDCBA9876543210F1F1F1F1F1F1F1F1" {
		t.Fatalf("AES BDK cryptogram: %v", err)
	}
	ksn, err := dukpt.ParseAESKSN("123456789012345600000001")
	if err != nil {
		t.Fatal(err)
	}
	pk, err := dukpt.DeriveAES(bdk, ksn, dukpt.UsagePIN, dukpt.AES128)
	if err != nil {
		t.Fatal(err)
	}
	ac, _ := aesCipher(pk.Bytes())
	src, _ := hex.DecodeString("A912150391AB65A67E52883D81CE2D15")
	p, err := pin.DecryptBlock(ac, pin.ISO4, src, "4111111111111111")
	if want, _ := pin.ParsePIN("1234"); err != nil || !p.Equal(want) {
		t.Fatalf("AES source block: %v", err)
	}
	zpk, _ := decrypt(keys.ZPK, "U1EF828AA8F6B80EB83E19FBC373F3A85")
	zc, _ := tdesCipher(zpk.Bytes())
	acct, _ := pin.AccountFromPAN("4111111111111111")
	out, err := pin.EncryptBlock(nil, zc, pin.ISO0, p, acct, nil)
	if err != nil || strings.ToUpper(hex.EncodeToString(out)) != "F6052A5891953D75" {
		t.Errorf("G0 AES answer %X, %v", out, err)
	}

	// CJ10 and CJ11: one hex digit changed in the BDK and ZPK cryptograms.
	if _, err := decrypt(keys.BDK, "U8E3D3E2FD5919657F05A1AA90D32A015"); !errors.Is(err, keys.ErrParity) {
		t.Errorf("altered BDK: %v, want a parity error (10)", err)
	}
	if _, err := decrypt(keys.ZPK, "U9D961F6AF1D24B38AB37B320022FF57C"); !errors.Is(err, keys.ErrParity) {
		t.Errorf("altered ZPK: %v, want a parity error (11)", err)
	}

	// CJ20: the E00001 block sent with KSN E00002.
	tbdk, _ := decrypt(keys.BDK, "U8E3D3E2FD5919657F05A1AA90D32A014")
	k2, _ := dukpt.ParseKSN("FFFF9876543210E00002")
	pk2, _ := dukpt.DeriveTDES(tbdk, k2, dukpt.VariantPIN)
	c2, _ := tdesCipher(pk2.Bytes())
	b1, _ := hex.DecodeString("1B9C1845EB993A7A")
	if _, err := pin.DecryptBlock(c2, pin.ISO0, b1, "401234567890"); !errors.Is(err, pin.ErrInvalidBlock) {
		t.Errorf("block under the wrong KSN: %v, want ErrInvalidBlock (20)", err)
	}
}

func aesCipher(k []byte) (cipher.Block, error) { return aes.NewCipher(k) }
