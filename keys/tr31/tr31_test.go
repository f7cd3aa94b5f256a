package tr31

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/internal/testlog"
	"github.com/payhsm/payhsm-gw/keys"
)

// A.7.2.1 of TR-31:2018 (testdata/keyblocks.json) for the negative cases.
const (
	a721KBPK  = "89E88CF7931444F334BD7547FC3F380C"
	a721Block = "A0072P0TE00E0000F5161ED902807AF26F1D62263644BD24192FDB3193C730301CEE8701"
	a721Key   = "F039121BEC83D26B169BDCD5B22AAF8F"
)

// TestRoundTrip wraps random keys of every length an algorithm allows under
// KBPKs of every allowed length, for every version, with and without
// masking and with optional blocks, and unwraps them.
func TestRoundTrip(t *testing.T) {
	kbpks := map[byte][]int{'T': {16, 24}, 'A': {16, 24, 32}}
	keyLens := map[byte][]int{'T': {8, 16, 24}, 'A': {16, 24, 32}}
	for _, v := range []Version{VersionA, VersionB, VersionC, VersionD, ThalesTDES, ThalesAES} {
		for _, pl := range kbpks[v.KBPKAlgorithm()] {
			p, err := NewKBPK(v.KBPKAlgorithm(), randKey(t, pl))
			if err != nil {
				t.Fatal(err)
			}
			for _, alg := range []byte{'T', 'A'} {
				for _, kl := range keyLens[alg] {
					for _, mask := range []bool{false, true} {
						name := fmt.Sprintf("%v/kbpk%d/%c%d/mask=%v", v, pl, alg, kl, mask)
						h := Header{Version: v, KeyUsage: "P0", Algorithm: alg, ModeOfUse: 'E', KeyVersion: "00", Exportability: 'E',
							Blocks: []Block{{ID: "KS", Data: "00604B120F9292800000"}, {ID: "LB", Data: "a label"}}}
						wrap, unwrap := p.Wrap, p.Unwrap
						if v.Thales() {
							h.LMKID = "01"
							h.Blocks = []Block{{ID: "01", Data: "0000"}}
							wrap, unwrap = p.WrapThales, p.UnwrapThales
						}
						k := randKey(t, kl)
						kb, err := wrap(h, k, &WrapOptions{MaskKeyLength: mask})
						if err != nil {
							t.Fatalf("%s: wrap: %v", name, err)
						}
						h2, k2, err := unwrap(kb)
						if err != nil {
							t.Fatalf("%s: unwrap: %v", name, err)
						}
						if !bytes.Equal(k.Bytes(), k2.Bytes()) {
							t.Fatalf("%s: key differs after a round trip", name)
						}
						if h2.KeyUsage != "P0" || h2.Algorithm != alg || h2.LMKID != h.LMKID || len(h2.Blocks) != len(h.Blocks)+1 && len(h2.Blocks) != len(h.Blocks) {
							t.Fatalf("%s: header %+v", name, h2)
						}
						if _, _, n, err := ParseHeader(kb); err != nil || n != len(kb) {
							t.Fatalf("%s: declared length %d, block %d", name, n, len(kb))
						}
						// Exported again from what was imported: the same
						// header, so import then export round-trips.
						kb2, err := wrap(h2, k2, &WrapOptions{MaskKeyLength: mask})
						if err != nil || len(kb2) != len(kb) || kb2[:16] != kb[:16] {
							t.Fatalf("%s: rewrap: %v", name, err)
						}
						if _, k3, err := unwrap(kb2); err != nil || !bytes.Equal(k3.Bytes(), k.Bytes()) {
							t.Fatalf("%s: unwrap of the rewrap: %v", name, err)
						}
					}
				}
			}
		}
	}
}

func randKey(t testing.TB, n int) keys.ClearKey {
	t.Helper()
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*37 + n)
	}
	k, err := keys.NewClearKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestUnwrapErrors(t *testing.T) {
	good := clearKey(t, a721KBPK)
	flip := func(s string, i int) string {
		c := byte('0')
		if s[i] == '0' {
			c = '1'
		}
		return s[:i] + string(c) + s[i+1:]
	}
	tests := []struct {
		name  string
		kbpk  keys.ClearKey
		block string
		want  error
	}{
		{"MAC changed", good, flip(a721Block, len(a721Block)-1), ErrMAC},
		{"ciphertext changed", good, flip(a721Block, 20), ErrMAC},
		{"header changed", good, strings.Replace(a721Block, "P0TE", "P0TD", 1), ErrMAC},
		{"wrong KBPK", clearKey(t, "89E88CF7931444F334BD7547EC3F380C"), a721Block, ErrMAC},
		{"AES KBPK of 16 bytes reads as TDES for A", clearKey(t, a721KBPK), a721Block, nil},
		{"length field too big", good, strings.Replace(a721Block, "A0072", "A0080", 1), ErrLength},
		{"length field too small", good, strings.Replace(a721Block, "A0072", "A0064", 1), ErrLength},
		{"truncated", good, "A0064" + a721Block[5:64], ErrLength},
		{"only header and MAC", good, "A0024" + a721Block[5:16] + "01CEE870", ErrLength},
		{"odd ciphertext", good, "A0068" + a721Block[5:60] + "01CEE870", ErrLength},
		{"not hex", good, a721Block[:30] + "ZZ" + a721Block[32:], ErrEncoding},
		{"empty", good, "", ErrVersion},
		{"version E", good, "E" + a721Block[1:], ErrVersion},
		{"Thales version", good, "0" + a721Block[1:], ErrVersion},
		{"header short", good, "A0010P0TE", ErrHeader},
		{"single DES KBPK", clearKey(t, "0123456789ABCDEF"), a721Block, ErrKBPK},
		{"32-byte KBPK for A", clearKey(t, strings.Repeat("01", 32)), a721Block, ErrKBPK},
		{"header not a multiple of 8", good, "A0076P0TE00E0100PB04" + a721Block[16:], ErrHeader},
	}
	for _, tt := range tests {
		_, k, err := Unwrap(tt.kbpk, tt.block)
		if tt.want == nil {
			if err != nil || !bytes.Equal(k.Bytes(), unhex(t, a721Key)) {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.want)
			continue
		}
		if k.Len() != 0 {
			t.Errorf("%s: a key came back with the error", tt.name)
		}
		var e *Error
		if !errors.As(err, &e) || !strings.HasPrefix(err.Error(), "tr31: ") {
			t.Errorf("%s: error %q is not a *tr31.Error", tt.name, err)
		}
		for _, secret := range []string{a721KBPK[:8], a721Key[:8], a721Block[16:24]} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("%s: error %q carries key material", tt.name, err)
			}
		}
	}
	// The Thales entry points refuse TR-31 blocks and the other way round.
	p, _ := NewKBPK('T', good)
	if _, _, err := p.UnwrapThales(a721Block); !errors.Is(err, ErrVersion) {
		t.Errorf("UnwrapThales of a TR-31 block: %v", err)
	}
	if _, _, err := p.Unwrap("00072P0TE00E0000F3ABE56BDCD4AA26BE0A30C7D895A9755B5FCB994EDD8E7EE627CA46"); !errors.Is(err, ErrVersion) {
		t.Errorf("Unwrap of a Thales block: %v", err)
	}
	aes, _ := NewKBPK('A', good)
	if _, _, err := aes.Unwrap(a721Block); !errors.Is(err, ErrKBPK) {
		t.Errorf("AES KBPK for version A: %v", err)
	}
}

// TestUnwrapKeyLength: a payload whose key length field does not fit is
// refused after the MAC verifies (a block built here with a lying length).
func TestUnwrapKeyLength(t *testing.T) {
	p, _ := NewKBPK('T', clearKey(t, a721KBPK))
	h := Header{Version: VersionB, KeyUsage: "P0", Algorithm: 'T', ModeOfUse: 'E', KeyVersion: "00", Exportability: 'E'}
	for _, kl := range []int{16, 24} {
		kb, err := p.Wrap(h, randKey(t, kl), nil)
		if err != nil {
			t.Fatal(err)
		}
		// Rebuild with the length field rewritten, MAC recomputed.
		_, payload, err := p.open(kb)
		if err != nil {
			t.Fatal(err)
		}
		payload[0], payload[1] = 0x01, 0x00 // 256 bits: longer than the payload
		bad := rebuild(t, p, h, payload)
		if _, _, err := p.Unwrap(bad); !errors.Is(err, ErrLength) {
			t.Errorf("key length 256 bits: %v", err)
		}
		payload[0], payload[1] = 0x00, 0x41 // not whole bytes
		if _, _, err := p.Unwrap(rebuild(t, p, h, payload)); !errors.Is(err, ErrLength) {
			t.Errorf("key length 65 bits: %v", err)
		}
		payload[0], payload[1] = 0x00, 0x50 // 10 bytes: not a ClearKey length
		if _, _, err := p.Unwrap(rebuild(t, p, h, payload)); !errors.Is(err, ErrLength) {
			t.Errorf("key length 80 bits: %v", err)
		}
	}
}

// rebuild seals a payload as it is, bypassing Wrap's key length.
func rebuild(t *testing.T, p *KBPK, h Header, payload []byte) string {
	t.Helper()
	hdr, err := h.Marshal(2*len(payload) + 2*h.Version.MACLen())
	if err != nil {
		t.Fatal(err)
	}
	bd, err := p.binding(h.Version)
	if err != nil {
		t.Fatal(err)
	}
	return seal(bd, h.Version, hdr, payload)
}

func TestWrapErrors(t *testing.T) {
	p, _ := NewKBPK('T', clearKey(t, a721KBPK))
	base := Header{Version: VersionB, KeyUsage: "P0", Algorithm: 'T', ModeOfUse: 'E', KeyVersion: "00", Exportability: 'E'}
	tests := []struct {
		name string
		h    func(h *Header)
		key  keys.ClearKey
		want error
	}{
		{"AES key with T", nil, randKey(t, 32), ErrKey},
		{"DES key with A", func(h *Header) { h.Algorithm = 'A' }, randKey(t, 8), ErrKey},
		{"no key", func(h *Header) { h.Algorithm = 'H' }, keys.ClearKey{}, ErrKey},
		{"version D under TDES", func(h *Header) { h.Version = VersionD }, randKey(t, 16), ErrKBPK},
		{"Thales version through Wrap", func(h *Header) { h.Version = ThalesTDES; h.LMKID = "00" }, randKey(t, 16), ErrVersion},
		{"usage one char", func(h *Header) { h.KeyUsage = "P" }, randKey(t, 16), ErrHeader},
		{"usage with space", func(h *Header) { h.KeyUsage = "P " }, randKey(t, 16), ErrHeader},
		{"mode zero", func(h *Header) { h.ModeOfUse = 0 }, randKey(t, 16), ErrHeader},
		{"block data not printable", func(h *Header) { h.Blocks = []Block{{ID: "LB", Data: "a\nb"}} }, randKey(t, 16), ErrHeader},
		{"block ID short", func(h *Header) { h.Blocks = []Block{{ID: "L", Data: "x"}} }, randKey(t, 16), ErrHeader},
		{"too long", func(h *Header) { h.Blocks = []Block{{ID: "LB", Data: strings.Repeat("x", 9990)}} }, randKey(t, 16), ErrLength},
	}
	for _, tt := range tests {
		h := base
		if tt.h != nil {
			tt.h(&h)
		}
		_, err := p.Wrap(h, tt.key, nil)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err %v, want %v", tt.name, err, tt.want)
		}
	}
	thales := base
	thales.Version, thales.LMKID = ThalesTDES, "2"
	if _, err := p.WrapThales(thales, randKey(t, 16), nil); !errors.Is(err, ErrHeader) {
		t.Errorf("Thales LMK ID of one digit: %v", err)
	}
	if _, err := p.WrapThales(base, randKey(t, 16), nil); !errors.Is(err, ErrVersion) {
		t.Errorf("TR-31 version through WrapThales: %v", err)
	}
	if _, err := p.Wrap(base, randKey(t, 16), &WrapOptions{Rand: bytes.NewReader(nil)}); err == nil {
		t.Error("a failing random source gave no error")
	}
}

// TestExtendedLengthBlock: a block too long for a 2-digit length is written
// in the extended form and read back.
func TestExtendedLengthBlock(t *testing.T) {
	p, _ := NewKBPK('A', randKey(t, 32))
	long := strings.Repeat("L", 300)
	h := Header{Version: VersionD, KeyUsage: "P0", Algorithm: 'A', ModeOfUse: 'E', KeyVersion: "00", Exportability: 'E', Blocks: []Block{{ID: "LB", Data: long}}}
	kb, err := p.Wrap(h, randKey(t, 16), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(kb[16:], "LB00040136LLL") {
		t.Errorf("extended block header %q", kb[16:29])
	}
	h2, _, err := p.Unwrap(kb)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := h2.Block("LB"); d != long {
		t.Errorf("LB data of %d characters, want 300", len(d))
	}
}

func TestKBPKRedacts(t *testing.T) {
	p, _ := NewKBPK('T', clearKey(t, a721KBPK))
	type holder struct{ k *KBPK }
	printed := append(testlog.Renderings(t, p), testlog.Renderings(t, holder{p})...)
	for _, s := range append(printed, testlog.Renderings(t, *p)...) {
		if strings.Contains(strings.ToUpper(s), a721KBPK[:6]) {
			t.Errorf("KBPK printed: %s", s)
		}
	}
	if fmt.Sprint(p) != redact.Placeholder {
		t.Errorf("Sprint: %s", fmt.Sprint(p))
	}
	if _, err := NewKBPK('X', clearKey(t, a721KBPK)); !errors.Is(err, ErrKBPK) {
		t.Errorf("algorithm X: %v", err)
	}
	if _, err := NewKBPK('A', clearKey(t, "0123456789ABCDEF")); !errors.Is(err, ErrKBPK) {
		t.Errorf("AES KBPK of 8 bytes: %v", err)
	}
}
