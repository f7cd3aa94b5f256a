package simulator

import (
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/hexdigit"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/tr31"
)

// sBlock wraps clear key k (hex) as an S block of header hd under the
// key-block LMK l: how the DUKPT contract's keys look under such an LMK.
func sBlock(t testing.TB, l *keys.KeyBlockLMK, hd tr31.Header, k string) string {
	t.Helper()
	kbpk, err := tr31.FromLMK(l)
	if err != nil {
		t.Fatal(err)
	}
	ck := mustKey(t, k)
	hd.Version, hd.LMKID = tr31.Version(l.Version()), "00"
	if hd.KeyVersion == "" {
		hd.KeyVersion = "00"
	}
	if hd.Exportability == 0 {
		hd.Exportability = 'N'
	}
	blk, err := kbpk.WrapThales(hd, ck, nil)
	if err != nil {
		t.Fatal(err)
	}
	return "S" + blk
}

// clearBDK is the ANSI X9.24-1:2009 A.4 BDK. The ZPKs and the AES BDK
// are those the variant-LMK tests hold under the test LMK (clearVariantKey).
const clearBDK = "0123456789ABCDEFFEDCBA9876543210"

// clearVariantKey returns the clear key of a U key field under the test
// LMK: a TDES key (its parity checked), or with aes an AES key.
func clearVariantKey(t *testing.T, kt keys.KeyType, field string, aes bool) string {
	t.Helper()
	decrypt := keys.TestLMK().Decrypt
	if aes {
		decrypt = keys.TestLMK().DecryptAES
	}
	k, err := decrypt(kt, keys.SchemeU, mustHex(t, field[1:]))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ToUpper(hexUpper(k.Bytes()))
}

// TestCIG0UnderKeyBlockLMK sends the X9.24-1 A.4 PIN blocks through CI and
// G0, and the X9.24-3 format 4 blocks through G0, with the BDK and ZPK as S
// blocks under the test key-block LMKs: the answers are those of the
// variant-LMK tests (TestCIPublishedBlocks, TestG0AESPublishedBlocks).
func TestCIG0UnderKeyBlockLMK(t *testing.T) {
	zpk1 := clearVariantKey(t, keys.ZPK, dukptZPK, false)
	zpk2 := clearVariantKey(t, keys.ZPK, dukptZPK2, false)
	tdesBDK := tr31.Header{KeyUsage: "B0", Algorithm: 'T', ModeOfUse: 'X'}
	zpkHd := tr31.Header{KeyUsage: "72", Algorithm: 'T', ModeOfUse: 'B'}
	for _, l := range []*keys.KeyBlockLMK{keys.TestAESKeyBlockLMK(), keys.TestTDESKeyBlockLMK()} {
		h, err := NewKeyBlockHSM(l)
		if err != nil {
			t.Fatal(err)
		}
		bdk, zpk := sBlock(t, l, tdesBDK, clearBDK), sBlock(t, l, zpkHd, zpk1)
		for _, b := range []struct{ ksn, block string }{
			{"FFFF9876543210E00001", "1B9C1845EB993A7A"},
			{"FFFF9876543210E00010", "D5D9638559EF53D6"},
			{"FFFF9876543210F00000", "73EC88AD0AC5830E"},
		} {
			ci := "CI" + bdk + zpk + "605" + b.ksn + b.block + "01" + "401234567890"
			if have := string(h.Execute(nil, []byte(ci))); have != "CJ00047D26134E85E7DADF01" {
				t.Errorf("%s: CI %s: have %q", h.LMKKind(), b.ksn, have)
			}
			g0 := "G0" + bdk + zpk + "A05" + b.ksn + b.block + "01" + "01" + "401234567890"
			if have := string(h.Execute(nil, []byte(g0))); have != "G100047D26134E85E7DADF01" {
				t.Errorf("%s: G0 %s: have %q", h.LMKKind(), b.ksn, have)
			}
		}
	}

	// AES DUKPT needs an AES key: the AES key-block LMK.
	l := keys.TestAESKeyBlockLMK()
	h := kbHSM(t)
	clearAESBDK := clearVariantKey(t, keys.BDK, dukptAESBDK, true)
	bdk := sBlock(t, l, tr31.Header{KeyUsage: "B0", Algorithm: 'A', ModeOfUse: 'X'}, clearAESBDK)
	zpk := sBlock(t, l, tr31.Header{KeyUsage: "P0", Algorithm: 'T', ModeOfUse: 'E'}, zpk2)
	for _, b := range []struct{ ksn, block string }{
		{"123456789012345600000001", "A912150391AB65A67E52883D81CE2D15"},
		{"123456789012345600000005", "881A7F77A2E04E5BEA985E342FD0B628"},
		{"123456789012345600000008", "8308BB857C17F390369F761F8EB358FA"},
	} {
		g0 := "G0" + bdk + zpk + "018" + b.ksn + b.block + "48" + "01" + "4111111111111111;"
		if have := string(h.Execute(nil, []byte(g0))); have != "G10004F6052A5891953D7501" {
			t.Errorf("G0 AES %s: have %q", b.ksn, have)
		}
	}
}

// TestDUKPTKeyBlockErrors: the key-block codes of a BDK or ZPK block that
// does not fit CI/G0 (hostcmd-keyblocks.md §3, §4 and §10).
func TestDUKPTKeyBlockErrors(t *testing.T) {
	l := keys.TestAESKeyBlockLMK()
	h := kbHSM(t)
	zpk1 := clearVariantKey(t, keys.ZPK, dukptZPK, false)
	clearAESBDK := clearVariantKey(t, keys.BDK, dukptAESBDK, true)
	bdk := sBlock(t, l, tr31.Header{KeyUsage: "B0", Algorithm: 'T', ModeOfUse: 'X'}, clearBDK)
	aesBDK := sBlock(t, l, tr31.Header{KeyUsage: "B0", Algorithm: 'A', ModeOfUse: 'X'}, clearAESBDK)
	zpk := sBlock(t, l, tr31.Header{KeyUsage: "72", Algorithm: 'T', ModeOfUse: 'B'}, zpk1)
	const rest = "605FFFF9876543210E000011B9C1845EB993A7A01401234567890"
	const aesRest = "018123456789012345600000001A912150391AB65A67E52883D81CE2D154801" + "4111111111111111;"
	// The MAC's last digit changed; with random padding it can be any
	// digit, and XOR 1 would make an A or F a non-digit (15, not A4).
	badMAC := hexdigit.Flip(bdk, len(bdk)-1)
	for _, tt := range []struct{ name, body, want string }{
		{"BDK with ZPK usage", "CI" + zpk + zpk + rest, "CJA6"},
		{"BDK with mode of use E", "CI" + sBlock(t, l, tr31.Header{KeyUsage: "B0", Algorithm: 'T', ModeOfUse: 'E'}, clearBDK) + zpk + rest, "CJA8"},
		{"BDK block MAC fails", "CI" + badMAC + zpk + rest, "CJA4"},
		{"AES BDK with a TDES descriptor", "CI" + aesBDK + zpk + rest, "CJA7"},
		{"TDES BDK with the AES descriptor", "G0" + bdk + zpk + aesRest, "G1A7"},
		{"ZPK that only decrypts", "CI" + bdk + sBlock(t, l, tr31.Header{KeyUsage: "72", Algorithm: 'T', ModeOfUse: 'D'}, zpk1) + rest, "CJA8"},
		{"ZPK with BDK usage", "CI" + bdk + sBlock(t, l, tr31.Header{KeyUsage: "B0", Algorithm: 'T', ModeOfUse: 'B'}, zpk1) + rest, "CJA6"},
		{"variant BDK", "CI" + dukptBDK + zpk + rest, "CJA1"},
		{"variant ZPK", "CI" + bdk + dukptZPK + rest, "CJA1"},
	} {
		if have := string(h.Execute(nil, []byte(tt.body))); have != tt.want {
			t.Errorf("%s: have %q, want %q", tt.name, have, tt.want)
		}
	}
	// An S BDK under a variant LMK: A1.
	if have := string(NewHSM(nil).Execute(nil, []byte("CI"+bdk+dukptZPK+rest))); have != "CJA1" {
		t.Errorf("S BDK under a variant LMK: have %q, want CJA1", have)
	}
}
