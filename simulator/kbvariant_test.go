package simulator

import (
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/tr31"
)

// The ThalesSim A0 trace (thalessim4.rssing.com chan-8052138 article 52,
// the [RS] source of docs/reference): under ZMK 0808...08, whose test-LMK
// cryptogram is rsZMK, A0 exported a ZPK as rsKeyUnderZMK (scheme U), whose
// test-LMK cryptogram is rsKeyUnderLMK; the key is rsKey, KCV B3E1C8.
const (
	rsZMKClear    = "08080808080808080808080808080808"
	rsZMK         = "U0A26760BD07871026B6702C5F9BA25B3"
	rsKeyUnderZMK = "U631EAA5F7E6A6C9EB5A1701259A7AB54"
	rsKeyUnderLMK = "U61F612B4FD859AA204D0D2414F18C29F"
	rsKey         = "5B012F0E75970D5DB96EE65249F1D949"
	rsKCV         = "B3E1C8"
)

// TestA6VariantSource imports the trace's key under ZMK (scheme U) under a
// key-block LMK: the block under the LMK holds the trace's key with the
// "#" header, and the KCV is the trace's.
func TestA6VariantSource(t *testing.T) {
	l := keys.TestAESKeyBlockLMK()
	h := kbHSM(t)
	zmk := sBlock(t, l, tr31.Header{KeyUsage: "K0", Algorithm: 'T', ModeOfUse: 'B'}, rsZMKClear)
	resp := string(h.Execute(nil, []byte("A6FFF"+zmk+rsKeyUnderZMK+"S#72B00S01KS0800AB")))
	if !strings.HasPrefix(resp, "A700S") || !strings.HasSuffix(resp, rsKCV) {
		t.Fatalf("have %.12q...%q, want A700 S... %s", resp, resp[max(len(resp)-6, 0):], rsKCV)
	}
	hd, k := lmkOpen(t, resp[4:len(resp)-6])
	defer k.Destroy()
	if hexUpper(k.Bytes()) != rsKey {
		t.Errorf("the imported key is not the trace's key")
	}
	if hd.KeyUsage != "72" || hd.Algorithm != 'T' || hd.ModeOfUse != 'B' || hd.KeyVersion != "00" || hd.Exportability != 'S' || hd.LMKID != "00" {
		t.Errorf("header %+v does not carry the # attributes", hd)
	}
	if ks, ok := hd.Block("KS"); !ok || ks != "00AB" {
		t.Errorf("the # optional block KS is not in the header: %q %v", ks, ok)
	}

	// Round trip: A0 mode 1 exports under the same ZMK as U, X or 16H (the
	// variant method of hostcmd.md), A6 imports the key again under a
	// key-block LMK, same KCV.
	v := NewHSM(nil)
	for _, tc := range []struct{ kt, scheme string }{{"001", "U"}, {"001", "X"}, {"002", "Z"}} {
		lmkScheme := tc.scheme
		if tc.scheme == "X" {
			lmkScheme = "U"
		}
		a1 := string(v.Execute(nil, []byte("A01"+tc.kt+lmkScheme+rsZMK+tc.scheme)))
		if !strings.HasPrefix(a1, "A100") {
			t.Fatalf("A0 %s: %q", tc.scheme, a1)
		}
		n := 33
		if tc.scheme == "Z" {
			n = 16
		}
		underZMK := a1[4+n : 4+2*n]
		kcv := a1[4+2*n:]
		if got := string(h.Execute(nil, []byte("A6FFF"+zmk+underZMK+"S#P0B00N00"))); !strings.HasPrefix(got, "A700S") || !strings.HasSuffix(got, kcv) {
			t.Errorf("A6 of an A0 %s export: have %.10q...%q, want KCV %s", tc.scheme, got, got[max(len(got)-6, 0):], kcv)
		}
	}

	for _, tt := range []struct{ name, body, want string }{
		{"exportability E", "A6FFF" + zmk + rsKeyUnderZMK + "S#P0B00E00", "A7AA"},
		{"parity error", "A6FFF" + zmk + "U631EAA5F7E6A6C9EB5A1701259A7AB55" + "S#P0B00N00", "A711"},
		{"AES ZMK", "A6FFF" + sBlock(t, l, tr31.Header{KeyUsage: "K0", Algorithm: 'A', ModeOfUse: 'B'}, rsZMKClear) + rsKeyUnderZMK + "S#P0B00N00", "A7A7"},
		{"ZMK with ZPK usage", "A6FFF" + sBlock(t, l, tr31.Header{KeyUsage: "P0", Algorithm: 'T', ModeOfUse: 'B'}, rsZMKClear) + rsKeyUnderZMK + "S#P0B00N00", "A7A6"},
		{"no #", "A6FFF" + zmk + rsKeyUnderZMK + "S", "A715"},
	} {
		if got := string(h.Execute(nil, []byte(tt.body))); got != tt.want {
			t.Errorf("%s: have %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestA8VariantToTR31 exports the trace's key from under the test variant
// LMK to a TR-31 block under the trace's ZMK, in the [AWSS] form
// (A8 + key type + ZMK + key + R + & header + ! version): the block opens
// under the clear ZMK to the trace's key, with the & header.
func TestA8VariantToTR31(t *testing.T) {
	h := NewHSM(nil)
	for _, v := range []byte("ABC") {
		resp := string(h.Execute(nil, []byte("A8001"+rsZMK+rsKeyUnderLMK+"R%00&P0B00E01KS0800AB!"+string(v))))
		if !strings.HasPrefix(resp, "A900R") || !strings.HasSuffix(resp, rsKCV) {
			t.Fatalf("!%c: have %.12q...%q, want A900 R... %s", v, resp, resp[max(len(resp)-6, 0):], rsKCV)
		}
		hd, k, err := tr31.Unwrap(mustKey(t, rsZMKClear), resp[5:len(resp)-6])
		if err != nil {
			t.Fatalf("!%c: the exported block does not open under the ZMK: %v", v, err)
		}
		if hexUpper(k.Bytes()) != rsKey {
			t.Errorf("!%c: the exported key is not the trace's key", v)
		}
		if hd.Version != tr31.Version(v) || hd.KeyUsage != "P0" || hd.Algorithm != 'T' || hd.ModeOfUse != 'B' || hd.Exportability != 'E' {
			t.Errorf("!%c: header %+v does not carry the & attributes", v, hd)
		}
		if ks, ok := hd.Block("KS"); !ok || ks != "00AB" {
			t.Errorf("!%c: KS block %q %v", v, ks, ok)
		}
	}
	// Default version B; a single-length key is algorithm D.
	resp := string(h.Execute(nil, []byte("A8001"+rsZMK+rsKeyUnderLMK+"R&P0B00E00")))
	if !strings.HasPrefix(resp, "A900RB") {
		t.Errorf("no !: have %.12q, want version B", resp)
	}
	a1 := string(h.Execute(nil, []byte("A00002Z")))
	single, kcv := a1[4:20], a1[20:]
	resp = string(h.Execute(nil, []byte("A8002"+rsZMK+single+"R&P0D00N00")))
	if !strings.HasPrefix(resp, "A900RB") || !strings.HasSuffix(resp, kcv) {
		t.Fatalf("single key: have %.12q", resp)
	}
	if hd, _, err := tr31.Unwrap(mustKey(t, rsZMKClear), resp[5:len(resp)-6]); err != nil || hd.Algorithm != 'D' {
		t.Errorf("single key: algorithm %c, %v; want D", hd.Algorithm, err)
	}
	for _, tt := range []struct{ name, body, want string }{
		{"version D under a TDES ZMK", "A8001" + rsZMK + rsKeyUnderLMK + "R&P0B00E00!D", "A9BB"},
		{"scheme S", "A8001" + rsZMK + rsKeyUnderLMK + "S&P0B00E00", "A9A1"},
		{"exportability X", "A8001" + rsZMK + rsKeyUnderLMK + "R&P0B00X00", "A9AA"},
		{"no &", "A8001" + rsZMK + rsKeyUnderLMK + "R", "A915"},
		{"ZMK parity", "A8001" + "U0A26760BD07871026B6702C5F9BA25B4" + rsKeyUnderLMK + "R&P0B00E00", "A910"},
		{"key type FFF", "A8FFF" + rsZMK + rsKeyUnderLMK + "R", "A9A1"},
		{"LMK id", "A8001" + rsZMK + rsKeyUnderLMK + "R%01&P0B00E00", "A913"},
	} {
		if got := string(h.Execute(nil, []byte(tt.body))); got != tt.want {
			t.Errorf("%s: have %q, want %q", tt.name, got, tt.want)
		}
	}
}
