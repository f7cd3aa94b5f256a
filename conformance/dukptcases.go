package conformance

import (
	"bytes"
	"encoding/hex"
	"math/bits"
	"strings"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/dukpt"
	"github.com/payhsm/payhsm-gw/pin"
)

// dukpt generates the CI and G0 cases (docs/spec/hostcmd-dukpt.md): PIN
// blocks made by the terminal helpers of dukpt.go for generated BDKs and
// KSNs, the answers computed under the generated ZPKs, and the contract's
// error codes.
func (g *gen) dukpt() {
	// TDES: a terminal with a random initial KSN, advanced a few times.
	for _, tc := range []struct {
		name string
		desc string
		bs   keys.Scheme
		n    int
		dst  pin.Format
	}{
		{"CI TDES DUKPT to ZPK, ISO 0, descriptor 605", "605", keys.SchemeU, 4, pin.ISO0},
		{"CI TDES DUKPT to ZPK, IBM 3624, descriptor A05, bare pair BDK", "A05", keys.SchemePair, 6, pin.IBM3624},
		{"G0 TDES DUKPT to ZPK, ISO 2, descriptor 605", "605", keys.SchemeU, 12, pin.ISO2},
		{"G0 TDES DUKPT to ZPK, ISO 0, descriptor 014", "014", keys.SchemeU, 5, pin.ISO0},
	} {
		bdk, zpk := g.key(keys.BDK, tc.bs), g.key(keys.ZPK, keys.SchemeU)
		pan, acct, p, _ := g.card(tc.n)
		k, block := g.dukptBlock(bdk, tc.desc, p, pan)
		ksn := k.String()
		want := redact.String(g.block(zpk, tc.dst, p, acct))
		if strings.HasPrefix(tc.name, "CI") {
			g.exact(tc.name, &hostcmd.CI{BDK: bdk.field, ZPK: zpk.field, KSNDescriptor: tc.desc, KSN: ksn, PINBlock: block,
				DestinationFormat: tc.dst.PayShieldCode(), Account: redact.String(acct)},
				&hostcmd.CJ{PINLen: tc.n, PINBlock: want, DestinationFormat: tc.dst.PayShieldCode()})
			continue
		}
		g.exact(tc.name, &hostcmd.G0{BDK: bdk.field, ZPK: zpk.field, KSNDescriptor: tc.desc, KSN: ksn, PINBlock: block,
			SourceFormat: "01", DestinationFormat: tc.dst.PayShieldCode(), Account: redact.String(acct)},
			&hostcmd.G1{PINLen: tc.n, PINBlock: want, DestinationFormat: tc.dst.PayShieldCode()})
	}

	// AES: an AES-128 BDK (ours: under the variant LMK as key type 009).
	bdk, zpk := g.key(keys.BDK, keys.SchemeU), g.key(keys.ZPK, keys.SchemeU)
	pan, acct, p, _ := g.card(4)
	aesKSN, aesBlock := g.aesDUKPTBlock(bdk, p, pan)
	g0AES := func() *hostcmd.G0 {
		return &hostcmd.G0{BDK: bdk.field, ZPK: zpk.field, KSNDescriptor: "018", KSN: aesKSN, PINBlock: aesBlock,
			SourceFormat: "48", DestinationFormat: "01", PAN: redact.String(pan)}
	}
	g.exact("G0 AES DUKPT to ZPK, ISO 4 to ISO 0 (ours)", g0AES(),
		&hostcmd.G1{PINLen: 4, PINBlock: redact.String(g.block(zpk, pin.ISO0, p, acct)), DestinationFormat: "01"})
	a := g0AES()
	a.SourceFormat = "01"
	g.errCase("G0 AES with source format 01 is 23", a, hostcmd.InvalidPINFormat)
	a = g0AES()
	a.KSN = aesKSN[:16] + "00000000"
	g.errCase("G0 AES counter zero is 15", a, hostcmd.InvalidInput)
	a = g0AES()
	a.KSN = aesKSN[:16] + "0001FFFF"
	g.errCase("G0 AES counter with 17 bits set is 15", a, hostcmd.InvalidInput)
	a = g0AES()
	other, _ := g.aesDUKPTBlock(bdk, p, pan)
	a.KSN = other
	g.errCase("G0 AES block sent with another KSN is 20", a, hostcmd.InvalidPINBlock)
	a = g0AES()
	a.BDK = g.key(keys.BDK, keys.SchemeT).field
	g.errCase("G0 AES triple-length BDK is 27", a, hostcmd.IncompatibleKeyLength)

	// TDES errors, each a valid CI with one field changed.
	bdk, zpk = g.key(keys.BDK, keys.SchemeU), g.key(keys.ZPK, keys.SchemeU)
	pan, acct, p, _ = g.card(4)
	k, block := g.dukptBlock(bdk, "605", p, pan)
	ksn := k.String()
	ci := func() *hostcmd.CI {
		return &hostcmd.CI{BDK: bdk.field, ZPK: zpk.field, KSNDescriptor: "605", KSN: ksn, PINBlock: block,
			DestinationFormat: "01", Account: redact.String(acct)}
	}
	r := ci()
	r.BDK = g.badKey(keys.BDK, keys.SchemeU)
	g.errCase("CI BDK parity error is 10", r, hostcmd.SourceKeyParity)
	r = ci()
	r.ZPK = g.badKey(keys.ZPK, keys.SchemeU)
	g.errCase("CI ZPK parity error is 11", r, hostcmd.DestKeyParity)
	r = ci()
	r.BDK = g.key(keys.BDK, keys.SchemeT).field
	g.errCase("CI triple-length BDK is 27", r, hostcmd.IncompatibleKeyLength)
	r = ci()
	r.KSN = k.Initial().String()
	g.errCase("CI counter zero is 15", r, hostcmd.InvalidInput)
	r = ci()
	r.KSN = k.WithCounter(0x7FF).String()
	g.errCase("CI counter with 11 bits set is 15", r, hostcmd.InvalidInput)
	r = ci()
	r.KSN = "0" + ksn[1:]
	g.errCase("CI KSN padding not F under 605 is 15", r, hostcmd.InvalidInput)
	r = ci()
	r.KSNDescriptor = "018"
	g.errCase("CI AES descriptor 018 is 15", r, hostcmd.InvalidInput)
	r = ci()
	r.KSN = ksn[:19] + "G"
	g.errCase("CI KSN not hex is 15", r, hostcmd.InvalidInput)
	r = ci()
	r.DestinationFormat = "48"
	g.errCase("CI destination format 48 is 23", r, hostcmd.InvalidPINFormat)
	r = ci()
	r.KSN = k.WithCounter(k.Counter() << 1).String() // the next bit up: another valid counter
	g.errCase("CI block sent with another KSN is 20", r, hostcmd.InvalidPINBlock)
	r = ci()
	r.LMKID = "03"
	g.errCase("CI unknown LMK identifier %03 is 13", r, hostcmd.InvalidLMKID)
	g.errCase("G0 TDES with source format 48 is 23", &hostcmd.G0{BDK: bdk.field, ZPK: zpk.field, KSNDescriptor: "605", KSN: ksn,
		PINBlock: block, SourceFormat: "48", DestinationFormat: "01", Account: redact.String(acct)}, hostcmd.InvalidPINFormat)
}

// dukptBlock returns a fresh KSN under descriptor desc ("605": a 16-digit
// KSN, F-padded; "A05" and "014": 20 digits) and the TDES DUKPT PIN block
// of p and pan that a terminal loaded from bdk sends with it.
func (g *gen) dukptBlock(bdk wkey, desc string, p pin.PIN, pan string) (dukpt.KSN, redact.String) {
	b := g.bytes(10)
	if desc == "605" {
		b[0], b[1] = 0xFF, 0xFF
	}
	initial := dukpt.KSN(b).Initial()
	ck, err := keys.NewClearKey(bdk.clear)
	if err != nil {
		g.fail(err)
		return dukpt.KSN{}, ""
	}
	term := NewDUKPTTerminal(ck, initial)
	var ksn dukpt.KSN
	var blk []byte
	for range 1 + g.rng.IntN(20) {
		if ksn, blk, err = term.PINBlock(p, pan); err != nil {
			g.fail(err)
			return dukpt.KSN{}, ""
		}
	}
	return ksn, redact.String(strings.ToUpper(hex.EncodeToString(blk)))
}

// aesDUKPTBlock returns a fresh AES DUKPT KSN and the ISO 9564-1 format 4
// block of p and pan under its AES-128 PIN key, bdk's 16 bytes being the
// AES-128 BDK. The block's random fill comes from the seeded generator.
func (g *gen) aesDUKPTBlock(bdk wkey, p pin.PIN, pan string) (string, redact.String) {
	c := g.rng.Uint32()
	for c == 0 || bits.OnesCount32(c) > dukpt.MaxAESCounterBits {
		c = g.rng.Uint32() & 0x00FF00FF
	}
	ksn := dukpt.NewAESKSN(dukpt.InitialKeyID(g.bytes(8)), c)
	ck, err := keys.NewClearKey(bdk.clear)
	if err != nil {
		g.fail(err)
		return "", ""
	}
	blk, err := AESDUKPTPINBlock(ck, ksn, dukpt.AES128, p, pan, bytes.NewReader(g.bytes(8)))
	if err != nil {
		g.fail(err)
		return "", ""
	}
	return ksn.String(), redact.String(strings.ToUpper(hex.EncodeToString(blk)))
}
