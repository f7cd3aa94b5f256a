package simulator

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/testvec"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/tr31"
)

// The worked examples of docs/spec/hostcmd-keyblocks.md §7: ZMKs under the
// test AES key-block LMK (computed by payhsm-gw with zero padding) and the
// TR-31:2018 Annex A.7 blocks they open, with the annex's keys and KCVs.
var a6Examples = []struct {
	name, zmkKey, zmk, block, key, kcv string
	version                            byte
}{
	{"A.7.2.1", "89E88CF7931444F334BD7547FC3F380C",
		"S10096K0TB00N00005A634D4F5AE0F8DA24C183601EA689F810ADC8D581508552923DCBB0CCF5B56C2A5DECC8E32E1DAB",
		"A0072P0TE00E0000F5161ED902807AF26F1D62263644BD24192FDB3193C730301CEE8701", "F039121BEC83D26B169BDCD5B22AAF8F", "CB9DEA", 'A'},
	{"A.7.2.2", "DD7515F2BFC17F85CE48F3CA25CB21F6",
		"S10096K0TB00N000092C4AB5B305FF5028CCC9C2028BAF28B1E3C2E4B8DA8D569B6E6FACAF6FA10E1AEFF2FC0DEF49D87",
		"B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E", "3F419E1CB7079442AA37474C2EFBF8B8", "57C409", 'B'},
	{"A.7.4", "88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6",
		"S10128K0AB00N0000C25C10345D9A26B2428D624C99A5AC4237637E1B7595F4BC6955BAB68DC5F339353DB1273EDC0FBE37853C8ACBFAFD960DE0CAF2A22DC34C",
		"D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34", "", "08793E", 'D'},
}

// mustKey returns the clear key of hex h.
func mustKey(t testing.TB, h string) keys.ClearKey {
	t.Helper()
	return testvec.Make(t, h, keys.NewClearKey)
}

// lmkOpen unwraps an S field under the test AES key-block LMK.
func lmkOpen(t testing.TB, field string) (tr31.Header, keys.ClearKey) {
	t.Helper()
	p, err := tr31.FromLMK(keys.TestAESKeyBlockLMK())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(field, "S") {
		t.Fatalf("not an S field: %.10q", field)
	}
	hd, k, err := p.UnwrapThales(field[1:])
	if err != nil {
		t.Fatalf("the LMK does not open the block: %v", err)
	}
	return hd, k
}

func TestA6A8WorkedExamples(t *testing.T) {
	h := kbHSM(t)
	for _, ex := range a6Examples {
		resp := string(h.Execute(nil, []byte("A6FFF"+ex.zmk+"R"+ex.block+"S")))
		if !strings.HasPrefix(resp, "A700S") || !strings.HasSuffix(resp, ex.kcv) {
			t.Fatalf("%s: A6 answered %.12q...%q, want A700 S... %s", ex.name, resp, resp[max(0, len(resp)-6):], ex.kcv)
		}
		imported := resp[4 : len(resp)-6]
		hd, k := lmkOpen(t, imported)
		if hd.Version != tr31.ThalesAES || hd.LMKID != "00" || hd.KeyUsage != "P0" || hd.Exportability != 'E' {
			t.Errorf("%s: imported header %+v", ex.name, hd)
		}
		if ex.key != "" && !bytes.Equal(k.Bytes(), mustKey(t, ex.key).Bytes()) {
			t.Errorf("%s: imported key differs from the annex key", ex.name)
		}
		// A8 back under the same ZMK, as TR-31 of the original version.
		resp = string(h.Execute(nil, []byte("A8FFF"+ex.zmk+imported+"R!"+string(ex.version))))
		if !strings.HasPrefix(resp, "A900R") || !strings.HasSuffix(resp, ex.kcv) {
			t.Fatalf("%s: A8 answered %.12q", ex.name, resp)
		}
		out := resp[5 : len(resp)-6]
		eh, ek, err := tr31.Unwrap(mustKey(t, ex.zmkKey), out)
		if err != nil || !bytes.Equal(ek.Bytes(), k.Bytes()) || eh.Version != tr31.Version(ex.version) || eh.KeyUsage != "P0" {
			t.Errorf("%s: exported block does not open to the key: %v %+v", ex.name, err, eh)
		}
		// A8 as a Thales block with "&N": LMK identifier FF, exportability N.
		resp = string(h.Execute(nil, []byte("A8FFF"+ex.zmk+imported+"S&N")))
		if !strings.HasPrefix(resp, "A900S") {
			t.Fatalf("%s: A8 S answered %.12q", ex.name, resp)
		}
		zp, _ := tr31.NewKBPK(map[bool]byte{true: 'A', false: 'T'}[len(ex.zmkKey) == 64], mustKey(t, ex.zmkKey))
		th, tk, err := zp.UnwrapThales(resp[5 : len(resp)-6])
		if err != nil || th.LMKID != "FF" || th.Exportability != 'N' || !bytes.Equal(tk.Bytes(), k.Bytes()) {
			t.Errorf("%s: Thales export: %v %+v", ex.name, err, th)
		}
	}
}

func TestA0KeyBlock(t *testing.T) {
	h := kbHSM(t)
	zmk := a6Examples[1].zmk
	zmkKey := mustKey(t, a6Examples[1].zmkKey)
	// Mode 0: an AES ZPK, optional block carried.
	resp := string(h.Execute(nil, []byte("A00FFFS#P0A1E00E01KS0800AB")))
	if !strings.HasPrefix(resp, "A100S") || len(resp) < 4+6 {
		t.Fatalf("A0 mode 0 answered %.12q", resp)
	}
	hd, k := lmkOpen(t, resp[4:len(resp)-6])
	kcv, _ := tr31.CheckValue('A', k)
	if hd.Algorithm != 'A' || k.Len() != 16 || hd.KeyUsage != "P0" || resp[len(resp)-6:] != strings.ToUpper(hex.EncodeToString(kcv[:3])) {
		t.Errorf("A0 mode 0: header %+v, %d bytes", hd, k.Len())
	}
	if ks, ok := hd.Block("KS"); !ok || ks != "00AB" {
		t.Errorf("A0 mode 0: KS block %q %v", ks, ok)
	}
	// Mode 1: a TDES ZPK exported as TR-31 (default version B under a TDES
	// ZMK) and as a Thales block.
	for _, scheme := range []string{"R", "R!C", "S"} {
		resp = string(h.Execute(nil, []byte("A01FFFS"+zmk+scheme[:1]+"#72T2E00E00"+scheme[1:])))
		if !strings.HasPrefix(resp, "A100S") {
			t.Fatalf("A0 mode 1 %s answered %.12q", scheme, resp)
		}
		f, n, c := hostcmd.ParseKeyField([]byte(resp[4:]), hostcmd.KeyS)
		if c != hostcmd.OK {
			t.Fatal(c)
		}
		_, k := lmkOpen(t, resp[4:4+n])
		exp := resp[4+n : len(resp)-6]
		var eh tr31.Header
		var ek keys.ClearKey
		var err error
		if scheme[0] == 'R' {
			eh, ek, err = tr31.Unwrap(zmkKey, exp[1:])
		} else {
			zp, _ := tr31.NewKBPK('T', zmkKey)
			eh, ek, err = zp.UnwrapThales(exp[1:])
		}
		if err != nil || !bytes.Equal(ek.Bytes(), k.Bytes()) {
			t.Fatalf("A0 mode 1 %s: export does not open to the key: %v", scheme, err)
		}
		want := map[string]tr31.Version{"R": tr31.VersionB, "R!C": tr31.VersionC, "S": tr31.ThalesTDES}[scheme]
		wantUsage := map[bool]string{true: "P0", false: "72"}[scheme[0] == 'R']
		if eh.Version != want || eh.KeyUsage != wantUsage || f.Scheme != hostcmd.SchemeS {
			t.Errorf("A0 mode 1 %s: exported header %+v", scheme, eh)
		}
	}
}

// Bad key blocks get the contract's codes (hostcmd-keyblocks.md §3), never
// a panic.
func TestKeyBlockErrors(t *testing.T) {
	h := kbHSM(t)
	ex := a6Examples[0]
	zpk := "S10096P0AB00E000041FAA8814866CBA77400211DD0AB06AE7CFDB3E5BCDA1CCF84E3F447432DD7627726D8F869190207"
	badMAC := ex.block[:len(ex.block)-1] + "0"
	// An LMK slot other than 00 in the header of a block under the LMK.
	p, _ := tr31.FromLMK(keys.TestAESKeyBlockLMK())
	slot1, err := p.WrapThales(tr31.Header{Version: tr31.ThalesAES, KeyUsage: "K0", Algorithm: 'T', ModeOfUse: 'B',
		KeyVersion: "00", Exportability: 'E', LMKID: "01"}, mustKey(t, ex.zmkKey), nil)
	if err != nil {
		t.Fatal(err)
	}
	// A version 0 block (TDES key-block LMK) cannot be under the AES LMK.
	tp, _ := tr31.FromLMK(keys.TestTDESKeyBlockLMK())
	foreign, _ := tp.WrapThales(tr31.Header{Version: tr31.ThalesTDES, KeyUsage: "K0", Algorithm: 'T', ModeOfUse: 'B',
		KeyVersion: "00", Exportability: 'E', LMKID: "00"}, mustKey(t, ex.zmkKey), nil)
	for _, tt := range []struct{ name, body, want string }{
		{"MAC fails", "A6FFF" + ex.zmk + "R" + badMAC + "S", "A7A4"},
		{"length not whole blocks", "A6FFF" + ex.zmk + "RA0070" + ex.block[5:len(ex.block)-2] + "S", "A7A5"},
		{"unknown version", "A6FFF" + ex.zmk + "RE" + ex.block[1:] + "S", "A7A9"},
		{"Thales version in an R field", "A6FFF" + ex.zmk + "R0" + ex.block[1:] + "S", "A7A9"},
		{"header malformed", "A6FFF" + ex.zmk + "RA0072P0TE00E0\x7e00" + ex.block[16:] + "S", "A7AC"},
		{"usage not allowed for a ZMK", "A6FFF" + zpk + "R" + ex.block + "S", "A7A6"},
		{"wrong LMK slot", "A6FFF" + "S" + slot1 + "R" + ex.block + "S", "A7A3"},
		{"version 0 block under an AES LMK", "A6FFF" + "S" + foreign + "R" + ex.block + "S", "A7BB"},
		{"TDES ZMK for version D", "A6FFF" + ex.zmk + "R" + a6Examples[2].block + "S", "A7BB"},
		{"TDES ZMK exporting as D", "A8FFF" + ex.zmk + zpk + "R!D", "A9BB"},
		{"export of a non-exportable key", "A8FFF" + ex.zmk + ex.zmk + "R", "A9AA"},
		{"key type not FFF", "A6001" + ex.zmk + "R" + ex.block + "S", "A7A1"},
		{"variant ZMK", "A6FFF" + "U1EF828AA8F6B80EB83E19FBC373F3A85" + "R" + ex.block + "S", "A7A1"},
		{"AES key under an AES LMK from A0 needs no TDES", "A00FFFS#P0A4E00E00", "A1A7"},
		{"A0 variant scheme under a key-block LMK", "A00001U", "A1A1"},
		{"usage not representable in TR-31", "A01FFFS" + ex.zmk + "R#61T2N00E00", "A1A6"},
		{"A0 export of a non-exportable key", "A01FFFS" + ex.zmk + "R#72T2N00N00", "A1AA"},
		{"CA with a ZMK as TPK: usage", "CA" + ex.zmk + zpk + "12" + "A912150391AB65A6" + "01" + "01" + "111111111111", "CBA6"},
		{"CA with a ZMK as ZPK: usage", "CA" + zpk + ex.zmk + "12" + "A912150391AB65A67E52883D81CE2D15" + "01" + "01" + "111111111111", "CBA6"},
	} {
		if got := string(h.Execute(nil, []byte(tt.body))); got != tt.want {
			t.Errorf("%s: have %q, want %q", tt.name, got, tt.want)
		}
	}
	// Under a TDES key-block LMK an AES key cannot be generated.
	th, err := NewKeyBlockHSM(keys.TestTDESKeyBlockLMK())
	if err != nil {
		t.Fatal(err)
	}
	if got := string(th.Execute(nil, []byte("A00FFFS#P0A1E00E00"))); got != "A1A7" {
		t.Errorf("AES key under a TDES LMK: have %q, want A1A7", got)
	}
}

// A variant-era command with S keys: CC between two S-block ZPKs, format
// 01. The PIN block is PIN 1234 with account 111111111111 under the TDES
// key 0123456789ABCDEFFEDCBA9876543210 (hostcmd-keyblocks.md §9's example
// result); re-enciphering format 01 under the same key gives it back.
func TestCCWithKeyBlockZPKs(t *testing.T) {
	h := kbHSM(t)
	const zpkT = "S1009672TB00E0000260C61387216C1775918C0E16AC93C9A46539B800A0925CDA80880245B697242D4F0D11FD26991FE"
	got := string(h.Execute(nil, []byte("CC"+zpkT+zpkT+"12"+"2A3D408A1977DDE9"+"01"+"01"+"111111111111")))
	if got != "CD00"+"04"+"2A3D408A1977DDE9"+"01" {
		t.Fatalf("CC answered %q", got)
	}
}

// hostcmd-keyblocks.md §9's worked example: CC from format 48 under an AES
// ZPK (the X9.24-3:2017 format 4 example block) to format 01 under a TDES
// ZPK; and format 01 with the AES key answers 27.
func TestCCISO4WorkedExample(t *testing.T) {
	h := kbHSM(t)
	const zpkA = "S10096P0AB00E000041FAA8814866CBA77400211DD0AB06AE7CFDB3E5BCDA1CCF84E3F447432DD7627726D8F869190207"
	const zpkT = "S1009672TB00E0000260C61387216C1775918C0E16AC93C9A46539B800A0925CDA80880245B697242D4F0D11FD26991FE"
	got := string(h.Execute(nil, []byte("CC"+zpkA+zpkT+"12"+"A912150391AB65A67E52883D81CE2D15"+"48"+"01"+"4111111111111111;")))
	if got != "CD00"+"04"+"2A3D408A1977DDE9"+"01" {
		t.Errorf("CC 48 to 01 answered %q", got)
	}
	got = string(h.Execute(nil, []byte("CC"+zpkA+zpkT+"12"+"A912150391AB65A67E52883D81CE2D15"+"01"+"01"+"111111111111")))
	if got != "CD27" {
		t.Errorf("format 01 under an AES key answered %q, want CD27", got)
	}
}
