package simulator

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/keys"
)

// kbHSM returns a simulator under the test AES key-block LMK.
func kbHSM(t testing.TB) *HSM {
	t.Helper()
	h, err := NewKeyBlockHSM(keys.TestAESKeyBlockLMK())
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestKeyBlockLMKConfig(t *testing.T) {
	if _, err := Start(Config{LMK: keys.TestLMK(), KeyBlockLMK: keys.TestAESKeyBlockLMK()}); err == nil {
		t.Fatal("Start accepted two LMKs")
	}
	for _, l := range []*keys.KeyBlockLMK{keys.TestAESKeyBlockLMK(), keys.TestTDESKeyBlockLMK()} {
		s := startServer(t, Config{KeyBlockLMK: l})
		cv := l.CheckValue()
		want := strings.ToUpper(hex.EncodeToString(cv[:]))
		if s.HSM().CheckValue() != want {
			t.Errorf("%s: CheckValue %s, want %s", s.HSM().LMKKind(), s.HSM().CheckValue(), want)
		}
		c := dial(t, s.Addr(), DefaultHeaderLen)
		if got := string(c.do([]byte("NC"))); got != "ND00"+want+Firmware {
			t.Errorf("%s: NC answered %q, want the key-block LMK's check value %s", s.HSM().LMKKind(), got, want)
		}
	}
}

// Under a key-block LMK, a variant key answers A1, and so does a command
// with no key-block form; under a variant LMK, an S key answers A1
// (hostcmd-keyblocks.md §2).
func TestKeyBlockLMKRefusesTheOtherKind(t *testing.T) {
	kb := kbHSM(t)
	variant := NewHSM(nil)
	const zpkS = "S10096P0AB00E000041FAA8814866CBA77400211DD0AB06AE7CFDB3E5BCDA1CCF84E3F447432DD7627726D8F869190207"
	for _, tt := range []struct {
		name string
		h    *HSM
		body string
		want string
	}{
		{"variant ZPK under a key-block LMK", kb, "JE" + "U1EF828AA8F6B80EB83E19FBC373F3A85" + "0123456789ABCDEF01550000025321", "JFA1"},
		{"BU has no key-block form", kb, "BU011U1EF828AA8F6B80EB83E19FBC373F3A85", "BVA1"},
		{"variant key in CY under a key-block LMK", kb, "CYU1EF828AA8F6B80EB83E19FBC373F3A85123" + "4123456789012345;8701101", "CZA1"},
		{"S key under a variant LMK", variant, "CY" + zpkS + "123" + "4123456789012345;8701101", "CZA1"},
	} {
		if got := string(tt.h.Execute(nil, []byte(tt.body))); got != tt.want {
			t.Errorf("%s: have %q, want %q", tt.name, got, tt.want)
		}
	}
}
