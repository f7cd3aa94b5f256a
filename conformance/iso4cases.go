package conformance

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/pin"
)

// ISO4Cases returns the PIN block format 48 (ISO 9564-1 format 4) cases for
// a target under the key-block LMK l (docs/spec/hostcmd-keyblocks.md §9):
// the public format 4 blocks of testdata/iso4.json, their AES keys wrapped
// under l as S blocks, through CA and CC (to format 01 exactly, to 48 by
// decrypting the answer), JE then JG, DC, EC, DA and EA, and the contract's
// error codes. The other keys (destination ZPKs, PVKs) and the PVVs and
// offsets are generated from seed (0 means DefaultSeed): the same seed and
// LMK give the same requests. The PIN under the LMK that JE answers is ours
// (keys.KeyBlockLMK.EncryptPIN). A Triple DES key-block LMK holds no AES
// keys: for it the cases are format 48's refusal (27) and JE/JG in format
// 01 with generated keys.
func ISO4Cases(l *keys.KeyBlockLMK, seed uint64) ([]Case, error) {
	g, err := newKBGen(l, seed)
	if err != nil {
		return nil, err
	}
	vs, err := iso4Vectors()
	if err != nil {
		return nil, err
	}
	g.iso4(vs)
	if g.err != nil {
		return nil, fmt.Errorf("conformance: generating ISO-4 cases: %w", g.err)
	}
	return g.out, nil
}

// iso4Vector is one public format 4 block (testdata/iso4.json).
type iso4Vector struct {
	Source string `json:"source"`
	Key    string `json:"key"`
	PIN    string `json:"pin"`
	PAN    string `json:"pan"`
	Block  string `json:"block"`
}

func iso4Vectors() ([]iso4Vector, error) {
	b, err := testdata.ReadFile("testdata/iso4.json")
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	var f struct{ Vectors []iso4Vector }
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("conformance: testdata/iso4.json: %w", err)
	}
	return f.Vectors, nil
}

// aesKey makes a random AES-128 key block (an AES key needs an AES LMK).
func (g *kbgen) aesKey(usage string, mode byte) wkey { return g.sWKey(usage, 'A', mode, g.bytes(16)) }

// tdesKey makes a random double-length Triple DES key block.
func (g *kbgen) tdesKey(usage string, mode byte) wkey {
	b := g.bytes(16)
	keys.AdjustParity(b)
	return g.sWKey(usage, 'T', mode, b)
}

// vectorKey wraps a vector's clear key (hex) as an AES PIN key block.
func (g *kbgen) vectorKey(usage string, mode byte, h string) wkey {
	b, err := hex.DecodeString(h)
	if err != nil {
		g.fail(err)
		return wkey{}
	}
	return g.sWKey(usage, 'A', mode, b)
}

func (g *kbgen) parsePIN(digits string) pin.PIN {
	p, err := pin.ParsePIN(digits)
	if err != nil {
		g.fail(err)
	}
	return p
}

func (g *kbgen) account(pan string) string {
	a, err := pin.AccountFromPAN(pan)
	if err != nil {
		g.fail(err)
	}
	return a
}

// pinUnderLMK returns PIN p under the target's key-block LMK for account
// acct, as JE answers it (ours: keys.KeyBlockLMK.EncryptPIN); false after
// a failure, which g records.
func (g *kbgen) pinUnderLMK(p pin.PIN, acct string) ([]byte, bool) {
	var digits [pin.MaxLen]byte
	enc, err := g.l.EncryptPIN(p.AppendDigits(digits[:0]), acct)
	clear(digits[:])
	if err != nil {
		g.fail(err)
		return nil, false
	}
	return enc, true
}

// named adds a case whose source is a public vector's.
func (g *kbgen) named(source, name string, req hostcmd.Request, check func(context.Context, RoundTripper, []byte) error) {
	c := g.add(name, req, check)
	c.Source = source
}

func (g *kbgen) iso4(vs []iso4Vector) {
	if g.l.Algorithm() != 'A' {
		// Format 48 needs AES keys, which a TDES key-block LMK cannot
		// hold: only its refusal and the PIN under this LMK are checked.
		g.tdesLMK()
		return
	}
	zpkT := g.tdesKey("72", 'B') // destination of 48 to 01
	zpkA := g.aesKey("P0", 'E')  // destination of 48 to 48, and of JG
	pvkPVV := g.tdesKey("V2", 'V')
	pvkIBM := g.tdesKey("V1", 'V')
	const table = "0123456789012345"
	for i, v := range vs {
		p := g.parsePIN(v.PIN)
		src := g.vectorKey("P0", 'D', v.Key)
		tpk := g.vectorKey("71", 'D', v.Key)
		tag := fmt.Sprintf("%d (PIN length %d, PAN length %d)", i+1, len(v.PIN), len(v.PAN))
		block := redact.String(v.Block)
		pan := redact.String(v.PAN)

		// 48 to 48: a new random half, so decrypt the answer.
		g.named(v.Source, "CC format 48 to 48, vector "+tag,
			&hostcmd.CC{SourceZPK: src.field, DestinationZPK: zpkA.field, MaxPINLen: 12, PINBlock: block,
				SourceFormat: "48", DestinationFormat: "48", Account: pan},
			samePIN("CC", zpkA, pin.ISO4, p, v.PAN))
		if len(v.PAN) < 8 {
			// No 12-digit account field can be made from the PAN.
			g.named(v.Source, "CC format 48 to 01 with a PAN of under 8 digits is 22, vector "+tag,
				&hostcmd.CC{SourceZPK: src.field, DestinationZPK: zpkT.field, MaxPINLen: 12, PINBlock: block,
					SourceFormat: "48", DestinationFormat: "01", Account: pan},
				expectError("CC", hostcmd.InvalidAccount))
			continue
		}
		acct := g.account(v.PAN)
		iso0 := redact.String(g.block(zpkT, pin.ISO0, p, acct))
		if i%2 == 0 {
			g.named(v.Source, "CC format 48 to 01, vector "+tag,
				&hostcmd.CC{SourceZPK: src.field, DestinationZPK: zpkT.field, MaxPINLen: 12, PINBlock: block,
					SourceFormat: "48", DestinationFormat: "01", Account: pan},
				expectExact((&hostcmd.CD{PINLen: p.Len(), PINBlock: iso0, DestinationFormat: "01"}).AppendBody(nil)))
		} else {
			g.named(v.Source, "CA format 48 to 01, vector "+tag,
				&hostcmd.CA{TPK: tpk.field, ZPK: zpkT.field, MaxPINLen: 12, PINBlock: block,
					SourceFormat: "48", DestinationFormat: "01", Account: pan},
				expectExact((&hostcmd.CB{PINLen: p.Len(), PINBlock: iso0, DestinationFormat: "01"}).AppendBody(nil)))
		}

		// JE gives the PIN under the LMK; JG takes it back to 48 and to 01.
		enc, ok := g.pinUnderLMK(p, acct)
		if !ok {
			return
		}
		jg := &hostcmd.JG{ZPK: zpkA.field, Format: "48", Account: pan, PINUnderLMK: redact.String(enc)}
		g.named(v.Source, "JE format 48 then JG format 48, vector "+tag,
			&hostcmd.JE{ZPK: src.field, PINBlock: block, Format: "48", Account: pan},
			func(ctx context.Context, rt RoundTripper, resp []byte) error {
				if err := expectExact((&hostcmd.JF{PINUnderLMK: redact.String(enc)}).AppendBody(nil))(ctx, rt, resp); err != nil {
					return fmt.Errorf("JE: %w", err)
				}
				resp, err := rt.RoundTrip(ctx, jg.AppendBody(nil))
				if err != nil {
					return fmt.Errorf("JG: no answer: %w", err)
				}
				if err := samePIN("JG", zpkA, pin.ISO4, p, v.PAN)(ctx, rt, resp); err != nil {
					return fmt.Errorf("JG: %w", err)
				}
				return nil
			})
		g.named(v.Source, "JG format 01 from the PIN under the LMK, vector "+tag,
			&hostcmd.JG{ZPK: zpkT.field, Format: "01", Account: redact.String(acct), PINUnderLMK: redact.String(enc)},
			expectExact((&hostcmd.JH{PINBlock: iso0}).AppendBody(nil)))

		// Verification: a PVV and an IBM 3624 offset made for the PIN.
		pvv, err := pin.PVV(pvkPVV.block, acct, 1, p)
		if err != nil {
			g.fail(err)
			return
		}
		good, bad := redact.String(pvv[:]), redact.String(otherDigits(pvv[:]))
		if i%2 == 0 {
			g.named(v.Source, "EC format 48, PVV verifies, vector "+tag,
				&hostcmd.EC{ZPK: src.field, PVK: pvkPVV.field, PINBlock: block, Format: "48", Account: pan, PVKI: '1', PVV: good},
				expectExact([]byte("ED00")))
			g.named(v.Source, "EC format 48, wrong PVV is 01, vector "+tag,
				&hostcmd.EC{ZPK: src.field, PVK: pvkPVV.field, PINBlock: block, Format: "48", Account: pan, PVKI: '1', PVV: bad},
				expectError("EC", hostcmd.VerifyFailed))
		} else {
			g.named(v.Source, "DC format 48, PVV verifies, vector "+tag,
				&hostcmd.DC{TPK: tpk.field, PVK: pvkPVV.field, PINBlock: block, Format: "48", Account: pan, PVKI: '1', PVV: good},
				expectExact([]byte("DD00")))
		}
		vdata := acct[:11] + "N"
		dt, err := pin.ParseDecTable(table)
		if err != nil {
			g.fail(err)
			return
		}
		offset := g.ibmOffset(pvkIBM, vdata, acct, dt, p)
		o := hostcmd.IBMOffset{PVK: pvkIBM.field, MaxPINLen: 12, PINBlock: block, Format: "48", CheckLen: p.Len(), Account: pan,
			DecimalisationTable: table, ValidationData: redact.String(vdata), Offset: redact.String(offset)}
		if i%2 == 0 {
			g.named(v.Source, "EA format 48, offset verifies, vector "+tag, &hostcmd.EA{ZPK: src.field, IBMOffset: o}, expectExact([]byte("EB00")))
		} else {
			g.named(v.Source, "DA format 48, offset verifies, vector "+tag, &hostcmd.DA{TPK: tpk.field, IBMOffset: o}, expectExact([]byte("DB00")))
		}
	}
	g.iso4Errors(vs[0], zpkT, zpkA, pvkPVV)
}

// iso4Errors adds the contract's error codes around format 48, each a valid
// request of the first vector with one thing changed.
func (g *kbgen) iso4Errors(v iso4Vector, zpkT, zpkA, pvk wkey) {
	src := g.vectorKey("P0", 'D', v.Key)
	block, pan := redact.String(v.Block), redact.String(v.PAN)
	acct := g.account(v.PAN)
	p := g.parsePIN(v.PIN)
	tdesBlock := redact.String(g.block(zpkT, pin.ISO0, p, acct))
	cc := func() *hostcmd.CC {
		return &hostcmd.CC{SourceZPK: src.field, DestinationZPK: zpkT.field, MaxPINLen: 12, PINBlock: block,
			SourceFormat: "48", DestinationFormat: "01", Account: pan}
	}
	c := cc()
	c.SourceFormat, c.Account = "01", redact.String(acct)
	g.named(v.Source, "CC format 01 under an AES ZPK is 27", c, expectError("CC", hostcmd.IncompatibleKeyLength))
	c = cc()
	c.SourceZPK, c.PINBlock, c.DestinationZPK = zpkT.field, tdesBlock, zpkA.field
	g.errCase("CC format 48 under a TDES ZPK is 27", c, hostcmd.IncompatibleKeyLength)
	c = cc()
	c.Account = pan + "0"
	g.named(v.Source, "CC format 48 with the PAN of another card is 20", c, expectError("CC", hostcmd.InvalidPINBlock))
	c = cc()
	c.Account = redact.String(strings.Repeat("4", 20))
	g.named(v.Source, "CC format 48 with a 20-digit PAN is 22", c, expectError("CC", hostcmd.InvalidAccount))
	c = cc()
	c.DestinationZPK = pvk.field
	g.named(v.Source, "CC format 48 to a PVK is A6", c, expectError("CC", hostcmd.KeyUsageNotAllowed))
	c = cc()
	c.DestinationZPK = g.aesKey("P0", 'D').field
	g.named(v.Source, "CC format 48 to a decrypt-only ZPK is A8", c, expectError("CC", hostcmd.ModeOfUseNotAllowed))

	g.named(v.Source, "JE format 48 under a TDES ZPK is 27",
		&hostcmd.JE{ZPK: zpkT.field, PINBlock: tdesBlock, Format: "48", Account: pan}, expectError("JE", hostcmd.IncompatibleKeyLength))
	enc, ok := g.pinUnderLMK(p, acct)
	if !ok {
		return
	}
	// The PIN under the LMK is bound to the account field of the PAN.
	other := []byte(v.PAN)
	other[len(other)-2] = '0' + (other[len(other)-2]-'0'+1)%10
	g.named(v.Source, "JG format 48 with another account's PAN is 14",
		&hostcmd.JG{ZPK: zpkA.field, Format: "48", Account: redact.String(other), PINUnderLMK: redact.String(enc)},
		expectError("JG", hostcmd.InvalidLMKPIN))
	g.errCase("EC under a PVK as the ZPK is A6",
		&hostcmd.EC{ZPK: pvk.field, PVK: pvk.field, PINBlock: tdesBlock, Format: "01", Account: redact.String(acct), PVKI: '1', PVV: "0000"},
		hostcmd.KeyUsageNotAllowed)
}

// otherDigits returns 4 decimal digits different from d in every place.
func otherDigits(d []byte) string {
	out := make([]byte, len(d))
	for i, c := range d {
		out[i] = '0' + (c-'0'+1)%10
	}
	return string(out)
}

// tdesLMK adds the cases for a Triple DES key-block LMK: JE then JG in
// format 01 between TDES ZPK blocks (the PIN under this LMK, ours), and
// format 48 under a TDES ZPK (27).
func (g *kbgen) tdesLMK() {
	src, dst := g.tdesKey("P0", 'B'), g.tdesKey("72", 'E')
	for _, n := range []int{4, 12} {
		pan, acct, p, _ := g.card(n)
		enc, ok := g.pinUnderLMK(p, acct)
		if !ok {
			return
		}
		g.exact(fmt.Sprintf("JE format 01 under a TDES key-block LMK, %d-digit PIN", n),
			&hostcmd.JE{ZPK: src.field, PINBlock: redact.String(g.block(src, pin.ISO0, p, acct)), Format: "01", Account: redact.String(acct)},
			&hostcmd.JF{PINUnderLMK: redact.String(enc)})
		g.exact(fmt.Sprintf("JG format 01 under a TDES key-block LMK, %d-digit PIN", n),
			&hostcmd.JG{ZPK: dst.field, Format: "01", Account: redact.String(acct), PINUnderLMK: redact.String(enc)},
			&hostcmd.JH{PINBlock: redact.String(g.block(dst, pin.ISO0, p, acct))})
		if n == 4 {
			g.errCase("JE format 48 under a TDES key-block LMK is 27",
				&hostcmd.JE{ZPK: src.field, PINBlock: redact.String(g.block(src, pin.ISO0, p, acct)), Format: "48", Account: redact.String(pan)},
				hostcmd.IncompatibleKeyLength)
			g.errCase("CC format 01 to 48 under a TDES key-block LMK is 27",
				&hostcmd.CC{SourceZPK: src.field, DestinationZPK: dst.field, MaxPINLen: 12, PINBlock: redact.String(g.block(src, pin.ISO0, p, acct)),
					SourceFormat: "01", DestinationFormat: "48", Account: redact.String(pan)},
				hostcmd.IncompatibleKeyLength)
		}
	}
}
