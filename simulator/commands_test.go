package simulator

import (
	"crypto/des"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/keys"
)

// Keys under the test LMK with their clear values, all from hsm-protocol.md
// §5.5 (cryptograms recomputed there from the ThalesSim test suite and
// the CryptoCarver external vectors).
const (
	tpkU      = "U8463435FC4B4DAA0C49025272C29B12C" // type 002
	tpkClear  = "D3DCC7EA9BCB755D254620B376B3D007"
	zpkU      = "U1EF828AA8F6B80EB83E19FBC373F3A85" // type 001
	zpkClear  = "C7152C20BC2C830EA7EC9E8334ABE3FE"
	zpk2U     = "U063A0E7C0F2124E56192A4510F395ED7" // type 001, clear 0123456789ABCDEFFEDCBA9876543210
	zpkT      = "TA5E7D4FE829B0D83C5E7352636C16C7827E197349E34A5CD"
	zmkU      = "U42BBE7D9A0A55D0EBDE055DE2791ACCD" // type 000, clear 0123456789ABCDEFFEDCBA9876543210
	zmk08U    = "U0A26760BD07871026B6702C5F9BA25B3" // type 000, clear 0808...08 (ThalesSim trace [RS])
	pvkU      = "U9516F257DFAF0DE7A15099A9E4343B29" // type 002 (hostcmd.json DC vector)
	pvkSingle = "FCBA7CF5972CF0DD"                  // type 002, clear 0123456789ABCDEF
	cvkU      = "U9B4934384B19946B040CD702B4D58145" // type 402
	mkacU     = "U7475636CC30B93B493CF5EA53799EBCC" // type 109
	takU      = "U7AD0BB2A32ADE115807C3572FC302BA5" // type 003
	clear0123 = "0123456789ABCDEFFEDCBA9876543210"
	account   = "550000025321"
)

// tdesHex encrypts (or decrypts) one 8-byte block with a clear double- or
// triple-length key, with crypto/des: the tests' independent cipher.
func tdesHex(t testing.TB, keyHex, blockHex string, decrypt bool) string {
	t.Helper()
	k := unhex(t, keyHex)
	if len(k) == 16 {
		k = append(k, k[:8]...)
	}
	c, err := des.NewTripleDESCipher(k)
	if err != nil {
		t.Fatal(err)
	}
	b := unhex(t, blockHex)
	if decrypt {
		c.Decrypt(b, b)
	} else {
		c.Encrypt(b, b)
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// iso0 returns the clear ISO 9564-1 format 0 block of pin and the 12-digit
// account field (ISO 9564-1:2017 §9.3.1; payment-crypto.md §2).
func iso0(t testing.TB, pin, acct string) string {
	t.Helper()
	p := fmt.Sprintf("%X%s", len(pin), pin)
	p = "0" + p + strings.Repeat("F", 16-1-len(p))
	a := unhex(t, "0000"+acct)
	b := unhex(t, p)
	for i := range b {
		b[i] ^= a[i]
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// badParity returns a key field of the given form whose cryptogram decrypts
// to a key with a parity error under the test LMK, checked with package keys.
func badParity(t testing.TB, kt keys.KeyType, form string) string {
	t.Helper()
	lmk := keys.TestLMK()
	for i := range 256 {
		var field string
		var s keys.Scheme
		switch form {
		case "U":
			field, s = fmt.Sprintf("U%02X%s", i, strings.Repeat("0", 30)), keys.SchemeU
		case "T":
			field, s = fmt.Sprintf("T%02X%s", i, strings.Repeat("0", 46)), keys.SchemeT
		case "single":
			field, s = fmt.Sprintf("%02X%s", i, strings.Repeat("0", 14)), keys.SchemeSingle
		case "pair":
			field, s = fmt.Sprintf("%02X%s", i, strings.Repeat("0", 30)), keys.SchemePair
		}
		ct := unhex(t, strings.TrimLeft(field, "UT"))
		if _, err := lmk.Decrypt(kt, s, ct); errors.Is(err, keys.ErrParity) {
			return field
		}
	}
	t.Fatalf("no cryptogram with a parity error found for %v %s", kt, form)
	return ""
}

// TestA0ThenBUCheckValuesMatch generates keys of several types and schemes
// with A0 and checks that BU, given the key under the LMK, reports the same
// check value: the key was wrapped under the right LMK pair and variant.
func TestA0ThenBUCheckValuesMatch(t *testing.T) {
	h := NewHSM(nil)
	for _, tt := range []struct {
		keyType, scheme, buCode, buFlag string
	}{
		{"001", "U", "01", "1"},
		{"001", "Z", "01", "0"},
		{"001", "T", "01", "2"},
		{"000", "U", "00", "1"},
		{"002", "U", "02", "1"},
		{"003", "U", "03", "1"},
		{"008", "U", "08", "1"},
		{"00A", "U", "0A", "1"},
		{"402", "U", "FF", "1"},
		{"109", "U", "FF", "1"},
		{"709", "T", "FF", "2"},
	} {
		t.Run(tt.keyType+tt.scheme, func(t *testing.T) {
			a1 := string(h.Execute(nil, []byte("A00"+tt.keyType+tt.scheme)))
			if !strings.HasPrefix(a1, "A100") {
				t.Fatalf("A0: %q", a1)
			}
			key, kcv := a1[4:len(a1)-6], a1[len(a1)-6:]
			bu := "BU" + tt.buCode + tt.buFlag + key
			if tt.buCode == "FF" {
				bu += ";" + tt.keyType
			}
			bv := string(h.Execute(nil, []byte(bu+";001")))
			if bv != "BV00"+kcv {
				t.Fatalf("BU: have %q, want BV00%s (the A0 check value)", bv, kcv)
			}
			bv16 := string(h.Execute(nil, []byte(bu)))
			if len(bv16) != 20 || bv16[4:10] != kcv {
				t.Fatalf("BU 16H: have %q, want BV00%s...", bv16, kcv)
			}
			// Under another type the key does not decrypt to the same key.
			if other := string(h.Execute(nil, []byte("BU0E"+tt.buFlag+key+";001"))); other == "BV00"+kcv {
				t.Fatalf("key of type %s gives the same KCV under type 00E", tt.keyType)
			}
		})
	}
}

// unwrapZMK decrypts a key exported under a ZMK (clear, hex) with the
// payShield variant method (hsm-protocol.md §3.1), independently of the
// simulator: part i is decrypted with the ZMK whose byte 8 is XORed with
// the scheme variant.
func unwrapZMK(t testing.TB, zmkClear, field string) string {
	t.Helper()
	variants := map[byte][]byte{'U': {0xA6, 0x5A}, 'T': {0x6A, 0xDE, 0x2B}}[field[0]]
	ct := field
	if field[0] >= 'T' {
		ct = field[1:]
	}
	var out string
	for i := 0; i < len(ct)/16; i++ {
		k := unhex(t, zmkClear)
		if variants != nil {
			k[8] ^= variants[i]
		}
		out += tdesHex(t, hex.EncodeToString(k), ct[16*i:16*i+16], true)
	}
	return out
}

// kcv6 returns the 6H check value of a clear key, with crypto/des.
func kcv6(t testing.TB, keyHex string) string {
	t.Helper()
	if len(keyHex) == 16 {
		keyHex += keyHex
	}
	return tdesHex(t, keyHex, "0000000000000000", false)[:6]
}

// TestUnwrapZMKMatchesThalesSimTrace pins the test's own unwrap to the
// ThalesSim A0 trace (hsm-protocol.md §7.1, [RS]): under ZMK 0808..08 the
// scheme-U cryptogram U631EAA5F7E6A6C9EB5A1701259A7AB54 holds
// 5B012F0E75970D5DB96EE65249F1D949, KCV B3E1C8.
func TestUnwrapZMKMatchesThalesSimTrace(t *testing.T) {
	k := unwrapZMK(t, strings.Repeat("08", 16), "U631EAA5F7E6A6C9EB5A1701259A7AB54")
	if k != "5B012F0E75970D5DB96EE65249F1D949" || kcv6(t, k) != "B3E1C8" {
		t.Fatalf("unwrap gives %s (KCV %s)", k, kcv6(t, k))
	}
}

// TestA0ExportsUnderZMK generates keys in mode 1 and checks, with the
// independent unwrap, that the key under the ZMK (or TMK) is the key whose
// check value A0 and BU report.
func TestA0ExportsUnderZMK(t *testing.T) {
	h := NewHSM(nil)
	for _, tt := range []struct {
		name, req, zmkClear string
	}{
		{"ZMK U, export U", "A01001U" + zmkU + "U", clear0123},
		{"ZMK U, export X", "A01001U" + zmkU + "X", clear0123},
		{"ZMK U, flag 0, export U", "A01001U;0" + zmkU + "U", clear0123},
		{"ZMK 0808, export U", "A01001U" + zmk08U + "U", strings.Repeat("08", 16)},
		{"TMK, export U", "A01001U;1" + tpkU + "U", tpkClear},
		{"ZMK U, export T", "A01001T" + zmkU + "T", clear0123},
		{"ZMK U, export Y", "A01001T" + zmkU + "Y", clear0123},
		{"ZMK U, export single", "A01001Z" + zmkU + "Z", clear0123},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a1 := string(h.Execute(nil, []byte(tt.req)))
			if !strings.HasPrefix(a1, "A100") {
				t.Fatalf("A0: %q", a1)
			}
			// A1 = code, key under LMK, key under ZMK, KCV 6H.
			resp, err := hostcmd.ParseResponse([2]byte{'A', '0'}, []byte(a1))
			if err != nil {
				t.Fatalf("A1 does not parse: %v", err)
			}
			r := resp.(*hostcmd.A1)
			exp := string(r.KeyUnderZMK.AppendWire(nil))
			clearKey := unwrapZMK(t, tt.zmkClear, exp)
			if kcv6(t, clearKey) != r.KCV {
				t.Fatalf("key under ZMK has KCV %s, A0 says %s", kcv6(t, clearKey), r.KCV)
			}
			bu := "BU01" + map[hostcmd.KeyScheme]string{hostcmd.SchemeSingle: "0", 'U': "1", 'T': "2"}[r.KeyUnderLMK.Scheme] +
				string(r.KeyUnderLMK.AppendWire(nil)) + ";001"
			if bv := string(h.Execute(nil, []byte(bu))); bv != "BV00"+r.KCV {
				t.Fatalf("BU of the key under the LMK: %q, want BV00%s", bv, r.KCV)
			}
		})
	}
}

// TestPINRoundTrips: BA → JG → JE → NG gives the PIN back, in each PIN block
// format; JE → JG gives the same ISO 0 block back.
func TestPINRoundTrips(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s.Addr(), 4)
	for _, format := range []string{"01", "03", "05", "34", "47"} {
		for _, clearPIN := range []string{"8642", "739150", "123456789012"} {
			bb := string(c.do([]byte("BA" + clearPIN + "F" + account)))
			if !strings.HasPrefix(bb, "BB00") || len(bb) != 4+len(clearPIN)+1 {
				t.Fatalf("BA: %q", bb)
			}
			lmkPIN := bb[4:]
			if strings.Contains(lmkPIN, clearPIN) {
				t.Fatalf("PIN under LMK shows the clear PIN")
			}
			jh := string(c.do([]byte("JG" + zpkU + format + account + lmkPIN)))
			if !strings.HasPrefix(jh, "JH00") || len(jh) != 20 {
				t.Fatalf("JG format %s: %q", format, jh)
			}
			jf := string(c.do([]byte("JE" + zpkU + jh[4:] + format + account)))
			if jf != "JF00"+lmkPIN {
				t.Fatalf("JE format %s: have %q, want JF00%s", format, jf, lmkPIN)
			}
			nh := string(c.do([]byte("NG" + account + lmkPIN)))
			if want := "NH00" + clearPIN + "F"; !strings.HasPrefix(nh, want) || len(nh) != len(want)+12 {
				t.Fatalf("NG format %s: have %q, want %s + 12N", format, nh, want)
			}
		}
	}
	// JE → JG with the ThalesSim ISO 0 block for PIN 1234 under this ZPK.
	const block = "91DDDA0A7C12CFAA"
	jf := string(c.do([]byte("JE" + zpkU + block + "01" + account)))
	if !strings.HasPrefix(jf, "JF00") {
		t.Fatalf("JE: %q", jf)
	}
	if jh := string(c.do([]byte("JG" + zpkU + "01" + account + jf[4:]))); jh != "JH00"+block {
		t.Fatalf("JE → JG: have %q, want JH00%s", jh, block)
	}
	// The triple-length ZPK of the ThalesSim JG vector: PIN 1234, account
	// 123456789012 gives 98A841D13467F185 (hsm-protocol.md §7.1).
	bb := string(c.do([]byte("BA1234F123456789012")))
	if jh := string(c.do([]byte("JG" + zpkT + "01123456789012" + bb[4:]))); jh != "JH0098A841D13467F185" {
		t.Fatalf("JG with the T key: have %q, want JH0098A841D13467F185", jh)
	}
}

// TestNGReferenceNumber checks the reference number (ours, hostcmd.md §4
// via hsm-protocol.md §4 NG): account digits + FFFF Triple-DES-encrypted under
// LMK pair 18-19 and Visa-decimalised to 12 digits, recomputed here with
// crypto/des and a plain decimalisation.
func TestNGReferenceNumber(t *testing.T) {
	h := NewHSM(nil)
	ref := func(acct string) string {
		bb := string(h.Execute(nil, []byte("BA4321F"+acct)))
		nh := string(h.Execute(nil, []byte("NG"+acct+bb[4:])))
		if !strings.HasPrefix(nh, "NH004321F") {
			t.Fatalf("NG: %q", nh)
		}
		return nh[len(nh)-12:]
	}
	for _, acct := range []string{account, "000000000000", "987654321098"} {
		// Pair 18-19 of the test LMK: 0101010101010101 0101010101010101.
		z := tdesHex(t, strings.Repeat("01", 16), acct+"FFFF", false)
		var digits, letters string
		for _, c := range z {
			if c <= '9' {
				digits += string(c)
			} else {
				letters += string('0' + c - 'A')
			}
		}
		want := (digits + letters)[:12]
		if have := ref(acct); have != want {
			t.Errorf("reference of %s: have %s, want %s", acct, have, want)
		}
	}
}

// TestVerificationFailures: each verification command answers 01 when the
// value to check is wrong, and 00 with the right one.
func TestVerificationFailures(t *testing.T) {
	h := NewHSM(nil)
	dc := "DC" + tpkU + pvkU + "028DCC093FB0471F" + "03" + account + "1"
	ec := "EC" + zpkU + pvkU + "91DDDA0A7C12CFAA" + "01" + account + "1"
	ibm := pvkSingle + "12" + "%s" + "01" + "04" + account + "0123456789012345" + "55000002532N"
	da := "DA" + tpkU + fmt.Sprintf(ibm, "6428EB94035AF53B")
	ea := "EA" + zpkU + fmt.Sprintf(ibm, "91DDDA0A7C12CFAA")
	cy := "CY" + cvkU + "%s" + "4123456789012345;8701101"
	m8 := "M8000" + "31003" + takU + "0018" + "Now is the time for all " + "%s"
	kq := loadVector(t, "KQ Visa CVN 10 verify")
	kw := loadVector(t, "KW CSK option A, Visa CVN 18 verify")
	for _, tt := range []struct {
		name, good, bad string
		rc              string
	}{
		{"DC", dc + "4402", dc + "4401", "DD"},
		{"EC", ec + "4402", ec + "4412", "ED"},
		{"DA", da + "9708FFFFFFFF", da + "9709FFFFFFFF", "DB"},
		{"EA", ea + "9708FFFFFFFF", ea + "0708FFFFFFFF", "EB"},
		{"CY", fmt.Sprintf(cy, "561"), fmt.Sprintf(cy, "562"), "CZ"},
		{"M8", fmt.Sprintf(m8, "A1C72E74"), fmt.Sprintf(m8, "A1C72E75"), "M9"},
		{"KQ", string(kq), string(flipLast(kq)), "KR"},
		{"KW", string(kw), string(flipLast(kw)), "KX"},
	} {
		if have := string(h.Execute(nil, []byte(tt.good))); have != tt.rc+"00" {
			t.Errorf("%s with the right value: %q, want %s00", tt.name, have, tt.rc)
		}
		if have := string(h.Execute(nil, []byte(tt.bad))); have != tt.rc+"01" {
			t.Errorf("%s with a wrong value: %q, want %s01", tt.name, have, tt.rc)
		}
	}
}

// loadVector returns the request of a named testdata/payshield.json vector.
func loadVector(t testing.TB, name string) []byte {
	t.Helper()
	for _, v := range loadVectors(t, "testdata/payshield.json") {
		if v.Name == name {
			return v.request(t)
		}
	}
	t.Fatalf("no vector %q", name)
	return nil
}

// flipLast returns b with the last bit of its last byte flipped (the ARQC
// of a KQ/KW mode 0 request).
func flipLast(b []byte) []byte {
	c := append([]byte(nil), b...)
	c[len(c)-1] ^= 1
	return c
}

// TestErrorCodes checks every error code the contract lists for each
// command (hostcmd.md §4; hostcmd's command table), plus 13, 15 and 68.
func TestErrorCodes(t *testing.T) {
	h := NewHSM(nil)
	badZPK := badParity(t, keys.ZPK, "U")
	badTPK := badParity(t, keys.TPK, "U")
	badPVK := badParity(t, keys.PVK, "U")
	badPVK1 := badParity(t, keys.PVK, "single")
	badCVK := badParity(t, keys.CVK, "pair")
	badZMK := badParity(t, keys.ZMK, "U")
	badMK := badParity(t, keys.MKAC, "U")
	badTAK := badParity(t, keys.TAK, "U")
	badSingle := badParity(t, keys.TPK, "single")

	// PIN blocks under the TPK, built with crypto/des: an IBM 3624 block
	// with 3 digits (24), one with a letter (20), an ISO 0 block for
	// another account (its length nibble decodes outside 4..12 or its
	// fill is wrong: 20 or 24, both "does not decode").
	tpkBlock := func(clearBlock string) string { return tdesHex(t, tpkClear, clearBlock, false) }
	short3624 := tpkBlock("123FFFFFFFFFFFFF")
	letter3624 := tpkBlock("12A4FFFFFFFFFFFF")
	badControl := tpkBlock("5412345FFFFFFFFF") // ISO 0 control nibble 5 after the account XOR
	zpkBadControl := tdesHex(t, zpkClear, "5412345FFFFFFFFF", false)
	good := "6428EB94035AF53B"    // ThalesSim: PIN 1234, ISO 0, account 550000025321, under tpkU
	zpkGood := "91DDDA0A7C12CFAA" // the same under zpkU

	ibm := func(cmd, pinKey, pvk, maxLen, block, format, checkLen, table, vdata string) string {
		return cmd + pinKey + pvk + maxLen + block + format + checkLen + account + table + vdata + "9708FFFFFFFF"
	}
	kq := loadVector(t, "KQ Visa CVN 10 verify")
	kw := loadVector(t, "KW CSK option A, Visa CVN 18 verify")
	singleTAK := string(h.Execute(nil, []byte("A00003Z")))[4:20]
	m6 := func(flags, keyType, key, msgLen, msg string) string {
		return "M6" + flags + keyType + key + msgLen + msg
	}

	for _, tt := range []struct {
		name string
		req  string
		want string
	}{
		// Any command.
		{"unknown command", "ZZ", "Z[68"},
		{"unknown command A2", "A2", "A368"},
		{"LMK identifier 01", "NC%01", "ND13"},
		{"LMK identifier on CA", "CA" + tpkU + zpkU + "12" + good + "0101" + account + "%02", "CB13"},
		{"trailing junk", "NCjunk", "ND15"},
		{"NO mode 01", "NO01", "NP15"},
		{"B2 short data", "B20010abc", "B315"},

		// A0.
		{"A0 key type not a type", "A00F01U", "A104"},
		{"A0 key type not hex", "A000QU", "A115"},
		{"A0 scheme", "A00001Q", "A126"},
		{"A0 mode", "A02001U", "A115"},
		{"A0 ZMK parity", "A01001U" + badZMK + "U", "A110"},
		{"A0 ZMK scheme does not fit the key", "A01001U" + zmkU + "Z", "A126"},
		{"A0 ZMK missing", "A01001U", "A115"},

		// BU.
		{"BU key type code", "BU0F1" + zpkU, "BV04"},
		{"BU key type after FF", "BUFF1" + zpkU + ";F01", "BV04"},
		{"BU key length flag", "BU013" + zpkU, "BV05"},
		{"BU parity", "BU020" + badSingle, "BV10"},
		{"BU flag does not fit the key", "BU010" + zpkU, "BV27"},
		{"BU KCV type", "BU011" + zpkU + ";002", "BV15"},

		// CA and CC.
		{"CA TPK parity", "CA" + badTPK + zpkU + "12" + good + "0101" + account, "CB10"},
		{"CA ZPK parity", "CA" + tpkU + badZPK + "12" + good + "0101" + account, "CB11"},
		{"CA max PIN length", "CA" + tpkU + zpkU + "03" + good + "0101" + account, "CB24"},
		{"CA PIN longer than the maximum", "CA" + tpkU + zpkU + "04" + tpkBlock(iso0(t, "12345", account)) + "0101" + account, "CB24"},
		{"CA block not hex", "CA" + tpkU + zpkU + "12" + "G428EB94035AF53B" + "0101" + account, "CB20"},
		{"CA block does not decode", "CA" + tpkU + zpkU + "12" + badControl + "0101" + account, "CB20"},
		{"CA 3624 letter", "CA" + tpkU + zpkU + "12" + letter3624 + "0301" + account, "CB20"},
		{"CA 3624 too short", "CA" + tpkU + zpkU + "12" + short3624 + "0301" + account, "CB24"},
		{"CA account", "CA" + tpkU + zpkU + "12" + good + "0101" + "55000002532X", "CB22"},
		{"CA source format", "CA" + tpkU + zpkU + "12" + good + "9901" + account, "CB23"},
		{"CA destination format 48 under a TDES ZPK", "CA" + tpkU + zpkU + "12" + good + "0148" + "4111111111111111;", "CB27"}, // hostcmd-keyblocks.md §9
		{"CA key scheme", "CA" + "Q" + tpkU[1:] + zpkU + "12" + good + "0101" + account, "CB26"},
		{"CA key short", "CA" + tpkU[:20], "CB15"},
		{"CC source parity", "CC" + badZPK + zpkU + "12" + zpkGood + "0101" + account, "CD10"},
		{"CC destination parity", "CC" + zpkU + badZPK + "12" + zpkGood + "0101" + account, "CD11"},
		{"CC format", "CC" + zpkU + zpkU + "12" + zpkGood + "0102" + account, "CD23"},

		// JE, JG, BA, NG.
		{"JE parity", "JE" + badZPK + zpkGood + "01" + account, "JF10"},
		{"JE block", "JE" + zpkU + zpkBadControl + "01" + account, "JF20"},
		{"JE format", "JE" + zpkU + zpkGood + "02" + account, "JF23"},
		{"JE account", "JE" + zpkU + zpkGood + "01" + "5500000253 1", "JF22"},
		{"JG parity (the only key: 10)", "JG" + badZPK + "01" + account + "12345", "JH10"},
		{"JG PIN under LMK", "JG" + zpkU + "01" + account + "00000", "JH14"},
		{"JG PIN under LMK too short", "JG" + zpkU + "01" + account + "1234", "JH14"},
		{"JG format", "JG" + zpkU + "04" + account + "12345", "JH23"},
		{"BA PIN too short", "BA123FF" + account, "BB24"},
		{"BA PIN not padded", "BA1234" + account, "BB15"},
		{"BA account", "BA1234F" + "55000002532A", "BB22"},
		{"NG PIN under LMK", "NG" + account + "99999", "NH14"},
		{"NG account", "NG" + "5500000A5321" + "12345", "NH22"},

		// DC, EC.
		{"DC TPK parity", "DC" + badTPK + pvkU + good + "01" + account + "14402", "DD10"},
		{"DC PVK parity", "DC" + tpkU + badPVK + good + "01" + account + "14402", "DD11"},
		{"DC block", "DC" + tpkU + pvkU + badControl + "01" + account + "14402", "DD20"},
		{"DC format", "DC" + tpkU + pvkU + good + "07" + account + "14402", "DD23"},
		{"DC PIN length", "DC" + tpkU + pvkU + short3624 + "03" + account + "14402", "DD24"},
		{"DC account", "DC" + tpkU + pvkU + good + "01" + "A50000025321" + "14402", "DD22"},
		{"EC ZPK parity", "EC" + badZPK + pvkU + zpkGood + "01" + account + "14402", "ED10"},
		{"EC PVK parity", "EC" + zpkU + badPVK + zpkGood + "01" + account + "14402", "ED11"},
		{"EC block", "EC" + zpkU + pvkU + zpkBadControl + "01" + account + "14402", "ED20"},
		{"EC format", "EC" + zpkU + pvkU + zpkGood + "99" + account + "14402", "ED23"},

		// DA, EA.
		{"DA TPK parity", ibm("DA", badTPK, pvkSingle, "12", good, "01", "04", "0123456789012345", "55000002532N"), "DB10"},
		{"DA PVK parity", ibm("DA", tpkU, badPVK1, "12", good, "01", "04", "0123456789012345", "55000002532N"), "DB11"},
		{"DA table not decimal", ibm("DA", tpkU, pvkSingle, "12", good, "01", "04", "0123456789ABCDEF", "55000002532N"), "DB25"},
		{"DA weak table", ibm("DA", tpkU, pvkSingle, "12", good, "01", "04", "0000000000000000", "55000002532N"), "DB25"},
		{"DA max PIN length", ibm("DA", tpkU, pvkSingle, "03", good, "01", "04", "0123456789012345", "55000002532N"), "DB24"},
		{"DA block", ibm("DA", tpkU, pvkSingle, "12", badControl, "01", "04", "0123456789012345", "55000002532N"), "DB20"},
		{"DA format", ibm("DA", tpkU, pvkSingle, "12", good, "35", "04", "0123456789012345", "55000002532N"), "DB23"},
		{"DA validation data", ibm("DA", tpkU, pvkSingle, "12", good, "01", "04", "0123456789012345", "55000002532X"), "DB15"},
		{"EA ZPK parity", ibm("EA", badZPK, pvkSingle, "12", zpkGood, "01", "04", "0123456789012345", "55000002532N"), "EB10"},
		{"EA PVK parity", ibm("EA", zpkU, badPVK1, "12", zpkGood, "01", "04", "0123456789012345", "55000002532N"), "EB11"},
		{"EA account", strings.Replace(ibm("EA", zpkU, pvkSingle, "12", zpkGood, "01", "04", "0123456789012345", "55000002532N"), account, "5500000253X1", 1), "EB22"},

		// CW, CY.
		{"CW CVK parity", "CW" + badCVK + "4123456789012345;8701101", "CX10"},
		{"CW no delimiter", "CW" + cvkU + "4123456789012345" + "8701101", "CX15"},
		{"CW PAN too long", "CW" + cvkU + "41234567890123456789;8701101", "CX15"},
		{"CY CVK parity", "CY" + badCVK + "561" + "4123456789012345;8701101", "CZ10"},
		{"CY expiry", "CY" + cvkU + "561" + "4123456789012345;870", "CZ15"},

		// KQ, KW.
		{"KQ mode", "KQ3" + string(kq[3:]), "KR04"},
		{"KQ scheme", "KQ02" + string(kq[4:]), "KR05"},
		{"KQ MK parity", "KQ00" + badMK + string(kq[37:]), "KR10"},
		{"KQ data length zero", string(kq[:51]) + "00" + string(kq[53:]), "KR80"},
		{"KQ data longer than the body", string(kq[:51]) + "FF" + string(kq[53:]), "KR80"},
		{"KQ PAN/PSN not BCD", string(kq[:37]) + "\xAB" + string(kq[38:]), "KR15"},
		{"KW mode", "KW5" + string(kw[3:]), "KX04"},
		{"KW scheme EMV2000", "KW00" + string(kw[4:]), "KX05"},
		{"KW MK parity", "KW02" + badMK + string(kw[37:]), "KX10"},
		{"KW data length", string(kw[:47]) + "00" + string(kw[49:]), "KX80"},
		{"KW proprietary data over 8 bytes", "KW4" + string(kw[3:]) + "\x00\x00\x00\x00" + "9" + "123456789", "KX80"},

		// M6, M8.
		{"M6 key parity", m6("00031", "003", badTAK, "0008", "12345678"), "M710"},
		{"M6 message length zero", m6("00031", "003", takU, "0000", ""), "M780"},
		{"M6 message shorter than its length", m6("00031", "003", takU, "0010", "12345678"), "M780"},
		{"M6 no padding, unaligned", m6("00030", "003", takU, "0007", "1234567"), "M780"},
		{"M6 mode", m6("10031", "003", takU, "0008", "12345678"), "M715"},
		{"M6 key type", m6("00031", "001", takU, "0008", "12345678"), "M715"},
		{"M6 algorithm 3 with a single key", m6("00031", "003", singleTAK, "0008", "12345678"), "M727"},
		{"M6 hex input not hex", m6("01031", "003", takU, "0002", "GG00"), "M715"},
		{"M8 key parity", "M8000" + "31003" + badTAK + "0008" + "12345678" + "A1C72E74", "M910"},
		{"M8 message length", "M8000" + "31003" + takU + "0000" + "A1C72E74", "M980"},
	} {
		if have := string(h.Execute(nil, []byte(tt.req))); have != tt.want {
			t.Errorf("%s: have %q, want %q", tt.name, have, tt.want)
		}
	}
}

// TestEveryTableCommandIsImplemented: each command of hostcmd's table has a
// handler and is answered by the simulator, not refused with 68, and the
// simulator has no handler for a code the table does not know. (The
// conformance suite's TestSuiteCoversTheTable executes each command.)
func TestEveryTableCommandIsImplemented(t *testing.T) {
	for code := range handlerByCode {
		if len(code) != 2 || hostcmd.CommandIndex([2]byte{code[0], code[1]}) < 0 {
			t.Errorf("handler for %q, which is not in hostcmd's table", code)
		}
	}
	h := NewHSM(nil)
	for _, spec := range hostcmd.Commands() {
		if handlers[hostcmd.CommandIndex([2]byte{spec.Code[0], spec.Code[1]})] == nil {
			t.Errorf("%s: no handler", spec.Code)
		}
		resp := string(h.Execute(nil, []byte(spec.Code)))
		if resp[:2] != spec.Response || resp[2:4] == string(hostcmd.CommandDisabled) {
			t.Errorf("%s (no fields): %q", spec.Code, resp)
		}
	}
}

// TestConcurrentExecute runs every vector from several goroutines at once
// through one HSM (its key cache is shared), under the race detector.
func TestConcurrentExecute(t *testing.T) {
	h := NewHSM(nil)
	vs := allVectors(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				for _, v := range vs {
					want := v.response(t)
					if want == nil {
						continue
					}
					if have := h.Execute(nil, v.request(t)); string(have) != string(want) {
						t.Errorf("%s: have %q, want %q", v.Name, have, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func TestKeyCacheIsBounded(t *testing.T) {
	c := newKeyCache(8)
	k := func(i int) cacheKey { return cacheKey{kt: keys.ZPK, hex: fmt.Sprint(i)} }
	v := &clearKey{}
	for i := range 100 {
		c.put(k(i), v)
		if n := c.len(); n > 8 {
			t.Fatalf("cache holds %d keys, bound 8", n)
		}
	}
	if c.get(k(99)) == nil || c.get(k(0)) != nil {
		t.Fatal("cache lost the newest key or kept the oldest")
	}
	// A key in use survives: get moves it to the new generation.
	c.put(k(1000), v)
	for i := range 4 {
		c.put(k(2000+i), v)
		if c.get(k(1000)) == nil {
			t.Fatalf("key in use evicted after %d insertions", i+1)
		}
	}
}
