package conformance

import (
	"bytes"
	"context"
	"crypto/cipher"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/payhsm/payhsm-gw/card"
	"github.com/payhsm/payhsm-gw/emv"
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/mac"
	"github.com/payhsm/payhsm-gw/pin"
)

//go:embed testdata/*.json
var testdata embed.FS

// DefaultSeed is the seed of the generated cases of the standard suite.
const DefaultSeed = 20261127

// Options configures New.
type Options struct {
	// Seed makes the generated cases; the same seed gives the same cases
	// (default DefaultSeed).
	Seed uint64
	// ClearPIN is the policy for clear-PIN cases (default ClearPINRun).
	ClearPIN ClearPINPolicy
	// LMK is the target's LMK, under which the generated cases wrap their
	// keys (default: the public test LMK). The public vectors are under
	// the test LMK, so with another LMK they are left out.
	LMK *keys.LMK
	// KeyBlockLMK, if set, is the target's key-block LMK: the suite is
	// then the key-block one (keyblock.go) and LMK is ignored.
	KeyBlockLMK *keys.KeyBlockLMK
}

// New returns the known-answer suite: the public vectors of testdata, then the
// cases generated from opts.Seed under the public test LMK (ours: the choice
// and order of cases).
func New(opts Options) (*Suite, error) {
	if opts.Seed == 0 {
		opts.Seed = DefaultSeed
	}
	if opts.KeyBlockLMK != nil {
		return newKeyBlockSuite(opts)
	}
	lmk := opts.LMK
	if lmk == nil {
		lmk = keys.TestLMK()
	}
	var vs []Case
	if lmk.CheckValue() == keys.TestLMK().CheckValue() {
		var err error
		if vs, err = vectorCases(); err != nil {
			return nil, err
		}
	}
	g := &gen{rng: rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)), lmk: lmk}
	cs, err := g.cases()
	if err != nil {
		return nil, err
	}
	return &Suite{Cases: append(vs, cs...), ClearPIN: opts.ClearPIN}, nil
}

// vectorFile is the shape of the testdata vector files.
type vectorFile struct {
	Vectors []struct {
		Name       string  `json:"name"`
		Request    string  `json:"request"`
		RequestHex string  `json:"requestHex"`
		Response   *string `json:"response"`
		Source     string  `json:"source"`
	} `json:"vectors"`
}

// vectorCases loads the public vectors with an exact answer; those whose answer
// is simulator specific (response null) are left to the generated round trips.
func vectorCases() ([]Case, error) {
	var out []Case
	for _, name := range []string{"testdata/hostcmd.json", "testdata/payshield7.json", "testdata/dukpt.json", "testdata/dukptverify.json"} {
		b, err := testdata.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("conformance: %w", err)
		}
		var f vectorFile
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("conformance: %s: %w", name, err)
		}
		for _, v := range f.Vectors {
			if v.Response == nil {
				continue
			}
			req := []byte(v.Request)
			if v.RequestHex != "" {
				if req, err = hex.DecodeString(v.RequestHex); err != nil {
					return nil, fmt.Errorf("conformance: %s: %s: requestHex: %w", name, v.Name, err)
				}
			}
			out = append(out, Case{
				Name: "vector/" + v.Name, Command: string(req[:2]), Source: v.Source,
				Request: req, Check: expectExact([]byte(*v.Response)),
			})
		}
	}
	return out, nil
}

// gen makes cases from a seeded generator: clear keys, PINs and PANs, the keys
// wrapped under the LMK, the answers computed with the crypto packages.
type gen struct {
	rng *rand.Rand
	lmk *keys.LMK
	out []Case
	err error
}

// wkey is a generated key: clear, as a key field under the LMK, and as a cipher.
type wkey struct {
	clear []byte
	field hostcmd.KeyField
	block cipher.Block
}

func fieldScheme(s keys.Scheme) hostcmd.KeyScheme {
	switch s {
	case keys.SchemeSingle:
		return hostcmd.SchemeSingle
	case keys.SchemePair:
		return hostcmd.SchemePair
	}
	return hostcmd.KeyScheme(s)
}

func (g *gen) fail(err error) {
	if g.err == nil {
		g.err = err
	}
}

func (g *gen) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.rng.UintN(256))
	}
	return b
}

func (g *gen) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + g.rng.IntN(10))
	}
	return string(b)
}

// key makes a random odd-parity key of type kt in scheme s.
func (g *gen) key(kt keys.KeyType, s keys.Scheme) wkey {
	b := g.bytes(s.KeyLen())
	keys.AdjustParity(b)
	ck, err := keys.NewClearKey(b)
	if err != nil {
		g.fail(err)
		return wkey{}
	}
	ct, err := g.lmk.Encrypt(kt, s, ck)
	if err != nil {
		g.fail(err)
		return wkey{}
	}
	blk, err := tdes.New(b)
	if err != nil {
		g.fail(err)
		return wkey{}
	}
	return wkey{clear: b, field: hostcmd.KeyField{Scheme: fieldScheme(s), Hex: strings.ToUpper(hex.EncodeToString(ct))}, block: blk}
}

// badKey makes a cryptogram of type kt in scheme s that decrypts under the LMK
// to a key with a parity error (payShield 10 or 11).
func (g *gen) badKey(kt keys.KeyType, s keys.Scheme) hostcmd.KeyField {
	for range 1000 {
		ct := g.bytes(s.KeyLen())
		if _, err := g.lmk.Decrypt(kt, s, ct); errors.Is(err, keys.ErrParity) {
			return hostcmd.KeyField{Scheme: fieldScheme(s), Hex: strings.ToUpper(hex.EncodeToString(ct))}
		}
	}
	g.fail(errors.New("conformance: no parity-error cryptogram found"))
	return hostcmd.KeyField{}
}

// card makes a PAN of 16 digits, its account field and a PIN of n digits.
func (g *gen) card(n int) (pan, acct string, p pin.PIN, digits string) {
	pan = "4" + g.digits(15)
	acct, err := pin.AccountFromPAN(pan)
	if err != nil {
		g.fail(err)
	}
	digits = g.digits(n)
	if p, err = pin.ParsePIN(digits); err != nil {
		g.fail(err)
	}
	return pan, acct, p, digits
}

// block encrypts p as a PIN block in format f (no random fill: ISO 1 and 3
// use the package's default source, which this suite only round-trips).
func (g *gen) block(k wkey, f pin.Format, p pin.PIN, acct string) string {
	b, err := pin.EncryptBlock(nil, k.block, f, p, acct, nil)
	if err != nil {
		g.fail(err)
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// badBlock returns a 16H PIN block under k that does not decode in format f.
func (g *gen) badBlock(k wkey, f pin.Format, acct string) string {
	for range 1000 {
		b := g.bytes(8)
		if _, err := pin.DecryptBlock(k.block, f, b, acct); err != nil {
			return strings.ToUpper(hex.EncodeToString(b))
		}
	}
	g.fail(errors.New("conformance: no undecodable PIN block found"))
	return ""
}

func (g *gen) add(name string, req hostcmd.Request, check func(context.Context, RoundTripper, []byte) error) *Case {
	g.out = append(g.out, Case{Name: name, Command: req.Code(), Source: "generated", Request: req.AppendBody(nil), Check: check})
	return &g.out[len(g.out)-1]
}

func (g *gen) exact(name string, req hostcmd.Request, want hostcmd.Response) {
	g.add(name, req, expectExact(want.AppendBody(nil)))
}

func (g *gen) errCase(name string, req hostcmd.Request, code hostcmd.Code) {
	g.add(name, req, expectError(req.Code(), code))
}

func (g *gen) raw(name string, body []byte, code hostcmd.Code) {
	g.out = append(g.out, Case{Name: name, Command: string(body[:2]), Source: "generated", Request: body, Check: expectError(string(body[:2]), code)})
}

func (g *gen) cases() ([]Case, error) {
	g.health()
	g.keyCmds()
	g.keyBlockCmds()
	g.translate()
	g.lmkPIN()
	g.verify()
	g.cardCmds()
	g.emvCmds()
	g.macCmds()
	g.dukpt()
	g.dukptVerify()
	if g.err != nil {
		return nil, fmt.Errorf("conformance: generating cases: %w", g.err)
	}
	return g.out, nil
}

func (g *gen) health() {
	cv := g.lmk.CheckValue()
	want := "ND00" + strings.ToUpper(hex.EncodeToString(cv[:]))
	ncCheck := func(_ context.Context, _ RoundTripper, resp []byte) error {
		if len(resp) != len(want)+9 || !bytes.HasPrefix(resp, []byte(want)) {
			return fmt.Errorf("have %s (%d bytes) want ND00 with the test LMK check value and a 9A firmware (%d bytes)", head(resp), len(resp), len(want)+9)
		}
		return nil
	}
	g.add("NC test LMK check value", &hostcmd.NC{}, ncCheck)
	g.add("NC with LMK identifier %00", &hostcmd.NC{Envelope: hostcmd.Envelope{LMKID: "00"}}, ncCheck)
	g.errCase("NC unknown LMK identifier %01 is 13", &hostcmd.NC{Envelope: hostcmd.Envelope{LMKID: "01"}}, hostcmd.InvalidLMKID)
	g.add("NC trailer echoed", &hostcmd.NC{Envelope: hostcmd.Envelope{Trailer: hostcmd.MakeTrailer("CONF01")}},
		func(_ context.Context, _ RoundTripper, resp []byte) error {
			if !bytes.HasPrefix(resp, []byte(want)) || !bytes.HasSuffix(resp, []byte("\x19CONF01")) {
				return fmt.Errorf("have %s (%d bytes) want ND00 ending in the trailer", head(resp), len(resp))
			}
			return nil
		})
	g.add("NO status mode 00", &hostcmd.NO{Mode: "00"}, func(_ context.Context, _ RoundTripper, resp []byte) error {
		r, err := hostcmd.ParseResponse([2]byte{'N', 'O'}, resp)
		if err != nil || r.ErrorCode() != hostcmd.OK {
			return fmt.Errorf("have %s (%d bytes) want a well-formed NP00", head(resp), len(resp))
		}
		return nil
	})
	text := []byte("conformance echo " + g.digits(8))
	g.exact("B2 echo text", &hostcmd.B2{Data: text}, &hostcmd.B3{Data: text})
	bin := append([]byte{0x00, 0x19, ';', '%', 0xff}, g.bytes(27)...)
	g.exact("B2 echo binary with 0x19 and ;", &hostcmd.B2{Data: bin}, &hostcmd.B3{Data: bin})
	g.raw("unknown command XX is 68", []byte("XX0123"), hostcmd.CommandDisabled)
	g.raw("unknown command Q1 is 68", []byte("Q1"), hostcmd.CommandDisabled)
}

func (g *gen) keyCmds() {
	kcv := func(k wkey, n int) string {
		ck, err := keys.NewClearKey(k.clear)
		if err != nil {
			g.fail(err)
			return ""
		}
		v, err := keys.CheckValue(ck)
		if err != nil {
			g.fail(err)
		}
		return strings.ToUpper(hex.EncodeToString(v[:n]))
	}
	zpk := g.key(keys.ZPK, keys.SchemeU)
	g.exact("BU ZPK double KCV 16H", &hostcmd.BU{KeyTypeCode: "01", KeyLengthFlag: '1', Key: zpk.field}, &hostcmd.BV{KCV: kcv(zpk, 8)})
	tpk := g.key(keys.TPK, keys.SchemeSingle)
	g.exact("BU TPK single KCV 16H", &hostcmd.BU{KeyTypeCode: "02", KeyLengthFlag: '0', Key: tpk.field}, &hostcmd.BV{KCV: kcv(tpk, 8)})
	tak := g.key(keys.TAK, keys.SchemeT)
	g.exact("BU TAK triple KCV 6H", &hostcmd.BU{KeyTypeCode: "03", KeyLengthFlag: '2', Key: tak.field, Reserved1: '0', Reserved2: '0', KCVType: '1'}, &hostcmd.BV{KCV: kcv(tak, 3)})
	cvk := g.key(keys.CVK, keys.SchemeU)
	g.exact("BU CVK by key type FF;402", &hostcmd.BU{KeyTypeCode: "FF", KeyLengthFlag: '1', Key: cvk.field, KeyType: "402"}, &hostcmd.BV{KCV: kcv(cvk, 8)})
	g.errCase("BU key parity error is 10", &hostcmd.BU{KeyTypeCode: "01", KeyLengthFlag: '1', Key: g.badKey(keys.ZPK, keys.SchemeU)}, hostcmd.SourceKeyParity)

	a0 := func(kt keys.KeyType, s keys.Scheme) func(context.Context, RoundTripper, []byte) error {
		return func(_ context.Context, _ RoundTripper, resp []byte) error {
			r, err := hostcmd.ParseResponse([2]byte{'A', '0'}, resp)
			a1, ok := r.(*hostcmd.A1)
			if err != nil || !ok || a1.Err != hostcmd.OK {
				return fmt.Errorf("have %s (%d bytes) want a well-formed A100", head(resp), len(resp))
			}
			if a1.KeyUnderLMK.Scheme != fieldScheme(s) {
				return fmt.Errorf("have key scheme %q want %q", a1.KeyUnderLMK.Scheme, fieldScheme(s))
			}
			ct, err := a1.KeyUnderLMK.Ciphertext()
			if err != nil {
				return fmt.Errorf("key under LMK: %w", err)
			}
			ck, err := g.lmk.Decrypt(kt, s, ct)
			if err != nil {
				return fmt.Errorf("key under LMK does not unwrap under the test LMK as type %s: %w", kt, err)
			}
			defer ck.Destroy()
			v, err := keys.CheckValue(ck)
			if err != nil {
				return err
			}
			if !equal([]byte(strings.ToUpper(a1.KCV)), []byte(strings.ToUpper(hex.EncodeToString(v[:3])))) {
				return errors.New("KCV does not match the key under the LMK")
			}
			return nil
		}
	}
	g.add("A0 generate ZPK scheme U, unwraps and KCV matches", &hostcmd.A0{Mode: '0', KeyType: "001", SchemeLMK: 'U'}, a0(keys.ZPK, keys.SchemeU))
	g.add("A0 generate TAK scheme T, unwraps and KCV matches", &hostcmd.A0{Mode: '0', KeyType: "003", SchemeLMK: 'T'}, a0(keys.TAK, keys.SchemeT))
	zmk := g.key(keys.ZMK, keys.SchemeU)
	g.add("A0 generate ZPK and export under ZMK", &hostcmd.A0{Mode: '1', KeyType: "001", SchemeLMK: 'U', ZMK: zmk.field, SchemeZMK: 'U'}, a0(keys.ZPK, keys.SchemeU))
}

func (g *gen) translate() {
	for _, tc := range []struct {
		name   string
		ts, zs keys.Scheme
		n      int
		dst    pin.Format
	}{
		{"CA ISO 0 to ISO 0, U keys", keys.SchemeU, keys.SchemeU, 4, pin.ISO0},
		{"CA ISO 0 to IBM 3624, U keys", keys.SchemeU, keys.SchemeU, 6, pin.IBM3624},
		{"CA ISO 0 to ISO 2, T and U keys", keys.SchemeT, keys.SchemeU, 5, pin.ISO2},
		{"CA ISO 0 to ISO 0, single keys, 12-digit PIN", keys.SchemeSingle, keys.SchemeSingle, 12, pin.ISO0},
	} {
		tpk, zpk := g.key(keys.TPK, tc.ts), g.key(keys.ZPK, tc.zs)
		_, acct, p, _ := g.card(tc.n)
		g.exact(tc.name, &hostcmd.CA{TPK: tpk.field, ZPK: zpk.field, MaxPINLen: 12, PINBlock: redact.String(g.block(tpk, pin.ISO0, p, acct)),
			SourceFormat: "01", DestinationFormat: tc.dst.PayShieldCode(), Account: redact.String(acct)},
			&hostcmd.CB{PINLen: tc.n, PINBlock: redact.String(g.block(zpk, tc.dst, p, acct)), DestinationFormat: tc.dst.PayShieldCode()})
	}
	// Random-fill formats: decrypt the answer and compare the PIN.
	for _, dst := range []pin.Format{pin.ISO1, pin.ISO3} {
		tpk, zpk := g.key(keys.TPK, keys.SchemeU), g.key(keys.ZPK, keys.SchemeU)
		_, acct, p, _ := g.card(4 + g.rng.IntN(3))
		g.add("CA ISO 0 to "+dst.String()+" round trip", &hostcmd.CA{TPK: tpk.field, ZPK: zpk.field, MaxPINLen: 12, PINBlock: redact.String(g.block(tpk, pin.ISO0, p, acct)),
			SourceFormat: "01", DestinationFormat: dst.PayShieldCode(), Account: redact.String(acct)},
			samePIN("CA", zpk, dst, p, acct))
	}
	tpk, zpk := g.key(keys.TPK, keys.SchemeU), g.key(keys.ZPK, keys.SchemeU)
	_, acct, p, _ := g.card(4)
	ca := func() *hostcmd.CA {
		return &hostcmd.CA{TPK: tpk.field, ZPK: zpk.field, MaxPINLen: 12, PINBlock: redact.String(g.block(tpk, pin.ISO0, p, acct)),
			SourceFormat: "01", DestinationFormat: "01", Account: redact.String(acct)}
	}
	r := ca()
	r.TPK = g.badKey(keys.TPK, keys.SchemeU)
	g.errCase("CA TPK parity error is 10", r, hostcmd.SourceKeyParity)
	r = ca()
	r.ZPK = g.badKey(keys.ZPK, keys.SchemeU)
	g.errCase("CA ZPK parity error is 11", r, hostcmd.DestKeyParity)
	r = ca()
	r.SourceFormat = "99"
	g.errCase("CA unknown source format is 23", r, hostcmd.InvalidPINFormat)
	r = ca()
	r.DestinationFormat = "02"
	g.errCase("CA unsupported destination format 02 is 23", r, hostcmd.InvalidPINFormat)
	r = ca()
	r.PINBlock = redact.String(g.badBlock(tpk, pin.ISO0, acct))
	g.errCase("CA undecodable PIN block is 20", r, hostcmd.InvalidPINBlock)
	r = ca()
	r.Envelope.LMKID = "07"
	g.errCase("CA unknown LMK identifier %07 is 13", r, hostcmd.InvalidLMKID)
	g.raw("CA truncated request is 15", ca().AppendBody(nil)[:40], hostcmd.InvalidInput)

	z1, z2 := g.key(keys.ZPK, keys.SchemeU), g.key(keys.ZPK, keys.SchemeT)
	_, acct, p, _ = g.card(5)
	cc := func(dst pin.Format) *hostcmd.CC {
		return &hostcmd.CC{SourceZPK: z1.field, DestinationZPK: z2.field, MaxPINLen: 12, PINBlock: redact.String(g.block(z1, pin.ISO0, p, acct)),
			SourceFormat: "01", DestinationFormat: dst.PayShieldCode(), Account: redact.String(acct)}
	}
	g.exact("CC ZPK to ZPK, ISO 0 to ISO 0", cc(pin.ISO0), &hostcmd.CD{PINLen: 5, PINBlock: redact.String(g.block(z2, pin.ISO0, p, acct)), DestinationFormat: "01"})
	g.exact("CC ZPK to ZPK, ISO 0 to IBM 3624", cc(pin.IBM3624), &hostcmd.CD{PINLen: 5, PINBlock: redact.String(g.block(z2, pin.IBM3624, p, acct)), DestinationFormat: "03"})
	c := cc(pin.ISO0)
	c.SourceZPK = g.badKey(keys.ZPK, keys.SchemeU)
	g.errCase("CC source ZPK parity error is 10", c, hostcmd.SourceKeyParity)
	c = cc(pin.ISO0)
	c.DestinationZPK = g.badKey(keys.ZPK, keys.SchemeU)
	g.errCase("CC destination ZPK parity error is 11", c, hostcmd.DestKeyParity)
}

// samePIN checks a PIN-block answer (CB, CD or JH) by decrypting it under
// k in format f (for format 48 acct is the PAN) and comparing the PIN: the
// check of every answer with a random fill, for the variant and the
// key-block suites.
func samePIN(cmd string, k wkey, f pin.Format, want pin.PIN, acct string) func(context.Context, RoundTripper, []byte) error {
	return func(_ context.Context, _ RoundTripper, resp []byte) error {
		r, err := hostcmd.ParseResponse([2]byte{cmd[0], cmd[1]}, resp)
		if err != nil || r.ErrorCode() != hostcmd.OK {
			return fmt.Errorf("have %s (%d bytes) want a well-formed %s00", head(resp), len(resp), rcode(cmd))
		}
		var blk string
		switch r := r.(type) {
		case *hostcmd.CB:
			blk = r.PINBlock.Reveal()
		case *hostcmd.CD:
			blk = r.PINBlock.Reveal()
		case *hostcmd.JH:
			blk = r.PINBlock.Reveal()
		}
		b, err := hex.DecodeString(blk)
		if err != nil {
			return errors.New("PIN block is not hex")
		}
		got, err := pin.DecryptBlock(k.block, f, b, acct)
		if err != nil {
			return fmt.Errorf("PIN block does not decode in format %s: %w", f, err)
		}
		if !samePINs(got, want) {
			return errors.New("PIN block holds another PIN")
		}
		return nil
	}
}

// samePINs compares two PINs through their ISO 2 clear blocks (which hold the
// PIN and its length only), without printing either.
func samePINs(a, b pin.PIN) bool {
	x, err1 := pin.EncodeBlock(nil, pin.ISO2, a, "", nil)
	y, err2 := pin.EncodeBlock(nil, pin.ISO2, b, "", nil)
	return err1 == nil && err2 == nil && equal(x, y)
}

func (g *gen) lmkPIN() {
	for _, n := range []int{4, 6, 12} {
		zpk := g.key(keys.ZPK, keys.SchemeU)
		_, acct, p, digits := g.card(n)
		blk := g.block(zpk, pin.ISO0, p, acct)
		g.add(fmt.Sprintf("JE then JG round trip, %d-digit PIN", n),
			&hostcmd.JE{ZPK: zpk.field, PINBlock: redact.String(blk), Format: "01", Account: redact.String(acct)},
			func(ctx context.Context, rt RoundTripper, resp []byte) error {
				lp, err := pinUnderLMK("JE", resp, n, digits)
				if err != nil {
					return err
				}
				jg := (&hostcmd.JG{ZPK: zpk.field, Format: "01", Account: redact.String(acct), PINUnderLMK: redact.String(lp)}).AppendBody(nil)
				r2, err := rt.RoundTrip(ctx, jg)
				if err != nil {
					return fmt.Errorf("JG: no answer: %w", err)
				}
				want := (&hostcmd.JH{PINBlock: redact.String(blk)}).AppendBody(nil)
				if !equal(r2, want) {
					return fmt.Errorf("JG: %w", mismatch(r2, want))
				}
				return nil
			})
	}
	zpk := g.key(keys.ZPK, keys.SchemeU)
	_, acct, p, _ := g.card(4)
	je := func() *hostcmd.JE {
		return &hostcmd.JE{ZPK: zpk.field, PINBlock: redact.String(g.block(zpk, pin.ISO0, p, acct)), Format: "01", Account: redact.String(acct)}
	}
	r := je()
	r.ZPK = g.badKey(keys.ZPK, keys.SchemeU)
	g.errCase("JE ZPK parity error is 10", r, hostcmd.SourceKeyParity)
	r = je()
	r.Format = "99"
	g.errCase("JE unknown format is 23", r, hostcmd.InvalidPINFormat)
	r = je()
	r.PINBlock = redact.String(g.badBlock(zpk, pin.ISO0, acct))
	g.errCase("JE undecodable PIN block is 20", r, hostcmd.InvalidPINBlock)
	g.errCase("JG invalid PIN under LMK is 14", &hostcmd.JG{ZPK: zpk.field, Format: "01", Account: redact.String(acct), PINUnderLMK: redact.String(g.badLMKPIN(acct))}, hostcmd.InvalidLMKPIN)

	// BA then NG (clear PIN both ways).
	for _, n := range []int{4, 7} {
		_, acct, _, digits := g.card(n)
		padded := digits + "F"
		c := g.add(fmt.Sprintf("BA then NG round trip, %d-digit PIN", n), &hostcmd.BA{PIN: redact.String(padded), Account: redact.String(acct)},
			func(ctx context.Context, rt RoundTripper, resp []byte) error {
				lp, err := pinUnderLMK("BA", resp, n, digits)
				if err != nil {
					return err
				}
				r2, err := rt.RoundTrip(ctx, (&hostcmd.NG{Account: redact.String(acct), PINUnderLMK: redact.String(lp)}).AppendBody(nil))
				if err != nil {
					return fmt.Errorf("NG: no answer: %w", err)
				}
				r, err := hostcmd.ParseResponse([2]byte{'N', 'G'}, r2)
				nh, ok := r.(*hostcmd.NH)
				if err != nil || !ok || nh.Err != hostcmd.OK {
					return fmt.Errorf("NG: have %s (%d bytes) want a well-formed NH00", head(r2), len(r2))
				}
				if !equal([]byte(nh.PIN.Reveal()), []byte(padded)) {
					return fmt.Errorf("NG: clear PIN field differs (%d characters, want %d)", len(nh.PIN.Reveal()), len(padded))
				}
				return nil
			})
		c.ClearPIN = true
	}
	_, acct, _, _ = g.card(4)
	c := g.add("NG invalid PIN under LMK is 14", &hostcmd.NG{Account: redact.String(acct), PINUnderLMK: redact.String(g.badLMKPIN(acct))}, expectError("NG", hostcmd.InvalidLMKPIN))
	c.ClearPIN = true
}

// badLMKPIN returns 5 digits that are not a PIN under the test LMK for acct.
func (g *gen) badLMKPIN(acct string) string {
	for range 1000 {
		d := g.digits(5)
		if _, err := g.lmk.DecryptPIN([]byte(d), acct); err != nil {
			return d
		}
	}
	g.fail(errors.New("conformance: no invalid PIN under LMK found"))
	return ""
}

// pinUnderLMK checks the structure of a JF or BB answer: a PIN under the LMK of
// n+1 digits that is not the clear PIN (hostcmd.md §2), and returns it.
func pinUnderLMK(cmd string, resp []byte, n int, clearDigits string) (string, error) {
	r, err := hostcmd.ParseResponse([2]byte{cmd[0], cmd[1]}, resp)
	if err != nil || r.ErrorCode() != hostcmd.OK {
		return "", fmt.Errorf("have %s (%d bytes) want a well-formed %s00", head(resp), len(resp), rcode(cmd))
	}
	var lp string
	switch r := r.(type) {
	case *hostcmd.JF:
		lp = r.PINUnderLMK.Reveal()
	case *hostcmd.BB:
		lp = r.PINUnderLMK.Reveal()
	}
	if len(lp) != n+1 {
		return "", fmt.Errorf("PIN under LMK has %d characters, want %d", len(lp), n+1)
	}
	if strings.Contains(lp, clearDigits) {
		return "", errors.New("PIN under LMK contains the clear PIN")
	}
	return lp, nil
}

func (g *gen) verify() {
	pvv := func(pvk wkey, acct string, p pin.PIN) string {
		v, err := pin.PVV(pvk.block, acct, 1, p)
		if err != nil {
			g.fail(err)
		}
		return string(v[:])
	}
	wrong := func(s string) string { // a different value of the same shape
		b := []byte(s)
		b[0] = '0' + (b[0]-'0'+1)%10
		return string(b)
	}
	for _, s := range []keys.Scheme{keys.SchemePair, keys.SchemeU} {
		tpk, pvk := g.key(keys.TPK, keys.SchemeU), g.key(keys.PVK, s)
		_, acct, p, _ := g.card(4)
		v := pvv(pvk, acct, p)
		dc := func() *hostcmd.DC {
			return &hostcmd.DC{TPK: tpk.field, PVK: pvk.field, PINBlock: redact.String(g.block(tpk, pin.ISO0, p, acct)), Format: "01", Account: redact.String(acct), PVKI: '1', PVV: redact.String(v)}
		}
		g.exact("DC PVV verifies, PVK "+s.String(), dc(), &hostcmd.DD{})
		r := dc()
		r.PVV = redact.String(wrong(v))
		g.exact("DC wrong PVV is 01, PVK "+s.String(), r, &hostcmd.DD{Status: hostcmd.Status{Err: hostcmd.VerifyFailed}})
		if s == keys.SchemeU {
			r = dc()
			r.TPK = g.badKey(keys.TPK, keys.SchemeU)
			g.errCase("DC TPK parity error is 10", r, hostcmd.SourceKeyParity)
			r = dc()
			r.PVK = g.badKey(keys.PVK, keys.SchemeU)
			g.errCase("DC PVK parity error is 11", r, hostcmd.DestKeyParity)
		}
	}
	zpk, pvk := g.key(keys.ZPK, keys.SchemeU), g.key(keys.PVK, keys.SchemePair)
	_, acct, p, _ := g.card(4)
	v := pvv(pvk, acct, p)
	ec := func() *hostcmd.EC {
		return &hostcmd.EC{ZPK: zpk.field, PVK: pvk.field, PINBlock: redact.String(g.block(zpk, pin.ISO0, p, acct)), Format: "01", Account: redact.String(acct), PVKI: '1', PVV: redact.String(v)}
	}
	g.exact("EC PVV verifies", ec(), &hostcmd.ED{})
	r := ec()
	r.PVV = redact.String(wrong(v))
	g.exact("EC wrong PVV is 01", r, &hostcmd.ED{Status: hostcmd.Status{Err: hostcmd.VerifyFailed}})
	r = ec()
	r.PINBlock, r.Format = redact.String(g.block(zpk, pin.IBM3624, p, acct)), "03"
	g.exact("EC PVV verifies, IBM 3624 block", r, &hostcmd.ED{})
	r = ec()
	r.ZPK = g.badKey(keys.ZPK, keys.SchemeU)
	g.errCase("EC ZPK parity error is 10", r, hostcmd.SourceKeyParity)
	r = ec()
	r.PVK = g.badKey(keys.PVK, keys.SchemePair)
	g.errCase("EC PVK parity error is 11", r, hostcmd.DestKeyParity)
	r = ec()
	r.Format = "77"
	g.errCase("EC unknown format is 23", r, hostcmd.InvalidPINFormat)

	// IBM 3624 offset.
	table, err := pin.ParseDecTable("0123456789012345")
	if err != nil {
		g.fail(err)
		return
	}
	for _, cmd := range []string{"DA", "EA"} {
		var kk wkey
		if cmd == "DA" {
			kk = g.key(keys.TPK, keys.SchemeU)
		} else {
			kk = g.key(keys.ZPK, keys.SchemeU)
		}
		pvk := g.key(keys.PVK, keys.SchemeSingle)
		_, acct, p, _ := g.card(4)
		vd := acct[:11] + "N"
		padded := g.ibmOffset(pvk, vd, acct, table, p)
		if g.err != nil {
			return
		}
		o := func(offset string) hostcmd.IBMOffset {
			return hostcmd.IBMOffset{PVK: pvk.field, MaxPINLen: 12, PINBlock: redact.String(g.block(kk, pin.ISO0, p, acct)), Format: "01", CheckLen: 4,
				Account: redact.String(acct), DecimalisationTable: "0123456789012345", ValidationData: redact.String(vd), Offset: redact.String(offset)}
		}
		if cmd == "DA" {
			g.exact("DA IBM offset verifies", &hostcmd.DA{TPK: kk.field, IBMOffset: o(padded)}, &hostcmd.DB{})
			g.exact("DA wrong IBM offset is 01", &hostcmd.DA{TPK: kk.field, IBMOffset: o(wrong(padded))}, &hostcmd.DB{Status: hostcmd.Status{Err: hostcmd.VerifyFailed}})
		} else {
			g.exact("EA IBM offset verifies", &hostcmd.EA{ZPK: kk.field, IBMOffset: o(padded)}, &hostcmd.EB{})
			g.exact("EA wrong IBM offset is 01", &hostcmd.EA{ZPK: kk.field, IBMOffset: o(wrong(padded))}, &hostcmd.EB{Status: hostcmd.Status{Err: hostcmd.VerifyFailed}})
		}
	}
}

func (g *gen) cardCmds() {
	for _, tc := range []struct {
		name string
		s    keys.Scheme
		svc  string
	}{
		{"CVV, CVK U", keys.SchemeU, "101"},
		{"CVV2, CVK pair", keys.SchemePair, card.ServiceCodeCVV2},
		{"iCVV, CVK U", keys.SchemeU, "999"},
	} {
		cvk := g.key(keys.CVK, tc.s)
		ck, err := card.NewCVK(cvk.clear)
		if err != nil {
			g.fail(err)
			return
		}
		pan := "4" + g.digits(15)
		exp := fmt.Sprintf("%02d%02d", 26+g.rng.IntN(8), 1+g.rng.IntN(12))
		v, err := ck.Generate(pan, exp, tc.svc)
		if err != nil {
			g.fail(err)
			return
		}
		g.exact("CW "+tc.name, &hostcmd.CW{CVK: cvk.field, PAN: redact.String(pan), Expiry: exp, ServiceCode: tc.svc}, &hostcmd.CX{CVV: redact.String(v)})
		g.exact("CY "+tc.name+" verifies", &hostcmd.CY{CVK: cvk.field, CVV: redact.String(v), PAN: redact.String(pan), Expiry: exp, ServiceCode: tc.svc}, &hostcmd.CZ{})
		bad := []byte(v)
		bad[2] = '0' + (bad[2]-'0'+1)%10
		g.exact("CY "+tc.name+" wrong value is 01", &hostcmd.CY{CVK: cvk.field, CVV: redact.String(bad), PAN: redact.String(pan), Expiry: exp, ServiceCode: tc.svc}, &hostcmd.CZ{Status: hostcmd.Status{Err: hostcmd.VerifyFailed}})
	}
	pan := "5" + g.digits(15)
	g.errCase("CW CVK parity error is 10", &hostcmd.CW{CVK: g.badKey(keys.CVK, keys.SchemeU), PAN: redact.String(pan), Expiry: "2812", ServiceCode: "101"}, hostcmd.SourceKeyParity)
}

// kq is one generated KQ or KW transaction: its request pieces and answers.
type emvTxn struct {
	mk         wkey
	pan, psn   string
	y          [8]byte
	atc        [2]byte
	un         [4]byte
	data       []byte
	arqc, arpc [8]byte
}

func (g *gen) emvTxn(kw bool, mastercard bool) emvTxn {
	t := emvTxn{mk: g.key(keys.MKAC, keys.SchemeU), pan: "4" + g.digits(15), psn: g.digits(2)}
	var err error
	if t.y, err = emv.PANPSNBlock(t.pan, t.psn); err != nil {
		g.fail(err)
		return t
	}
	copy(t.atc[:], g.bytes(2))
	copy(t.un[:], g.bytes(4))
	t.data = g.bytes(24 + g.rng.IntN(20))
	mk, err := emv.DeriveICCMKFromBlock(t.mk.block, t.y)
	if err != nil {
		g.fail(err)
		return t
	}
	acKey := mk
	switch {
	case kw:
		acKey = emv.CommonSessionKey(mk, emv.ACDiversifier(t.atc))
	case mastercard:
		acKey = emv.MastercardSessionKey(mk, t.atc, t.un)
	}
	if t.arqc, err = emv.GenerateAC(acKey, t.data, mac.PaddingMethod1); err != nil {
		g.fail(err)
	}
	arpcKey := mk
	if kw {
		arpcKey = acKey
	}
	t.arpc = emv.ARPCMethod1(arpcKey, t.arqc, [2]byte{'0', '0'})
	return t
}

func (g *gen) emvCmds() {
	for _, mc := range []bool{false, true} {
		t := g.emvTxn(false, mc)
		scheme, name := byte('0'), "Visa CVN 10"
		if mc {
			scheme, name = '1', "Mastercard"
		}
		kq := func(mode byte) *hostcmd.KQ {
			r := &hostcmd.KQ{Mode: mode, Scheme: scheme, MKAC: t.mk.field, PANPSN: t.y[:], ATC: t.atc, UN: t.un, ARQC: t.arqc[:]}
			if mode != '2' {
				r.Data = t.data
			}
			if mode != '0' {
				r.ARC = [2]byte{'0', '0'}
			}
			return r
		}
		g.exact("KQ mode 0 "+name+" ARQC verifies", kq('0'), &hostcmd.KR{})
		g.exact("KQ mode 1 "+name+" ARQC and ARPC", kq('1'), &hostcmd.KR{ARPC: t.arpc[:]})
		g.exact("KQ mode 2 "+name+" ARPC only", kq('2'), &hostcmd.KR{ARPC: t.arpc[:]})
		r := kq('0')
		r.ARQC = append([]byte(nil), t.arqc[:]...)
		r.ARQC[7] ^= 0x01
		g.exact("KQ mode 0 "+name+" wrong ARQC is 01", r, &hostcmd.KR{Status: hostcmd.Status{Err: hostcmd.VerifyFailed}})
		if !mc {
			r = kq('0')
			r.MKAC = g.badKey(keys.MKAC, keys.SchemeU)
			g.errCase("KQ MK-AC parity error is 10", r, hostcmd.SourceKeyParity)
			body := kq('0').AppendBody(nil)
			body[2] = '9'
			g.raw("KQ invalid mode is 04", body, hostcmd.InvalidKeyTypeCode)
			body = kq('0').AppendBody(nil)
			body[3] = '9'
			g.raw("KQ invalid scheme is 05", body, hostcmd.InvalidKeyLengthFlag)
		}
	}
	t := g.emvTxn(true, false)
	kw := func(mode byte) *hostcmd.KW {
		r := &hostcmd.KW{Mode: mode, Scheme: '2', MKAC: t.mk.field, PANPSN: t.y[:], ATC: t.atc, Data: t.data, ARQC: t.arqc[:]}
		if mode == '1' {
			r.ARC = [2]byte{'0', '0'}
		}
		return r
	}
	g.exact("KW mode 0 common session key ARQC verifies", kw('0'), &hostcmd.KX{})
	g.exact("KW mode 1 ARQC and ARPC method 1", kw('1'), &hostcmd.KX{ARPC: t.arpc[:]})
	r := kw('0')
	r.ARQC = append([]byte(nil), t.arqc[:]...)
	r.ARQC[0] ^= 0x80
	g.exact("KW wrong ARQC is 01", r, &hostcmd.KX{Status: hostcmd.Status{Err: hostcmd.VerifyFailed}})
	r = kw('0')
	r.Scheme = '0'
	g.errCase("KW EMV2000 tree scheme 0 is 05", r, hostcmd.InvalidKeyLengthFlag)
}

func (g *gen) macCmds() {
	for _, tc := range []struct {
		name         string
		kt           keys.KeyType
		code         string
		alg, pad, sz byte
		in           byte
		n            int
	}{
		{"TAK alg 3 pad 2 binary 8H", keys.TAK, "003", '3', '2', '0', '0', 32},
		{"TAK alg 3 pad 1 hex 16H", keys.TAK, "003", '3', '1', '1', '1', 21},
		{"ZAK alg 1 pad 2 binary 8H", keys.ZAK, "008", '1', '2', '0', '0', 40},
		{"ZAK alg 3 no padding 16H", keys.ZAK, "008", '3', '0', '1', '0', 16},
	} {
		k := g.key(tc.kt, keys.SchemeU)
		msg := g.bytes(tc.n)
		p := mac.Padding(tc.pad - '0')
		var m []byte
		var err error
		if tc.alg == '3' {
			m, err = mac.Alg3(k.clear, msg, p)
		} else {
			m, err = mac.Alg1(k.block, msg, p)
		}
		if err != nil {
			g.fail(err)
			return
		}
		if tc.sz == '0' {
			m = m[:4]
		}
		mh := strings.ToUpper(hex.EncodeToString(m))
		params := hostcmd.MACParams{Mode: '0', InputFormat: tc.in, MACSize: tc.sz, Algorithm: tc.alg, Padding: tc.pad, KeyType: tc.code, Key: k.field, Message: msg}
		g.exact("M6 "+tc.name, &hostcmd.M6{MACParams: params}, &hostcmd.M7{MAC: redact.String(mh)})
		g.exact("M8 "+tc.name+" verifies", &hostcmd.M8{MACParams: params, MAC: redact.String(mh)}, &hostcmd.M9{})
		bad := []byte(mh)
		bad[0] = "123456789ABCDEF0"[strings.IndexByte("0123456789ABCDEF", bad[0])]
		g.exact("M8 "+tc.name+" wrong MAC is 01", &hostcmd.M8{MACParams: params, MAC: redact.String(bad)}, &hostcmd.M9{Status: hostcmd.Status{Err: hostcmd.VerifyFailed}})
	}
	k := g.key(keys.TAK, keys.SchemeU)
	g.errCase("M6 TAK parity error is 10", &hostcmd.M6{MACParams: hostcmd.MACParams{Mode: '0', InputFormat: '0', MACSize: '0', Algorithm: '3', Padding: '2', KeyType: "003", Key: g.badKey(keys.TAK, keys.SchemeU), Message: g.bytes(8)}}, hostcmd.SourceKeyParity)
	g.errCase("M6 unknown algorithm is 15", &hostcmd.M6{MACParams: hostcmd.MACParams{Mode: '0', InputFormat: '0', MACSize: '0', Algorithm: '7', Padding: '2', KeyType: "003", Key: k.field, Message: g.bytes(8)}}, hostcmd.InvalidInput)
}

// rcode returns the response code of a command code.
func rcode(cmd string) string {
	rc := hostcmd.ResponseCode([2]byte{cmd[0], cmd[1]})
	return string(rc[:])
}
