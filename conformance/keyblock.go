package conformance

import (
	"bytes"
	"context"
	"crypto/aes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/hexdigit"
	"github.com/payhsm/payhsm-gw/internal/kbvec"
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/tr31"
	"github.com/payhsm/payhsm-gw/pin"
)

// keyBlockCmds adds the A6 and A8 cases a variant-LMK target must pass
// (docs/spec/hostcmd-keyblocks.md §1-§2, §8): A6 and a key-block A8 need a
// key-block LMK, so a variant-LMK HSM answers A1 (ours; the ZMK and key
// blocks are the contract's worked-example blocks under the test AES
// key-block LMK and the TR-31:2018 Annex A.7.2.1 block); A8 from the
// variant LMK exports to TR-31.
func (g *gen) keyBlockCmds() {
	const (
		zmk   = "10096K0TB00N00005A634D4F5AE0F8DA24C183601EA689F810ADC8D581508552923DCBB0CCF5B56C2A5DECC8E32E1DAB"
		zpk   = "10096P0AB00E000041FAA8814866CBA77400211DD0AB06AE7CFDB3E5BCDA1CCF84E3F447432DD7627726D8F869190207"
		tr31A = "A0072P0TE00E0000F5161ED902807AF26F1D62263644BD24192FDB3193C730301CEE8701"
	)
	s := func(b string) hostcmd.KeyField { return hostcmd.KeyField{Scheme: hostcmd.SchemeS, Hex: b} }
	g.errCase("A6 under a variant LMK answers A1", &hostcmd.A6{KeyType: "FFF", ZMK: s(zmk),
		Key: hostcmd.KeyField{Scheme: hostcmd.SchemeR, Hex: tr31A}, SchemeLMK: 'S'}, hostcmd.IncompatibleLMK)
	g.errCase("A8 key type FFF under a variant LMK answers A1", &hostcmd.A8{KeyType: "FFF", ZMK: s(zmk), Key: s(zpk),
		SchemeZMK: 'R', Options: hostcmd.KeyBlockOptions{Version: 'B'}}, hostcmd.IncompatibleLMK)

	// A8 from the variant LMK to TR-31 ([AWSS] form: "&" header, "!"
	// version): the block opens under the clear ZMK to the key.
	vz := g.key(keys.ZMK, keys.SchemeU)
	for _, tc := range []struct {
		name string
		kt   keys.KeyType
		code string
		s    keys.Scheme
		ver  byte
		alg  byte
	}{
		{"ZPK scheme U as TR-31 B", keys.ZPK, "001", keys.SchemeU, 'B', 'T'},
		{"TAK scheme T as TR-31 C", keys.TAK, "003", keys.SchemeT, 'C', 'T'},
		{"single-length TPK as TR-31 A", keys.TPK, "002", keys.SchemeSingle, 'A', 'D'},
		{"ZPK, default version B", keys.ZPK, "001", keys.SchemeU, 0, 'T'},
	} {
		k := g.key(tc.kt, tc.s)
		at := &hostcmd.KeyAttributes{Usage: "P0", ModeOfUse: 'B', KeyVersion: "00", Exportability: 'E',
			Blocks: []hostcmd.OptionalBlock{{ID: "KS", Data: "00" + g.digits(6)}}}
		if tc.kt == keys.TAK {
			at.Usage, at.ModeOfUse = "M3", 'C'
		}
		want := tr31.Version(tc.ver)
		if tc.ver == 0 {
			want = tr31.VersionB
		}
		g.add("A8 variant "+tc.name, &hostcmd.A8{KeyType: tc.code, ZMK: vz.field, Key: k.field, SchemeZMK: 'R',
			Options: hostcmd.KeyBlockOptions{Export: at, Version: tc.ver}}, func(_ context.Context, _ RoundTripper, resp []byte) error {
			a9, err := parseOK[*hostcmd.A9]("A8", resp)
			if err != nil {
				return err
			}
			hd, xk, err := openUnder('T', vz.clear, a9.KeyUnderZMK)
			if err != nil {
				return err
			}
			defer xk.Destroy()
			if hd.Version != want || hd.KeyUsage != at.Usage || hd.Algorithm != tc.alg || hd.ModeOfUse != at.ModeOfUse || hd.Exportability != at.Exportability {
				return fmt.Errorf("header %c%s%c%c%c, want %c%s%c%c%c", hd.Version, hd.KeyUsage, hd.Algorithm, hd.ModeOfUse, hd.Exportability,
					want, at.Usage, tc.alg, at.ModeOfUse, at.Exportability)
			}
			if ks, ok := hd.Block("KS"); !ok || ks != at.Blocks[0].Data {
				return errors.New("the '&' KS block is not in the header")
			}
			if err := sameKey(xk, k.clear); err != nil {
				return err
			}
			v, err := kcv('T', k.clear)
			if err != nil {
				return err
			}
			if !equal([]byte(a9.KCV), []byte(v)) {
				return errors.New("KCV is not the key's check value")
			}
			return nil
		})
	}
	k := g.key(keys.ZPK, keys.SchemeU)
	a8 := func() *hostcmd.A8 {
		return &hostcmd.A8{KeyType: "001", ZMK: vz.field, Key: k.field, SchemeZMK: 'R',
			Options: hostcmd.KeyBlockOptions{Export: &hostcmd.KeyAttributes{Usage: "P0", ModeOfUse: 'B', KeyVersion: "00", Exportability: 'E'}}}
	}
	r := a8()
	r.Options.Version = 'D'
	g.errCase("A8 variant to TR-31 D (TDES ZMK) is BB", r, hostcmd.KBPKMismatch)
	r = a8()
	r.ZMK = g.badKey(keys.ZMK, keys.SchemeU)
	g.errCase("A8 variant ZMK parity error is 10", r, hostcmd.SourceKeyParity)
	r = a8()
	r.Options.Export = nil
	g.raw("A8 variant without '&' is 15", r.AppendBody(nil), hostcmd.InvalidInput)
	r = a8()
	r.Options.Export.Blocks = []hostcmd.OptionalBlock{{ID: "PB", Data: "00"}}
	g.raw("A8 variant '&' with a PB block is B3", r.AppendBody(nil), hostcmd.OptionalBlockRefused)
}

// kbVector is a key block of testdata/keyblock.json: block unwraps under
// kbpk to key.
type kbVector = kbvec.KeyBlock

// kbVectorFile is testdata/keyblock.json: TR-31 blocks, Thales blocks and
// variant-scheme keys under a ZMK.
type kbVectorFile struct {
	TR31    []kbVector `json:"tr31"`
	Thales  []kbVector `json:"thales"`
	Variant []kbVector `json:"variant"`
	ISO4    []struct {
		Source    string `json:"source"`
		PIN       string `json:"pin"`
		PAN       string `json:"pan"`
		Key       string `json:"key"`
		Encrypted string `json:"encrypted"`
	} `json:"iso4"`
}

// kbVectors loads testdata/keyblock.json.
func kbVectors() (*kbVectorFile, error) {
	b, err := testdata.ReadFile("testdata/keyblock.json")
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	var f kbVectorFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("conformance: testdata/keyblock.json: %w", err)
	}
	return &f, nil
}

// kbgen makes the cases of a key-block-LMK target: keys are Thales blocks
// under its LMK, wrapped here with padding from the seeded generator.
type kbgen struct {
	*gen
	l    *keys.KeyBlockLMK
	kbpk *tr31.KBPK
}

// newKBGen returns the generator of the cases for a target that holds
// key-block LMK l, seeded with seed (0 means DefaultSeed).
func newKBGen(l *keys.KeyBlockLMK, seed uint64) (*kbgen, error) {
	if seed == 0 {
		seed = DefaultSeed
	}
	kbpk, err := tr31.FromLMK(l)
	if err != nil {
		return nil, fmt.Errorf("conformance: key-block LMK: %w", err)
	}
	return &kbgen{
		gen:  &gen{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), lmk: keys.TestLMK()},
		l:    l,
		kbpk: kbpk,
	}, nil
}

// newKeyBlockSuite returns the suite for a target that holds key-block LMK
// l (docs/spec/hostcmd-keyblocks.md): NC, A0 generate and export (S and R),
// A6 import and A8 export of the public blocks of testdata/keyblock.json
// with their round trips, the contract's key-block error codes, and CI/G0
// with S keys. Every key is wrapped under l by the suite, so the cases run
// against any key-block LMK the suite is given.
func newKeyBlockSuite(opts Options) (*Suite, error) {
	vf, err := kbVectors()
	if err != nil {
		return nil, err
	}
	g, err := newKBGen(opts.KeyBlockLMK, opts.Seed)
	if err != nil {
		return nil, err
	}
	g.kbHealth()
	g.kbGenerate()
	for _, v := range vf.TR31 {
		g.kbImportExport(v, hostcmd.SchemeR)
	}
	for _, v := range vf.Thales {
		g.kbImportExport(v, hostcmd.SchemeS)
	}
	g.kbImportVariant(vf.Variant)
	g.kbErrors(vf.TR31[0])
	g.kbDUKPT()
	if g.aesLMK() {
		g.kbISO4(vf)
	}
	if g.err != nil {
		return nil, fmt.Errorf("conformance: generating key-block cases: %w", g.err)
	}
	iso4, err := ISO4Cases(opts.KeyBlockLMK, opts.Seed)
	if err != nil {
		return nil, err
	}
	return &Suite{Cases: append(g.out, iso4...), ClearPIN: opts.ClearPIN}, nil
}

// aesLMK reports whether the target's LMK is an AES key-block LMK (it can
// hold AES keys).
func (g *kbgen) aesLMK() bool { return g.l.Algorithm() == 'A' }

// sKey wraps clear key k with header hd (version, LMK identifier 00 and
// defaults filled in) as an S key field under the target's LMK.
func (g *kbgen) sKey(hd tr31.Header, k []byte) hostcmd.KeyField {
	ck, err := keys.NewClearKey(k)
	if err != nil {
		g.fail(err)
		return hostcmd.KeyField{}
	}
	defer ck.Destroy()
	hd.Version = tr31.Version(g.l.Version())
	if hd.LMKID == "" {
		hd.LMKID = "00"
	}
	if hd.KeyVersion == "" {
		hd.KeyVersion = "00"
	}
	if hd.Exportability == 0 {
		hd.Exportability = 'E'
	}
	blk, err := g.kbpk.WrapThales(hd, ck, &tr31.WrapOptions{Rand: bytes.NewReader(g.bytes(64))})
	if err != nil {
		g.fail(err)
		return hostcmd.KeyField{}
	}
	return hostcmd.KeyField{Scheme: hostcmd.SchemeS, Hex: blk}
}

// sWKey returns clear key b as an S key field under the target's LMK with
// usage, algorithm alg and mode of use, and its cipher.
func (g *kbgen) sWKey(usage string, alg, mode byte, b []byte) wkey {
	k := wkey{clear: b, field: g.sKey(tr31.Header{KeyUsage: usage, Algorithm: alg, ModeOfUse: mode}, b)}
	var err error
	if alg == 'A' {
		k.block, err = aes.NewCipher(b)
	} else {
		k.block, err = tdes.New(b)
	}
	if err != nil {
		g.fail(err)
	}
	return k
}

// zmk returns a ZMK of algorithm alg ('T' or 'A') with clear key k as an S
// key field: usage K0, mode B (import and export under it).
func (g *kbgen) zmk(alg byte, k []byte) hostcmd.KeyField {
	return g.sKey(tr31.Header{KeyUsage: "K0", Algorithm: alg, ModeOfUse: 'B', Exportability: 'N'}, k)
}

// randomKey returns n random bytes, odd parity unless alg is 'A'.
func (g *kbgen) randomKey(alg byte, n int) []byte {
	b := g.bytes(n)
	if alg != 'A' {
		keys.AdjustParity(b)
	}
	return b
}

// kcv returns the 6H check value of clear key k of algorithm alg.
func kcv(alg byte, k []byte) (string, error) {
	ck, err := keys.NewClearKey(k)
	if err != nil {
		return "", err
	}
	defer ck.Destroy()
	v, err := tr31.CheckValue(alg, ck)
	if err != nil {
		return "", err
	}
	return strings.ToUpper(hex.EncodeToString(v[:3])), nil
}

// openS unwraps an S key field under the target's LMK.
func (g *kbgen) openS(f hostcmd.KeyField) (tr31.Header, keys.ClearKey, error) {
	if f.Scheme != hostcmd.SchemeS {
		return tr31.Header{}, keys.ClearKey{}, fmt.Errorf("key scheme %q, want S", f.Scheme)
	}
	hd, k, err := g.kbpk.UnwrapThales(f.Hex)
	if err != nil {
		return hd, k, fmt.Errorf("key under the LMK does not unwrap under the key-block LMK: %w", err)
	}
	if hd.LMKID != "00" {
		k.Destroy()
		return hd, keys.ClearKey{}, fmt.Errorf("key under the LMK has LMK identifier %q, want 00", hd.LMKID)
	}
	return hd, k, nil
}

// openUnder unwraps the key field f exported under the clear ZMK zmk of
// algorithm alg: an R (TR-31) or S (Thales, LMK identifier FF) block.
func openUnder(alg byte, zmk []byte, f hostcmd.KeyField) (tr31.Header, keys.ClearKey, error) {
	ck, err := keys.NewClearKey(zmk)
	if err != nil {
		return tr31.Header{}, keys.ClearKey{}, err
	}
	defer ck.Destroy()
	p, err := tr31.NewKBPK(alg, ck)
	if err != nil {
		return tr31.Header{}, keys.ClearKey{}, err
	}
	switch f.Scheme {
	case hostcmd.SchemeR:
		hd, k, err := p.Unwrap(f.Hex)
		if err != nil {
			return hd, k, fmt.Errorf("exported TR-31 block does not unwrap under the ZMK: %w", err)
		}
		return hd, k, nil
	case hostcmd.SchemeS:
		hd, k, err := p.UnwrapThales(f.Hex)
		if err != nil {
			return hd, k, fmt.Errorf("exported Thales block does not unwrap under the ZMK: %w", err)
		}
		if hd.LMKID != "FF" {
			k.Destroy()
			return hd, keys.ClearKey{}, fmt.Errorf("exported Thales block has LMK identifier %q, want FF", hd.LMKID)
		}
		return hd, k, nil
	}
	return tr31.Header{}, keys.ClearKey{}, fmt.Errorf("exported key scheme %q, want R or S", f.Scheme)
}

// sameKey compares two clear keys in constant time, without saying what
// either is.
func sameKey(a keys.ClearKey, b []byte) error {
	if !equal(a.Bytes(), b) {
		return errors.New("the key differs from the expected key (lengths " + fmt.Sprint(len(a.Bytes()), " and ", len(b)) + ")")
	}
	return nil
}

// parseOK parses a response to cmd and checks that it is 00.
func parseOK[R hostcmd.Response](cmd string, resp []byte) (R, error) {
	var zero R
	r, err := hostcmd.ParseResponse([2]byte{cmd[0], cmd[1]}, resp)
	rc := hostcmd.ResponseCode([2]byte{cmd[0], cmd[1]})
	if err != nil || r.ErrorCode() != hostcmd.OK {
		return zero, fmt.Errorf("have %s (%d bytes) want a well-formed %s00", head(resp), len(resp), rc[:])
	}
	t, ok := r.(R)
	if !ok {
		return zero, fmt.Errorf("have %s: not a %s answer", head(resp), rc[:])
	}
	return t, nil
}

// kbHealth: NC reports the key-block LMK's check value; LMK identifiers and
// the commands without a key-block form.
func (g *kbgen) kbHealth() {
	cv := g.l.CheckValue()
	want := "ND00" + strings.ToUpper(hex.EncodeToString(cv[:]))
	g.add("NC key-block LMK check value", &hostcmd.NC{}, func(_ context.Context, _ RoundTripper, resp []byte) error {
		if len(resp) != len(want)+9 || !bytes.HasPrefix(resp, []byte(want)) {
			return fmt.Errorf("have %s (%d bytes) want ND00 with the key-block LMK check value and a 9A firmware (%d bytes)", head(resp), len(resp), len(want)+9)
		}
		return nil
	})
	g.errCase("NC unknown LMK identifier %01 is 13", &hostcmd.NC{Envelope: hostcmd.Envelope{LMKID: "01"}}, hostcmd.InvalidLMKID)
	text := []byte("key-block echo " + g.digits(8))
	g.exact("B2 echo under a key-block LMK", &hostcmd.B2{Data: text}, &hostcmd.B3{Data: text})
	g.raw("unknown command XX is 68", []byte("XX0123"), hostcmd.CommandDisabled)
	g.errCase("BU (no key-block form) is A1", &hostcmd.BU{KeyTypeCode: "01", KeyLengthFlag: '1',
		Key: hostcmd.KeyField{Scheme: hostcmd.SchemeU, Hex: strings.Repeat("0", 32)}}, hostcmd.IncompatibleLMK)
	g.errCase("A0 variant scheme U under a key-block LMK is A1", &hostcmd.A0{Mode: '0', KeyType: "001", SchemeLMK: 'U'}, hostcmd.IncompatibleLMK)
}

// a0Check checks an A0 answer: the key under the LMK carries the "#"
// attributes, has n bytes and the answered KCV; in mode 1 the exported
// block unwraps under the clear ZMK to the same key with the expected
// version and exportability.
func (g *kbgen) a0Check(at hostcmd.KeyAttributes, n int, zmkAlg byte, zmk []byte, ver tr31.Version, exp byte) func(context.Context, RoundTripper, []byte) error {
	return func(_ context.Context, _ RoundTripper, resp []byte) error {
		a1, err := parseOK[*hostcmd.A1]("A0", resp)
		if err != nil {
			return err
		}
		hd, k, err := g.openS(a1.KeyUnderLMK)
		if err != nil {
			return err
		}
		defer k.Destroy()
		if hd.KeyUsage != at.Usage || hd.Algorithm != at.Algorithm[0] || hd.ModeOfUse != at.ModeOfUse ||
			hd.KeyVersion != at.KeyVersion || hd.Exportability != at.Exportability {
			return fmt.Errorf("header %s%c%c%s%c does not carry the attributes %s%c%c%s%c", hd.KeyUsage, hd.Algorithm, hd.ModeOfUse,
				hd.KeyVersion, hd.Exportability, at.Usage, at.Algorithm[0], at.ModeOfUse, at.KeyVersion, at.Exportability)
		}
		if len(k.Bytes()) != n {
			return fmt.Errorf("key of %d bytes, want %d", len(k.Bytes()), n)
		}
		want, err := kcv(hd.Algorithm, k.Bytes())
		if err != nil {
			return err
		}
		if !equal([]byte(a1.KCV), []byte(want)) {
			return errors.New("KCV does not match the key under the LMK")
		}
		if zmk == nil {
			return nil
		}
		xh, xk, err := openUnder(zmkAlg, zmk, a1.KeyUnderZMK)
		if err != nil {
			return err
		}
		defer xk.Destroy()
		if xh.Version != ver || xh.Exportability != exp || xh.ModeOfUse != at.ModeOfUse {
			return fmt.Errorf("exported header version %c exportability %c mode %c, want %c, %c, %c", xh.Version, xh.Exportability, xh.ModeOfUse, ver, exp, at.ModeOfUse)
		}
		return sameKey(xk, k.Bytes())
	}
}

// kbGenerate: A0 mode 0 for each algorithm the LMK can hold, and mode 1
// exporting as TR-31 (R, versions B and D, and the default) and as a
// Thales block (S).
func (g *kbgen) kbGenerate() {
	algs := []struct {
		code string
		n    int
	}{{"T2", 16}, {"T3", 24}, {"D1", 8}}
	if g.aesLMK() {
		algs = append(algs, struct {
			code string
			n    int
		}{"A1", 16}, struct {
			code string
			n    int
		}{"A3", 32})
	} else {
		g.errCase("A0 AES key under a TDES key-block LMK is A7", &hostcmd.A0{Mode: '0', KeyType: "FFF", SchemeLMK: 'S',
			Options: hostcmd.KeyBlockOptions{Attributes: &hostcmd.KeyAttributes{Usage: "P0", Algorithm: "A1", ModeOfUse: 'B', KeyVersion: "00", Exportability: 'E'}}},
			hostcmd.KeyAlgorithmMismatch)
	}
	for _, a := range algs {
		at := hostcmd.KeyAttributes{Usage: "P0", Algorithm: a.code, ModeOfUse: 'B', KeyVersion: "00", Exportability: 'E'}
		if a.code == "D1" {
			at.Usage, at.ModeOfUse = "M1", 'C'
		}
		g.add("A0 generate S key "+a.code+", unwraps under the LMK and KCV matches",
			&hostcmd.A0{Mode: '0', KeyType: "FFF", SchemeLMK: 'S', Options: hostcmd.KeyBlockOptions{Attributes: &at}},
			g.a0Check(at, a.n, 0, nil, 0, 0))
	}

	type export struct {
		name   string
		zalg   byte
		zlen   int
		scheme byte
		bang   byte
		ver    tr31.Version
		amp    bool
	}
	exports := []export{
		{"TR-31 B under a TDES ZMK", 'T', 16, 'R', 'B', tr31.VersionB, false},
		{"TR-31 default version (B) under a triple-length ZMK", 'T', 24, 'R', 0, tr31.VersionB, false},
		{"TR-31 A under a TDES ZMK", 'T', 16, 'R', 'A', tr31.VersionA, false},
		{"TR-31 C under a TDES ZMK, & N", 'T', 16, 'R', 'C', tr31.VersionC, true},
		{"Thales block under a TDES ZMK", 'T', 16, 'S', 0, tr31.ThalesTDES, false},
	}
	if g.aesLMK() {
		exports = append(exports,
			export{"TR-31 D under an AES-256 ZMK", 'A', 32, 'R', 'D', tr31.VersionD, false},
			export{"TR-31 default version (D) under an AES-128 ZMK", 'A', 16, 'R', 0, tr31.VersionD, false},
			export{"Thales block under an AES ZMK", 'A', 32, 'S', 0, tr31.ThalesAES, false})
	}
	for _, e := range exports {
		zk := g.randomKey(e.zalg, e.zlen)
		at := hostcmd.KeyAttributes{Usage: "P0", Algorithm: "T2", ModeOfUse: 'B', KeyVersion: "00", Exportability: 'E'}
		req := &hostcmd.A0{Mode: '1', KeyType: "FFF", SchemeLMK: 'S', ZMK: g.zmk(e.zalg, zk), SchemeZMK: e.scheme,
			Options: hostcmd.KeyBlockOptions{Attributes: &at, Version: e.bang}}
		exp := byte('E')
		if e.amp {
			req.Options.Export = &hostcmd.KeyAttributes{Exportability: 'N'}
			exp = 'N'
		}
		g.add("A0 generate and export as "+e.name, req, g.a0Check(at, 16, e.zalg, zk, e.ver, exp))
	}
	zk := g.randomKey('T', 16)
	g.errCase("A0 export of a non-exportable key is AA", &hostcmd.A0{Mode: '1', KeyType: "FFF", SchemeLMK: 'S', ZMK: g.zmk('T', zk), SchemeZMK: 'R',
		Options: hostcmd.KeyBlockOptions{Attributes: &hostcmd.KeyAttributes{Usage: "P0", Algorithm: "T2", ModeOfUse: 'B', KeyVersion: "00", Exportability: 'N'}}},
		hostcmd.ExportNotAllowed)
	g.errCase("A0 export under a ZPK (not a ZMK) is A6", &hostcmd.A0{Mode: '1', KeyType: "FFF", SchemeLMK: 'S',
		ZMK: g.sKey(tr31.Header{KeyUsage: "P0", Algorithm: 'T', ModeOfUse: 'B'}, zk), SchemeZMK: 'R',
		Options: hostcmd.KeyBlockOptions{Attributes: &hostcmd.KeyAttributes{Usage: "P0", Algorithm: "T2", ModeOfUse: 'B', KeyVersion: "00", Exportability: 'E'}}},
		hostcmd.KeyUsageNotAllowed)
}

// kbpkOf returns a vector's KBPK algorithm and clear bytes.
func kbpkOf(v kbVector) (byte, []byte, error) {
	alg := byte('T')
	if v.KBPKAlg == "A" {
		alg = 'A'
	}
	k, err := hex.DecodeString(v.KBPK)
	return alg, k, err
}

// kbImportExport adds, for one public block v (scheme R: TR-31 under a
// KBPK; S: a Thales block under its LMK, used as a ZMK), the A6 import
// known answer and the A8 round trips: the imported key exported again
// under the same ZMK as TR-31 (the block's own version, or B/D for a
// Thales source) and as a Thales block, each unwrapping to the vector's
// key.
func (g *kbgen) kbImportExport(v kbVector, scheme hostcmd.KeyScheme) {
	zalg, zk, err := kbpkOf(v)
	if err != nil {
		g.fail(fmt.Errorf("%s: kbpk: %w", v.Name, err))
		return
	}
	key, err := hex.DecodeString(v.Key)
	if err != nil {
		g.fail(fmt.Errorf("%s: key: %w", v.Name, err))
		return
	}
	hd, _, _, err := tr31.ParseHeader(v.Block)
	if err != nil {
		g.fail(fmt.Errorf("%s: %w", v.Name, err))
		return
	}
	if !g.aesLMK() && (zalg == 'A' || hd.Algorithm == 'A') {
		return // an AES key or KBPK needs an AES key-block LMK
	}
	kind := "TR-31 " + string(rune(hd.Version))
	if scheme == hostcmd.SchemeS {
		kind = "Thales " + string(rune(hd.Version))
	}
	zmk := g.zmk(zalg, zk)
	a6 := func() *hostcmd.A6 {
		return &hostcmd.A6{KeyType: "FFF", ZMK: zmk, Key: hostcmd.KeyField{Scheme: scheme, Hex: v.Block}, SchemeLMK: 'S'}
	}
	// imported checks an A7: the key under the LMK is the vector's key
	// with the block's usage, and the KCV is its check value.
	imported := func(resp []byte) (hostcmd.KeyField, error) {
		a7, err := parseOK[*hostcmd.A7]("A6", resp)
		if err != nil {
			return hostcmd.KeyField{}, err
		}
		ih, ik, err := g.openS(a7.KeyUnderLMK)
		if err != nil {
			return hostcmd.KeyField{}, err
		}
		defer ik.Destroy()
		if ih.KeyUsage != hd.KeyUsage || ih.Algorithm != hd.Algorithm || ih.ModeOfUse != hd.ModeOfUse || ih.Exportability != hd.Exportability {
			return hostcmd.KeyField{}, fmt.Errorf("imported header %s%c%c%c, want the block's %s%c%c%c", ih.KeyUsage, ih.Algorithm, ih.ModeOfUse, ih.Exportability,
				hd.KeyUsage, hd.Algorithm, hd.ModeOfUse, hd.Exportability)
		}
		if err := sameKey(ik, key); err != nil {
			return hostcmd.KeyField{}, err
		}
		want, err := kcv(hd.Algorithm, key)
		if err != nil {
			return hostcmd.KeyField{}, err
		}
		if !equal([]byte(a7.KCV), []byte(want)) {
			return hostcmd.KeyField{}, errors.New("KCV is not the key's check value")
		}
		return a7.KeyUnderLMK, nil
	}
	c := g.add("A6 import "+kind+" block "+v.Name, a6(), func(_ context.Context, _ RoundTripper, resp []byte) error {
		_, err := imported(resp)
		return err
	})
	c.Source = v.Source
	if hd.Exportability == 'N' {
		c = g.add("A6 import "+v.Name+", then A8 export is AA (non-exportable)", a6(), func(ctx context.Context, rt RoundTripper, resp []byte) error {
			under, err := imported(resp)
			if err != nil {
				return err
			}
			a8 := &hostcmd.A8{KeyType: "FFF", ZMK: zmk, Key: under, SchemeZMK: 'R'}
			r, err := rt.RoundTrip(ctx, a8.AppendBody(nil))
			if err != nil {
				return fmt.Errorf("A8: no answer: %w", err)
			}
			return expectError("A8", hostcmd.ExportNotAllowed)(ctx, rt, r)
		})
		c.Source = v.Source
		return
	}
	ver := hd.Version
	if scheme == hostcmd.SchemeS {
		ver = tr31.VersionB
		if zalg == 'A' {
			ver = tr31.VersionD
		}
	}
	for _, out := range []struct {
		scheme byte
		bang   byte
		want   tr31.Version
	}{
		{'R', byte(ver), ver},
		{'S', 0, map[byte]tr31.Version{'T': tr31.ThalesTDES, 'A': tr31.ThalesAES}[zalg]},
	} {
		name := "A6 then A8 round trip of " + v.Name + " as TR-31 " + string(rune(out.want))
		if out.scheme == 'S' {
			name = "A6 then A8 round trip of " + v.Name + " as a Thales block"
		}
		c := g.add(name, a6(), func(ctx context.Context, rt RoundTripper, resp []byte) error {
			under, err := imported(resp)
			if err != nil {
				return err
			}
			a8 := &hostcmd.A8{KeyType: "FFF", ZMK: zmk, Key: under, SchemeZMK: out.scheme, Options: hostcmd.KeyBlockOptions{Version: out.bang}}
			r, err := rt.RoundTrip(ctx, a8.AppendBody(nil))
			if err != nil {
				return fmt.Errorf("A8: no answer: %w", err)
			}
			a9, err := parseOK[*hostcmd.A9]("A8", r)
			if err != nil {
				return fmt.Errorf("A8: %w", err)
			}
			xh, xk, err := openUnder(zalg, zk, a9.KeyUnderZMK)
			if err != nil {
				return err
			}
			defer xk.Destroy()
			if xh.Version != out.want {
				return fmt.Errorf("exported version %c, want %c", xh.Version, out.want)
			}
			if err := sameKey(xk, key); err != nil {
				return err
			}
			want, err := kcv(hd.Algorithm, key)
			if err != nil {
				return err
			}
			if !equal([]byte(a9.KCV), []byte(want)) {
				return errors.New("A9 KCV is not the key's check value")
			}
			return nil
		})
		c.Source = v.Source
	}
}

// kbErrors: the contract's key-block error codes (hostcmd-keyblocks.md §3)
// for blocks that fail their MAC, header or length checks and for keys
// whose usage does not fit, each an A6 of the TR-31 block v with one thing
// changed.
func (g *kbgen) kbErrors(v kbVector) {
	zalg, zk, err := kbpkOf(v)
	if err != nil {
		g.fail(err)
		return
	}
	zmk := g.zmk(zalg, zk)
	a6 := func(blk string) *hostcmd.A6 {
		return &hostcmd.A6{KeyType: "FFF", ZMK: zmk, Key: hostcmd.KeyField{Scheme: hostcmd.SchemeR, Hex: blk}, SchemeLMK: 'S'}
	}
	blk := v.Block
	g.errCase("A6 block whose MAC fails is A4", a6(hexdigit.Flip(blk, len(blk)-1)), hostcmd.KeyBlockMAC)
	g.errCase("A6 block whose encrypted key was changed is A4", a6(hexdigit.Flip(blk, 20)), hostcmd.KeyBlockMAC)
	short := blk[:1] + fmt.Sprintf("%04d", len(blk)-4) + blk[5:len(blk)-4]
	g.errCase("A6 block whose length is not whole cipher blocks is A5", a6(short), hostcmd.KeyBlockLength)
	g.errCase("A6 block with a bad optional block count is AC", a6(blk[:12]+"0Z"+blk[14:]), hostcmd.KeyBlockHeader)
	g.errCase("A6 block with version E is A9", a6("E"+blk[1:]), hostcmd.KeyBlockVersion)
	if zalg == 'T' {
		g.errCase("A6 TDES ZMK with a version D block is BB", a6("D"+blk[1:]), hostcmd.KBPKMismatch)
	}
	g.errCase("A6 under a ZPK (wrong usage) is A6", &hostcmd.A6{KeyType: "FFF", ZMK: g.sKey(tr31.Header{KeyUsage: "P0", Algorithm: zalg, ModeOfUse: 'B'}, zk),
		Key: hostcmd.KeyField{Scheme: hostcmd.SchemeR, Hex: blk}, SchemeLMK: 'S'}, hostcmd.KeyUsageNotAllowed)
	g.errCase("A6 under a ZMK that only encrypts (mode E) is A8", &hostcmd.A6{KeyType: "FFF", ZMK: g.sKey(tr31.Header{KeyUsage: "K0", Algorithm: zalg, ModeOfUse: 'E'}, zk),
		Key: hostcmd.KeyField{Scheme: hostcmd.SchemeR, Hex: blk}, SchemeLMK: 'S'}, hostcmd.ModeOfUseNotAllowed)
	g.errCase("A6 under a ZMK of LMK identifier 01 is A3", &hostcmd.A6{KeyType: "FFF", ZMK: g.sKey(tr31.Header{KeyUsage: "K0", Algorithm: zalg, ModeOfUse: 'B', LMKID: "01"}, zk),
		Key: hostcmd.KeyField{Scheme: hostcmd.SchemeR, Hex: blk}, SchemeLMK: 'S'}, hostcmd.KeyBlockLMKID)
	// Flip keeps a hex digit a hex digit (XOR 1 would make A or F a non-digit).
	bad := hexdigit.Flip(zmk.Hex, len(zmk.Hex)-1)
	g.errCase("A6 ZMK under the LMK whose MAC fails is A4", &hostcmd.A6{KeyType: "FFF", ZMK: hostcmd.KeyField{Scheme: hostcmd.SchemeS, Hex: bad},
		Key: hostcmd.KeyField{Scheme: hostcmd.SchemeR, Hex: blk}, SchemeLMK: 'S'}, hostcmd.KeyBlockMAC)
	r := a6(blk)
	r.KeyType = "001"
	g.errCase("A6 key type other than FFF is A1", r, hostcmd.IncompatibleLMK)
	r = a6(blk)
	r.LMKID = "01"
	g.errCase("A6 unknown LMK identifier %01 is 13", r, hostcmd.InvalidLMKID)

	key := g.randomKey('T', 16)
	ek := g.sKey(tr31.Header{KeyUsage: "P0", Algorithm: 'T', ModeOfUse: 'B', Exportability: 'N'}, key)
	g.errCase("A8 of a non-exportable key is AA", &hostcmd.A8{KeyType: "FFF", ZMK: zmk, Key: ek, SchemeZMK: 'R'}, hostcmd.ExportNotAllowed)
	ek = g.sKey(tr31.Header{KeyUsage: "P0", Algorithm: 'T', ModeOfUse: 'B'}, key)
	g.errCase("A8 under a ZMK that only decrypts (mode D) is A8", &hostcmd.A8{KeyType: "FFF",
		ZMK: g.sKey(tr31.Header{KeyUsage: "K0", Algorithm: zalg, ModeOfUse: 'D'}, zk), Key: ek, SchemeZMK: 'R'}, hostcmd.ModeOfUseNotAllowed)
	g.errCase("A8 under a BDK (wrong usage) is A6", &hostcmd.A8{KeyType: "FFF",
		ZMK: g.sKey(tr31.Header{KeyUsage: "B0", Algorithm: zalg, ModeOfUse: 'X'}, zk), Key: ek, SchemeZMK: 'R'}, hostcmd.KeyUsageNotAllowed)
	g.errCase("A8 key under the LMK whose length field is wrong is A5", &hostcmd.A8{KeyType: "FFF", ZMK: zmk,
		Key: hostcmd.KeyField{Scheme: hostcmd.SchemeS, Hex: ek.Hex[:1] + fmt.Sprintf("%04d", len(ek.Hex)-8) + ek.Hex[5:len(ek.Hex)-8]}, SchemeZMK: 'R'},
		hostcmd.KeyBlockLength)
	if zalg == 'T' {
		g.errCase("A8 TDES ZMK with !D is BB", &hostcmd.A8{KeyType: "FFF", ZMK: zmk, Key: ek, SchemeZMK: 'R',
			Options: hostcmd.KeyBlockOptions{Version: 'D'}}, hostcmd.KBPKMismatch)
	}
}

// kbDUKPT: CI and G0 with the BDK and ZPK as S blocks under the LMK
// (hostcmd-keyblocks.md §10): generated terminals as in the variant suite.
func (g *kbgen) kbDUKPT() {
	tdesKey := func(hd tr31.Header, n int) wkey {
		k := g.randomKey('T', n)
		b, err := tdes.New(k)
		if err != nil {
			g.fail(err)
		}
		return wkey{clear: k, field: g.sKey(hd, k), block: b}
	}
	bdk := tdesKey(tr31.Header{KeyUsage: "B0", Algorithm: 'T', ModeOfUse: 'X'}, 16)
	zpk := tdesKey(tr31.Header{KeyUsage: "P0", Algorithm: 'T', ModeOfUse: 'B'}, 16)
	pan, acct, p, _ := g.card(4)
	k, block := g.dukptBlock(bdk, "A05", p, pan)
	g.exact("CI TDES DUKPT with S BDK and ZPK", &hostcmd.CI{BDK: bdk.field, ZPK: zpk.field, KSNDescriptor: "A05", KSN: k.String(),
		PINBlock: block, DestinationFormat: "01", Account: redact.String(acct)},
		&hostcmd.CJ{PINLen: 4, PINBlock: redact.String(g.block(zpk, pin.ISO0, p, acct)), DestinationFormat: "01"})
	pan, acct, p, _ = g.card(6)
	k, block = g.dukptBlock(bdk, "605", p, pan)
	g.exact("G0 TDES DUKPT with S BDK and ZPK", &hostcmd.G0{BDK: bdk.field, ZPK: zpk.field, KSNDescriptor: "605", KSN: k.String(),
		PINBlock: block, SourceFormat: "01", DestinationFormat: "03", Account: redact.String(acct)},
		&hostcmd.G1{PINLen: 6, PINBlock: redact.String(g.block(zpk, pin.IBM3624, p, acct)), DestinationFormat: "03"})
	g.errCase("CI with a ZPK as the BDK is A6", &hostcmd.CI{BDK: zpk.field, ZPK: zpk.field, KSNDescriptor: "A05", KSN: k.String(),
		PINBlock: block, DestinationFormat: "01", Account: redact.String(acct)}, hostcmd.KeyUsageNotAllowed)
	if !g.aesLMK() {
		return
	}
	ab := g.bytes(16)
	c, err := aes.NewCipher(ab)
	if err != nil {
		g.fail(err)
		return
	}
	aesBDK := wkey{clear: ab, field: g.sKey(tr31.Header{KeyUsage: "B0", Algorithm: 'A', ModeOfUse: 'X'}, ab), block: c}
	pan, acct, p, _ = g.card(5)
	ksn, ablock := g.aesDUKPTBlock(aesBDK, p, pan)
	g.exact("G0 AES DUKPT with S AES-128 BDK, ISO 4 to ISO 0", &hostcmd.G0{BDK: aesBDK.field, ZPK: zpk.field, KSNDescriptor: "018", KSN: ksn,
		PINBlock: ablock, SourceFormat: "48", DestinationFormat: "01", PAN: redact.String(pan)},
		&hostcmd.G1{PINLen: 5, PINBlock: redact.String(g.block(zpk, pin.ISO0, p, acct)), DestinationFormat: "01"})
	g.errCase("G0 AES DUKPT with a TDES BDK is A7", &hostcmd.G0{BDK: bdk.field, ZPK: zpk.field, KSNDescriptor: "018", KSN: ksn,
		PINBlock: ablock, SourceFormat: "48", DestinationFormat: "01", PAN: redact.String(pan)}, hostcmd.KeyAlgorithmMismatch)
}

// variantUnderZMK encrypts key k under the clear ZMK zmk in variant scheme
// s as payShield's A0 mode 1 does (hostcmd.md; docs/reference): for U and
// T each 8-byte part under the ZMK with the scheme variant (U: A6, 5A; T:
// 6A, DE, 2B) XORed into its byte 8; X, Y and single keys plain ECB.
func variantUnderZMK(zmk []byte, s hostcmd.KeyScheme, k []byte) (string, error) {
	var variants []byte
	switch s {
	case hostcmd.SchemeU:
		variants = []byte{0xA6, 0x5A}
	case hostcmd.SchemeT:
		variants = []byte{0x6A, 0xDE, 0x2B}
	}
	out := make([]byte, len(k))
	kk := bytes.Clone(zmk)
	defer clear(kk)
	for i := 0; i < len(k); i += 8 {
		if len(variants) > 0 {
			kk[8] = zmk[8] ^ variants[i/8]
		}
		b, err := tdes.New(kk)
		if err != nil {
			return "", err
		}
		b.Encrypt(out[i:i+8], k[i:i+8])
	}
	tag := ""
	if s != hostcmd.SchemeSingle {
		tag = string(rune(s))
	}
	return tag + strings.ToUpper(hex.EncodeToString(out)), nil
}

// kbImportVariant: A6 of a key under a ZMK in a variant scheme, with the
// "#" header (hostcmd-keyblocks.md §7): the public trace's key (vs), and
// generated keys in schemes U, T, X, Y and single under a generated ZMK.
// The key under the LMK must be the key with the "#" header, and the KCV
// its check value.
func (g *kbgen) kbImportVariant(vs []kbVector) {
	type imp struct {
		name, source string
		zmk          []byte
		field        string
		key          []byte
		kcv          string
	}
	var cases []imp
	for _, v := range vs {
		zk, err1 := hex.DecodeString(v.KBPK)
		key, err2 := hex.DecodeString(v.Key)
		if err := errors.Join(err1, err2); err != nil {
			g.fail(fmt.Errorf("%s: %w", v.Name, err))
			return
		}
		cases = append(cases, imp{"A6 import " + v.Name, v.Source, zk, v.Block, key, v.KCV})
	}
	zk := g.randomKey('T', 16)
	for _, tc := range []struct {
		s hostcmd.KeyScheme
		n int
	}{{hostcmd.SchemeU, 16}, {hostcmd.SchemeT, 24}, {hostcmd.SchemeX, 16}, {hostcmd.SchemeY, 24}, {hostcmd.SchemeSingle, 8}} {
		key := g.randomKey('T', tc.n)
		f, err := variantUnderZMK(zk, tc.s, key)
		if err != nil {
			g.fail(err)
			return
		}
		want, err := kcv('T', key)
		if err != nil {
			g.fail(err)
			return
		}
		name := "A6 import a key under a ZMK in scheme " + string(rune(tc.s))
		if tc.s == hostcmd.SchemeSingle {
			name = "A6 import a single-length key under a ZMK (16H)"
		}
		cases = append(cases, imp{name, "generated", zk, f, key, want})
	}
	for _, c := range cases {
		ckey, n, code := hostcmd.ParseKeyField([]byte(c.field), hostcmd.KeySingle|hostcmd.KeyU|hostcmd.KeyT|hostcmd.KeyX|hostcmd.KeyY)
		if code != hostcmd.OK || n != len(c.field) {
			g.fail(fmt.Errorf("%s: key field does not parse: %s", c.name, code))
			return
		}
		at := &hostcmd.KeyAttributes{Usage: "P0", ModeOfUse: 'B', KeyVersion: "00", Exportability: 'S',
			Blocks: []hostcmd.OptionalBlock{{ID: "KS", Data: "00" + g.digits(4)}}}
		alg := byte('T')
		if len(c.key) == 8 {
			alg = 'D'
		}
		req := &hostcmd.A6{KeyType: "FFF", ZMK: g.zmk('T', c.zmk), Key: ckey, SchemeLMK: 'S', Options: hostcmd.KeyBlockOptions{Attributes: at}}
		cs := g.add(c.name+", '#' header", req, func(_ context.Context, _ RoundTripper, resp []byte) error {
			a7, err := parseOK[*hostcmd.A7]("A6", resp)
			if err != nil {
				return err
			}
			hd, k, err := g.openS(a7.KeyUnderLMK)
			if err != nil {
				return err
			}
			defer k.Destroy()
			if hd.KeyUsage != at.Usage || hd.Algorithm != alg || hd.ModeOfUse != at.ModeOfUse || hd.Exportability != at.Exportability {
				return fmt.Errorf("header %s%c%c%c, want %s%c%c%c", hd.KeyUsage, hd.Algorithm, hd.ModeOfUse, hd.Exportability, at.Usage, alg, at.ModeOfUse, at.Exportability)
			}
			if ks, ok := hd.Block("KS"); !ok || ks != at.Blocks[0].Data {
				return errors.New("the '#' KS block is not in the header")
			}
			if err := sameKey(k, c.key); err != nil {
				return err
			}
			if !equal([]byte(a7.KCV), []byte(c.kcv)) {
				return errors.New("KCV is not the key's check value")
			}
			return nil
		})
		cs.Source = c.source
	}
	if len(cases) > 0 {
		c := cases[0]
		ckey, _, _ := hostcmd.ParseKeyField([]byte(c.field), hostcmd.KeyU|hostcmd.KeyT|hostcmd.KeyX|hostcmd.KeyY|hostcmd.KeySingle)
		req := func(exp byte) *hostcmd.A6 {
			return &hostcmd.A6{KeyType: "FFF", ZMK: g.zmk('T', c.zmk), Key: ckey, SchemeLMK: 'S',
				Options: hostcmd.KeyBlockOptions{Attributes: &hostcmd.KeyAttributes{Usage: "P0", ModeOfUse: 'B', KeyVersion: "00", Exportability: exp}}}
		}
		g.errCase("A6 variant source with exportability E is AA", req('E'), hostcmd.ExportNotAllowed)
		r := req('N')
		r.Options.Attributes = nil
		g.raw("A6 variant source without '#' is 15", r.AppendBody(nil), hostcmd.InvalidInput)
		if g.aesLMK() {
			r = req('N')
			r.ZMK = g.zmk('A', g.bytes(16))
			g.errCase("A6 variant source under an AES ZMK is A7", r, hostcmd.KeyAlgorithmMismatch)
		}
	}
}

// kbISO4: CA and CC with PIN block format 48 (ISO 9564-1 format 4) under
// AES ZPKs and TPKs held as S blocks (hostcmd-keyblocks.md §9): 48 to 01
// with an exact answer, 01 to 48 and 48 to 48 decrypted with the
// destination key (format 4 has a random half), and the errors.
func (g *kbgen) kbISO4(vf *kbVectorFile) {
	aesKey := func(usage string) wkey { return g.aesKey(usage, 'B') }
	tdesKey := func(usage string) wkey { return g.tdesKey(usage, 'B') }
	iso4 := func(k wkey, p pin.PIN, pan string) redact.String {
		b, err := pin.EncryptBlock(nil, k.block, pin.ISO4, p, pan, bytes.NewReader(g.bytes(16)))
		if err != nil {
			g.fail(err)
		}
		return redact.String(strings.ToUpper(hex.EncodeToString(b)))
	}
	z1, z2, zt := aesKey("P0"), aesKey("72"), tdesKey("72")
	tpk, ttpk := aesKey("71"), tdesKey("P0")

	// The public format 4 blocks, each under its AES-128 key as a source ZPK.
	for i, v := range vf.ISO4 {
		k, err := hex.DecodeString(v.Key)
		if err != nil {
			g.fail(err)
			return
		}
		p, err1 := pin.ParsePIN(v.PIN)
		acct, err2 := pin.AccountFromPAN(v.PAN)
		if err := errors.Join(err1, err2); err != nil {
			g.fail(err)
			return
		}
		src := g.sKey(tr31.Header{KeyUsage: "P0", Algorithm: 'A', ModeOfUse: 'D'}, k)
		c := g.add(fmt.Sprintf("CC ISO 4 public block %d (X9.24-3) to ISO 0", i+1), &hostcmd.CC{SourceZPK: src, DestinationZPK: zt.field, MaxPINLen: 12,
			PINBlock: redact.String(v.Encrypted), SourceFormat: "48", DestinationFormat: "01", Account: redact.String(v.PAN)},
			expectExact((&hostcmd.CD{PINLen: len(v.PIN), PINBlock: redact.String(g.block(zt, pin.ISO0, p, acct)), DestinationFormat: "01"}).AppendBody(nil)))
		c.Source = v.Source
	}

	pan, acct, p, _ := g.card(4)
	g.exact("CC ISO 4 (AES ZPK) to ISO 0 (TDES ZPK)", &hostcmd.CC{SourceZPK: z1.field, DestinationZPK: zt.field, MaxPINLen: 12,
		PINBlock: iso4(z1, p, pan), SourceFormat: "48", DestinationFormat: "01", Account: redact.String(pan)},
		&hostcmd.CD{PINLen: 4, PINBlock: redact.String(g.block(zt, pin.ISO0, p, acct)), DestinationFormat: "01"})
	pan, acct, p, _ = g.card(6)
	g.add("CC ISO 0 (TDES ZPK) to ISO 4 (AES ZPK), decrypted", &hostcmd.CC{SourceZPK: zt.field, DestinationZPK: z2.field, MaxPINLen: 12,
		PINBlock: redact.String(g.block(zt, pin.ISO0, p, acct)), SourceFormat: "01", DestinationFormat: "48", Account: redact.String(pan)},
		samePIN("CC", z2, pin.ISO4, p, pan))
	pan, _, p, _ = g.card(5)
	g.add("CC ISO 4 to ISO 4 (AES ZPKs), decrypted", &hostcmd.CC{SourceZPK: z1.field, DestinationZPK: z2.field, MaxPINLen: 12,
		PINBlock: iso4(z1, p, pan), SourceFormat: "48", DestinationFormat: "48", Account: redact.String(pan)},
		samePIN("CC", z2, pin.ISO4, p, pan))
	pan, _, p, _ = g.card(4)
	g.add("CA ISO 4 (AES TPK) to ISO 4 (AES ZPK), decrypted", &hostcmd.CA{TPK: tpk.field, ZPK: z2.field, MaxPINLen: 12,
		PINBlock: iso4(tpk, p, pan), SourceFormat: "48", DestinationFormat: "48", Account: redact.String(pan)},
		samePIN("CA", z2, pin.ISO4, p, pan))
	pan, acct, p, _ = g.card(4)
	g.add("CA ISO 0 (TDES TPK) to ISO 4 (AES ZPK), decrypted", &hostcmd.CA{TPK: ttpk.field, ZPK: z2.field, MaxPINLen: 12,
		PINBlock: redact.String(g.block(ttpk, pin.ISO0, p, acct)), SourceFormat: "01", DestinationFormat: "48", Account: redact.String(pan)},
		samePIN("CA", z2, pin.ISO4, p, pan))

	pan, _, p, _ = g.card(4)
	cc := func() *hostcmd.CC {
		return &hostcmd.CC{SourceZPK: z1.field, DestinationZPK: z2.field, MaxPINLen: 12,
			PINBlock: iso4(z1, p, pan), SourceFormat: "48", DestinationFormat: "48", Account: redact.String(pan)}
	}
	r := cc()
	other := []byte(pan)
	other[3] = '0' + (other[3]-'0'+1)%10
	r.Account = redact.String(other)
	g.errCase("CC ISO 4 block with another PAN is 20", r, hostcmd.InvalidPINBlock)
	r = cc()
	r.DestinationZPK = zt.field
	g.errCase("CC ISO 4 destination under a TDES ZPK is 27", r, hostcmd.IncompatibleKeyLength)
	r = cc()
	r.SourceZPK = g.sKey(tr31.Header{KeyUsage: "P0", Algorithm: 'A', ModeOfUse: 'E'}, z1.clear)
	g.errCase("CC AES source ZPK that only encrypts is A8", r, hostcmd.ModeOfUseNotAllowed)
}
