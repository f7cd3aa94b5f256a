package tr31

import (
	"bytes"
	"errors"
	"testing"

	"github.com/payhsm/payhsm-gw/keys"
)

// TestTestLMKsUnwrapVectors: the built-in test key-block LMKs are the LMKs
// of CryptoCarver's BP-Tools captures, so those blocks unwrap under them.
func TestTestLMKsUnwrapVectors(t *testing.T) {
	vf := loadVectors(t)
	for _, c := range []struct {
		lmk *keys.KeyBlockLMK
		v   blockVector
	}{{keys.TestAESKeyBlockLMK(), vf.Thales[0]}, {keys.TestAESKeyBlockLMK(), vf.Thales[1]}, {keys.TestTDESKeyBlockLMK(), vf.Thales[3]}} {
		p, err := FromLMK(c.lmk)
		if err != nil {
			t.Fatal(err)
		}
		h, k, err := p.UnwrapThales(c.v.Block)
		if err != nil {
			t.Fatalf("%s: %v", c.v.Name, err)
		}
		if !bytes.Equal(k.Bytes(), unhex(t, c.v.Key)) || h.LMKID != "02" || byte(h.Version) != c.lmk.Version() {
			t.Errorf("%s: key or header differ (LMK ID %s)", c.v.Name, h.LMKID)
		}
	}
	// The AES LMK does not open a version 0 block and the other way round.
	p, _ := FromLMK(keys.TestAESKeyBlockLMK())
	if _, _, err := p.UnwrapThales(vf.Thales[3].Block); !errors.Is(err, ErrKBPK) {
		t.Errorf("version 0 block under the AES LMK: %v", err)
	}
}

// TestThalesUnwrapErrors: a Thales block changed anywhere fails its MAC, and
// a bad LMK ID is a header error.
func TestThalesUnwrapErrors(t *testing.T) {
	v := loadVectors(t).Thales[0]
	p := v.kbpk(t)
	for i := 0; i < len(v.Block); i += 7 {
		c := byte('0')
		if v.Block[i] == '0' {
			c = '1'
		}
		bad := v.Block[:i] + string(c) + v.Block[i+1:]
		_, _, err := p.UnwrapThales(bad)
		if err == nil {
			t.Errorf("change at %d accepted", i)
			continue
		}
		checkSentinel(t, err)
	}
	if _, _, err := p.UnwrapThales(v.Block[:14] + "X2" + v.Block[16:]); !errors.Is(err, ErrHeader) {
		t.Errorf("LMK ID X2: %v", err)
	}
}

func TestTR31Usage(t *testing.T) {
	for u, want := range map[string]string{"72": "P0", "71": "P0", "52": "K0", "13": "C0", "42": "B0", "P0": "P0", "K1": "K1", "61": "", "99": "", "": "", "7": ""} {
		have, ok := TR31Usage(u)
		if have != want || ok != (want != "") {
			t.Errorf("TR31Usage(%q) = %q, %v; want %q", u, have, ok, want)
		}
	}
}
