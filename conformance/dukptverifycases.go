package conformance

import (
	"crypto/aes"
	"encoding/hex"
	"strings"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/dukpt"
	"github.com/payhsm/payhsm-gw/mac"
	"github.com/payhsm/payhsm-gw/pin"
)

// dukptVerify generates the GO, GQ and GW cases (docs/spec/hostcmd-dukpt.md
// §§6-9): PIN blocks and MACs a terminal loaded from a generated BDK makes,
// the PVVs and offsets computed with the pin package, and the contract's
// error codes.
func (g *gen) dukptVerify() {
	failed := hostcmd.Status{Err: hostcmd.VerifyFailed}
	table, err := pin.ParseDecTable("0123456789012345")
	if err != nil {
		g.fail(err)
		return
	}
	for _, aesForm := range []bool{false, true} {
		bdk := g.key(keys.BDK, keys.SchemeU)
		pvkPair, pvk1 := g.key(keys.PVK, keys.SchemePair), g.key(keys.PVK, keys.SchemeSingle)
		pan, acct, p, _ := g.card(4 + g.rng.IntN(3))
		in := hostcmd.DUKPTPIN{BDK: bdk.field}
		account, panField := redact.String(acct), redact.String("")
		form := "TDES"
		if aesForm {
			form = "AES"
			in.KSNDescriptor = "018"
			in.KSN, in.PINBlock = g.aesDUKPTBlock(bdk, p, pan)
			account, panField = "", redact.String(pan)
		} else {
			in.KSNDescriptor = "605"
			var k dukpt.KSN
			k, in.PINBlock = g.dukptBlock(bdk, "605", p, pan)
			in.KSN = k.String()
		}
		pvv, err := pin.PVV(pvkPair.block, acct, 1, p)
		if err != nil {
			g.fail(err)
			return
		}
		gq := func(v string) *hostcmd.GQ {
			return &hostcmd.GQ{DUKPTPIN: in, PVK: pvkPair.field, Account: account, PAN: panField, PVKI: '1', PVV: redact.String(v)}
		}
		g.exact("GQ "+form+" DUKPT PIN verifies by PVV", gq(string(pvv[:])), &hostcmd.GR{})
		g.exact("GQ "+form+" DUKPT wrong PVV is 01", gq(wrongDigit(string(pvv[:]))), &hostcmd.GR{Status: failed})

		vd := acct[:11] + "N"
		padded := g.ibmOffset(pvk1, vd, acct, table, p)
		if g.err != nil {
			return
		}
		goReq := func(offset string) *hostcmd.GO {
			return &hostcmd.GO{DUKPTPIN: in, PVK: pvk1.field, CheckLen: 4, Account: account, PAN: panField,
				DecimalisationTable: "0123456789012345", ValidationData: redact.String(vd), Offset: redact.String(offset)}
		}
		g.exact("GO "+form+" DUKPT PIN verifies by IBM offset", goReq(padded), &hostcmd.GP{})
		g.exact("GO "+form+" DUKPT wrong IBM offset is 01", goReq(wrongDigits(padded)), &hostcmd.GP{Status: failed})

		r := gq(string(pvv[:]))
		r.BDK = g.key(keys.BDK, keys.SchemeT).field
		g.errCase("GQ "+form+" triple-length BDK is 27", r, hostcmd.IncompatibleKeyLength)
		r = gq(string(pvv[:]))
		r.KSN = in.KSN[:len(in.KSN)-8] + strings.Repeat("0", 8)
		if !aesForm {
			r.KSN = in.KSN[:15] + "00000" // the counter's 21 bits are zero
		}
		g.errCase("GQ "+form+" counter zero is 15", r, hostcmd.InvalidInput)
	}

	// TDES errors, each a valid GQ or GO with one field changed.
	bdk, pvk := g.key(keys.BDK, keys.SchemeU), g.key(keys.PVK, keys.SchemeU)
	pan, acct, p, _ := g.card(4)
	k, block := g.dukptBlock(bdk, "605", p, pan)
	pvv, err := pin.PVV(pvk.block, acct, 1, p)
	if err != nil {
		g.fail(err)
		return
	}
	gq := func() *hostcmd.GQ {
		return &hostcmd.GQ{DUKPTPIN: hostcmd.DUKPTPIN{BDK: bdk.field, KSNDescriptor: "605", KSN: k.String(), PINBlock: block},
			PVK: pvk.field, Account: redact.String(acct), PVKI: '1', PVV: redact.String(pvv[:])}
	}
	r := gq()
	r.BDK = g.badKey(keys.BDK, keys.SchemeU)
	g.errCase("GQ BDK parity error is 10", r, hostcmd.SourceKeyParity)
	r = gq()
	r.PVK = g.badKey(keys.PVK, keys.SchemeU)
	g.errCase("GQ PVK parity error is 11", r, hostcmd.DestKeyParity)
	r = gq()
	r.KSN = k.WithCounter(0x7FF).String()
	g.errCase("GQ counter with 11 bits set is 15", r, hostcmd.InvalidInput)
	r = gq()
	r.KSN = k.WithCounter(k.Counter() << 1).String()
	g.errCase("GQ block sent with another KSN is 20", r, hostcmd.InvalidPINBlock)
	r = gq()
	r.KSNDescriptor = "615"
	g.errCase("GQ descriptor 615 is 15", r, hostcmd.InvalidInput)
	g.errCase("GO decimalisation table with a letter is 25", &hostcmd.GO{DUKPTPIN: gq().DUKPTPIN, PVK: g.key(keys.PVK, keys.SchemeSingle).field,
		CheckLen: 4, Account: redact.String(acct), DecimalisationTable: "0123456789ABCDEF", ValidationData: redact.String(acct[:11] + "N"),
		Offset: "1234FFFFFFFF"}, hostcmd.DecimalizationError)

	g.dukptMACCases()
}

// dukptMACCases generates the GW cases: request and response MACs of a
// TDES and an AES DUKPT terminal over a random message, and the errors.
func (g *gen) dukptMACCases() {
	failed := hostcmd.Status{Err: hostcmd.VerifyFailed}
	bdk := g.key(keys.BDK, keys.SchemeU)
	ck, err := keys.NewClearKey(bdk.clear)
	if err != nil {
		g.fail(err)
		return
	}
	defer ck.Destroy()
	msg := g.bytes(1 + g.rng.IntN(200))
	// Any counter with at most 10 bits set is one a terminal may use.
	tk := dukpt.KSN(g.bytes(10)).Initial().WithCounter(uint32(1 + g.rng.IntN(0x3FF)))
	aesKSN := dukpt.NewAESKSN(dukpt.InitialKeyID(g.bytes(8)), 1+g.rng.Uint32()&0xFFFF)
	for _, tc := range []struct {
		name     string
		desc     string
		ksn      string
		response bool
		size     byte
	}{
		{"GW TDES request MAC 8H verifies", "A05", tk.String(), false, '0'},
		{"GW TDES response MAC 16H verifies", "A05", tk.String(), true, '1'},
		{"GW AES request CMAC 16H verifies (ours)", "018", aesKSN.String(), false, '1'},
		{"GW AES response CMAC 8H verifies (ours)", "018", aesKSN.String(), true, '0'},
	} {
		m := dukptMAC(g, ck, tc.desc == "018", tc.ksn, tc.response, msg)
		n := 8
		if tc.size == '1' {
			n = 16
		}
		flag := byte('0')
		if tc.response {
			flag = '1'
		}
		gw := func(v string) *hostcmd.GW {
			return &hostcmd.GW{BDK: bdk.field, KSNDescriptor: tc.desc, KSN: tc.ksn, MACKey: flag, MACSize: tc.size,
				Message: hostcmd.SecretBytes(msg), MAC: redact.String(v)}
		}
		g.exact(tc.name, gw(m[:n]), &hostcmd.GX{})
		wrong := gw(m[:n])
		wrong.MACKey = '0' + '1' - flag // the other key
		g.exact(strings.Replace(tc.name, "verifies", "under the other key is 01", 1), wrong, &hostcmd.GX{Status: failed})
	}
	base := func() *hostcmd.GW {
		return &hostcmd.GW{BDK: bdk.field, KSNDescriptor: "A05", KSN: tk.String(), MACKey: '0', MACSize: '0',
			Message: hostcmd.SecretBytes(msg), MAC: redact.String(dukptMAC(g, ck, false, tk.String(), false, msg)[:8])}
	}
	r := base()
	r.BDK = g.badKey(keys.BDK, keys.SchemeU)
	g.errCase("GW BDK parity error is 10", r, hostcmd.SourceKeyParity)
	r = base()
	r.BDK = g.key(keys.BDK, keys.SchemeT).field
	g.errCase("GW triple-length BDK is 27", r, hostcmd.IncompatibleKeyLength)
	r = base()
	r.KSN = tk.WithCounter(0x7FF).String()
	g.errCase("GW counter with 11 bits set is 15", r, hostcmd.InvalidInput)
	body := base().AppendBody(nil)
	at := 2 + len(bdk.field.AppendWire(nil)) + 3 + 20 + 2 // the 4H message length
	copy(body[at:], "FFFF")
	g.raw("GW message length past the body is 80", body, hostcmd.DataLengthError)
}

// dukptMAC is what a DUKPT terminal sends: the request or response MAC of
// msg, in upper-case hex, full length (TDES 16H, AES 32H).
func dukptMAC(g *gen, bdk keys.ClearKey, aesForm bool, ksnField string, response bool, msg []byte) string {
	var sum []byte
	if aesForm {
		ksn, err := dukpt.ParseAESKSN(ksnField)
		if err != nil {
			g.fail(err)
			return strings.Repeat("0", 32)
		}
		u := dukpt.UsageMACGenerate
		if response {
			u = dukpt.UsageMACVerify
		}
		k, err := dukpt.DeriveAES(bdk, ksn, u, dukpt.AES128)
		if err != nil {
			g.fail(err)
			return strings.Repeat("0", 32)
		}
		defer k.Destroy()
		b, err := aes.NewCipher(k.Bytes())
		if err != nil {
			g.fail(err)
			return strings.Repeat("0", 32)
		}
		sum = mac.CMAC(b, msg)
	} else {
		ksn, err := dukpt.ParseKSN(ksnField)
		if err != nil {
			g.fail(err)
			return strings.Repeat("0", 16)
		}
		v := dukpt.VariantMACRequest
		if response {
			v = dukpt.VariantMACResponse
		}
		k, err := dukpt.DeriveTDES(bdk, ksn, v)
		if err != nil {
			g.fail(err)
			return strings.Repeat("0", 16)
		}
		defer k.Destroy()
		if sum, err = mac.Alg3(k.Bytes(), msg, mac.PaddingMethod1); err != nil {
			g.fail(err)
			return strings.Repeat("0", 16)
		}
	}
	return strings.ToUpper(hex.EncodeToString(sum))
}

// ibmOffset returns the 12H IBM 3624 offset (F-padded) of p under pvk.
func (g *gen) ibmOffset(pvk wkey, vd, acct string, table pin.DecTable, p pin.PIN) string {
	exp, err := pin.ExpandValidationData(vd, acct)
	if err != nil {
		g.fail(err)
		return ""
	}
	off, err := pin.Offset(pvk.block, exp, table, p)
	if err != nil {
		g.fail(err)
		return ""
	}
	padded, err := pin.PadOffset(off)
	if err != nil {
		g.fail(err)
		return ""
	}
	return padded
}

// wrongDigits returns offset with every digit changed (its F padding
// kept): an IBM 3624 check compares the right-most digits of the PIN, so
// changing only the first would go unseen with a PIN longer than the
// check length.
func wrongDigits(offset string) string {
	b := []byte(offset)
	for i, c := range b {
		if c >= '0' && c <= '9' {
			b[i] = '0' + (c-'0'+1)%10
		}
	}
	return string(b)
}

// wrongDigit returns s with its first digit changed: a value of the same
// shape that does not verify.
func wrongDigit(s string) string {
	b := []byte(s)
	b[0] = '0' + (b[0]-'0'+1)%10
	return string(b)
}
