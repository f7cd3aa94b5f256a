package tr31

import (
	"bytes"
	"crypto/aes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/pin"
)

// The worked examples of docs/spec/hostcmd-keyblocks.md §7 and §9: keys
// under the test AES key-block LMK, written with zero padding (computed by
// this package; the keys and the TR-31 blocks they open are TR-31:2018 Annex
// A.7 and X9.24-3:2017 vectors). This test keeps the contract's examples
// true: each block is what WrapThales writes, it unwraps to its key, and the
// flows the contract describes give the vectors' results.
var contractKeys = []struct {
	name, block, key, kcv, annex, annexKCV string
}{
	{"ZMK A.7.2.1", "10096K0TB00N00005A634D4F5AE0F8DA24C183601EA689F810ADC8D581508552923DCBB0CCF5B56C2A5DECC8E32E1DAB",
		"89E88CF7931444F334BD7547FC3F380C", "D1D812", "A0072P0TE00E0000F5161ED902807AF26F1D62263644BD24192FDB3193C730301CEE8701", "CB9DEA"},
	{"ZMK A.7.2.2", "10096K0TB00N000092C4AB5B305FF5028CCC9C2028BAF28B1E3C2E4B8DA8D569B6E6FACAF6FA10E1AEFF2FC0DEF49D87",
		"DD7515F2BFC17F85CE48F3CA25CB21F6", "F7BAA8", "B0080P0TE00E000094B420079CC80BA3461F86FE26EFC4A3B8E4FA4C5F5341176EED7B727B8A248E", "57C409"},
	{"ZMK A.7.4", "10128K0AB00N0000C25C10345D9A26B2428D624C99A5AC4237637E1B7595F4BC6955BAB68DC5F339353DB1273EDC0FBE37853C8ACBFAFD960DE0CAF2A22DC34C",
		"88E1AB2A2E3DD38C1FA039A536500CC8A87AB9D62DC92C01058FA79F44657DE6", "233155", "D0112P0AE00E0000B82679114F470F540165EDFBF7E250FCEA43F810D215F8D207E2E417C07156A27E8E31DA05F7425509593D03A457DC34", "08793E"},
	{"ZPK AES", "10096P0AB00E000041FAA8814866CBA77400211DD0AB06AE7CFDB3E5BCDA1CCF84E3F447432DD7627726D8F869190207",
		"AF8CB133A78F8DC2D1359F18527593FB", "98964F", "", ""},
	{"ZPK TDES", "1009672TB00E0000260C61387216C1775918C0E16AC93C9A46539B800A0925CDA80880245B697242D4F0D11FD26991FE",
		"0123456789ABCDEFFEDCBA9876543210", "08D7B4", "", ""},
}

func TestContractExamples(t *testing.T) {
	lmk, err := FromLMK(keys.TestAESKeyBlockLMK())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range contractKeys {
		h, k, err := lmk.UnwrapThales(c.block)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !bytes.Equal(k.Bytes(), unhex(t, c.key)) {
			t.Fatalf("%s: key differs", c.name)
		}
		kcv, _ := CheckValue(h.Algorithm, k)
		if got := strings.ToUpper(hex.EncodeToString(kcv[:3])); got != c.kcv {
			t.Errorf("%s: KCV %s, contract says %s", c.name, got, c.kcv)
		}
		again, err := lmk.WrapThales(h, k, &WrapOptions{Rand: bytes.NewReader(make([]byte, 32))})
		if err != nil || again != c.block {
			t.Errorf("%s: zero-padded wrap differs: %v", c.name, err)
		}
		if c.annex == "" {
			continue
		}
		// A6: the ZMK under the LMK opens the Annex block; A8 back.
		zmk, err := NewKBPK(h.Algorithm, k)
		if err != nil {
			t.Fatal(err)
		}
		ih, ik, err := zmk.Unwrap(c.annex)
		if err != nil {
			t.Fatalf("%s: import: %v", c.name, err)
		}
		ikcv, _ := CheckValue(ih.Algorithm, ik)
		if got := strings.ToUpper(hex.EncodeToString(ikcv[:3])); got != c.annexKCV {
			t.Errorf("%s: imported KCV %s, want %s", c.name, got, c.annexKCV)
		}
		out, err := zmk.Wrap(ih, ik, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, back, err := zmk.Unwrap(out); err != nil || !bytes.Equal(back.Bytes(), ik.Bytes()) {
			t.Errorf("%s: export after import does not open: %v", c.name, err)
		}
	}

	// §9: CC from format 48 under the AES ZPK to format 01 under the TDES
	// ZPK, source block from X9.24-3:2017 (KSN ...0001).
	_, src, _ := lmk.UnwrapThales(contractKeys[3].block)
	_, dst, _ := lmk.UnwrapThales(contractKeys[4].block)
	from, _ := aes.NewCipher(src.Bytes())
	to, _ := tdes.New(dst.Bytes())
	out, n, err := pin.Translate(nil, unhex(t, "A912150391AB65A67E52883D81CE2D15"), from, pin.ISO4, to, pin.ISO0, "4111111111111111", nil)
	if err != nil || n != 4 || strings.ToUpper(hex.EncodeToString(out)) != "2A3D408A1977DDE9" {
		t.Errorf("CC example: %X, %d, %v", out, n, err)
	}
}
