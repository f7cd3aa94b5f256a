package hostcmd

import (
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/keys/dukpt"
)

// DUKPT PIN translation, CI and G0 (hostcmd-dukpt.md). The request parsers
// check everything the contract puts before the keys: field syntax in wire
// order (§4 step 1), then the KSN against its descriptor (step 2).

// keysBDK are the BDK field's forms: a bare 32H pair or U+32H; T+48H is
// read, then refused with 27 (hostcmd-dukpt.md §1); S + a Thales block
// under a key-block LMK (hostcmd-keyblocks.md §10).
const keysBDK = KeyPair | KeyU | KeyT | KeyS

// DUKPT fields.
var (
	fBDK          = FieldSpec{Name: "bdk", Type: FieldKey, Keys: keysBDK, Secret: true, Err: IncompatibleKeyLength, Note: "key type 009; bare 32H pair or U+32H; T+48H answers 27; S block under a key-block LMK; any other form 15"}
	fKSNDesc      = FieldSpec{Name: "ksnDescriptor", Type: FieldH, Len: 3, Note: "XYZ with Y=0 and X+Z+5 <= 20, or 014; 018 (AES, ours) in G0 only"}
	fKSN          = FieldSpec{Name: "ksn", Type: FieldH, MinLen: 20, MaxLen: 24, Note: "20H, or 24H with descriptor 018; counter not zero, at most 10 (TDES) or 16 (AES) bits set"}
	fDUKPTBlock   = FieldSpec{Name: "pinBlock", Type: FieldH, MinLen: 16, MaxLen: 32, Secret: true, Note: "16H, or 32H (ISO 9564-1 format 4) with descriptor 018"}
	fDUKPTSrcFmt  = FieldSpec{Name: "sourceFormat", Type: FieldN, Len: 2, Err: InvalidPINFormat, Note: "01 with a TDES descriptor, 48 with 018"}
	fDUKPTAccount = FieldSpec{Name: "account", Type: FieldN, Len: 12, Secret: true, When: "TDES descriptor", Note: "12 right-most PAN digits excluding the check digit"}
	fDUKPTPAN     = FieldSpec{Name: "pan", Type: FieldN, MinLen: 12, MaxLen: 19, Secret: true, When: "descriptor 018", Note: "ends at ';'"}
	fDUKPTDelim   = FieldSpec{Name: "delimiter", Type: FieldDelim, Len: 1, When: "descriptor 018"}
)

// descriptorAES is the KSN descriptor of an AES DUKPT KSN (ours).
const descriptorAES = "018"

// CI translates a PIN block from TDES DUKPT to a ZPK (payShield CI;
// hostcmd-dukpt.md §2). The source block is ISO 9564-1 format 0 under the PIN
// key that the BDK and KSN derive (ANSI X9.24-1:2009).
type CI struct {
	BDK, ZPK          KeyField
	KSNDescriptor     string        // 3H, a TDES descriptor, upper case
	KSN               string        // 20H, upper case; not secret
	PINBlock          redact.String // 16H
	DestinationFormat string        // 2N format code
	Account           redact.String // 12N
	Envelope
}

// Code returns "CI".
func (*CI) Code() string { return "CI" }

// AppendBody appends the request body.
func (r *CI) AppendBody(dst []byte) []byte {
	dst = append(dst, "CI"...)
	dst = r.BDK.AppendWire(dst)
	dst = r.ZPK.AppendWire(dst)
	dst = append(dst, r.KSNDescriptor...)
	dst = append(dst, r.KSN...)
	dst = append(dst, r.PINBlock...)
	dst = append(dst, r.DestinationFormat...)
	dst = append(dst, r.Account...)
	return r.appendEnvelope(dst)
}

func parseCI(p *parser) *CI {
	r := &CI{BDK: p.bdk(), ZPK: p.key(&fZPK)}
	var d dukpt.KSNDescriptor
	d, r.KSNDescriptor = p.ksnDescriptor(false)
	r.KSN = p.hexN(&fKSN, d.FieldLen())
	r.PINBlock = redact.String(p.hexN(&fDUKPTBlock, 16))
	r.DestinationFormat = p.pinFormat(&fDstFormat)
	r.Account = p.secretDigits(&fDUKPTAccount)
	p.envelope(&r.Envelope)
	p.checkKSN(d, r.KSN)
	return r
}

// G0 translates a PIN block from DUKPT to a ZPK (payShield G0; hostcmd-dukpt.md
// §3): TDES DUKPT with a TDES descriptor, as CI with a source format
// field, or AES DUKPT with descriptor 018 (ours), whose source block is
// ISO 9564-1 format 4 under the AES-128 PIN working key (ANSI
// X9.24-3:2017) and whose account is the full PAN.
type G0 struct {
	BDK, ZPK          KeyField
	KSNDescriptor     string        // 3H, upper case; "018" for AES DUKPT
	KSN               string        // 20H (TDES) or 24H (AES), upper case
	PINBlock          redact.String // 16H (TDES) or 32H (AES)
	SourceFormat      string        // "01" (TDES) or "48" (AES)
	DestinationFormat string        // 2N format code
	Account           redact.String // 12N; TDES only
	PAN               redact.String // 12..19N, then ';' on the wire; AES only
	Envelope
}

// Code returns "G0".
func (*G0) Code() string { return "G0" }

// AES reports whether r is the AES DUKPT form (descriptor 018).
func (r *G0) AES() bool { return r.KSNDescriptor == descriptorAES }

// AppendBody appends the request body.
func (r *G0) AppendBody(dst []byte) []byte {
	dst = append(dst, "G0"...)
	dst = r.BDK.AppendWire(dst)
	dst = r.ZPK.AppendWire(dst)
	dst = append(dst, r.KSNDescriptor...)
	dst = append(dst, r.KSN...)
	dst = append(dst, r.PINBlock...)
	dst = append(dst, r.SourceFormat...)
	dst = append(dst, r.DestinationFormat...)
	if r.AES() {
		dst = append(dst, r.PAN...)
		dst = append(dst, ';')
	} else {
		dst = append(dst, r.Account...)
	}
	return r.appendEnvelope(dst)
}

func parseG0(p *parser) *G0 {
	r := &G0{BDK: p.bdk(), ZPK: p.key(&fZPK)}
	var d dukpt.KSNDescriptor
	d, r.KSNDescriptor = p.ksnDescriptor(true)
	r.KSN = p.hexN(&fKSN, d.FieldLen())
	blockLen := 16
	if d.AES {
		blockLen = 32
	}
	r.PINBlock = redact.String(p.hexN(&fDUKPTBlock, blockLen))
	r.SourceFormat = p.dukptSourceFormat(d.AES)
	r.DestinationFormat = p.pinFormat(&fDstFormat)
	if d.AES {
		r.PAN = p.dukptPAN()
	} else {
		r.Account = p.secretDigits(&fDUKPTAccount)
	}
	p.envelope(&r.Envelope)
	p.checkKSN(d, r.KSN)
	return r
}

// bdk reads the BDK field: T+48H is read and refused with 27, a scheme
// other than U, S (or a bare pair) gives 15 (hostcmd-dukpt.md §1).
func (p *parser) bdk() KeyField {
	if p.err != nil {
		return KeyField{}
	}
	if p.trace != nil {
		*p.trace = append(*p.trace, fBDK.Name)
	}
	k, n, c := ParseKeyField(p.b[p.i:p.end], fBDK.Keys)
	switch {
	case c == InvalidKeyScheme:
		p.fail(&fBDK, InvalidInput)
		return KeyField{}
	case c != OK:
		p.fail(&fBDK, c)
		return KeyField{}
	case k.Scheme == SchemeT:
		p.fail(&fBDK, IncompatibleKeyLength)
		return KeyField{}
	}
	p.i += n
	return k
}

// ksnDescriptor reads the 3H KSN descriptor; the AES descriptor 018 only
// when aes is allowed (G0). Anything else gives 15.
func (p *parser) ksnDescriptor(aesAllowed bool) (dukpt.KSNDescriptor, string) {
	s := p.hexN(&fKSNDesc, 3)
	if p.err != nil {
		return dukpt.KSNDescriptor{}, ""
	}
	d, err := dukpt.ParseKSNDescriptor(s)
	if err != nil || (d.AES && !aesAllowed) {
		p.fail(&fKSNDesc, InvalidInput)
		return dukpt.KSNDescriptor{}, ""
	}
	return d, s
}

// hexN reads an n-character hex field, upper-cased; a non-hex character
// gives the field's code.
func (p *parser) hexN(f *FieldSpec, n int) string {
	b := p.next(f, n)
	if b == nil {
		return ""
	}
	s, ok := upperHex(b)
	if !ok {
		p.fail(f, f.errCode())
		return ""
	}
	return s
}

// dukptSourceFormat reads G0's source format: 01 with a TDES descriptor,
// 48 with the AES one; any other code, or one that does not match the
// descriptor, gives 23.
func (p *parser) dukptSourceFormat(aes bool) string {
	b := p.next(&fDUKPTSrcFmt, 2)
	if b == nil {
		return ""
	}
	switch {
	case !aes && string(b) == FormatISO0:
		return FormatISO0
	case aes && string(b) == FormatISO4:
		return FormatISO4
	}
	p.fail(&fDUKPTSrcFmt, InvalidPINFormat)
	return ""
}

// dukptPAN reads the AES form's PAN, 12 to 19 digits, and its ';'.
func (p *parser) dukptPAN() redact.String {
	if p.err != nil {
		return ""
	}
	n := p.run(isDigit)
	b := p.next(&fDUKPTPAN, n)
	if b != nil && (n < fDUKPTPAN.MinLen || n > fDUKPTPAN.MaxLen) {
		p.fail(&fDUKPTPAN, InvalidInput)
	}
	pan := redact.String(b)
	p.delim(&fDUKPTDelim)
	return pan
}

// checkKSN checks the KSN against its descriptor once every field has
// been read (hostcmd-dukpt.md §4 step 2): F padding left of a short TDES KSN,
// and a counter that is not zero and has at most 10 (TDES) or 16 (AES) bits
// set. A failure gives 15 in field ksn.
func (p *parser) checkKSN(d dukpt.KSNDescriptor, ksn string) {
	if p.err != nil {
		return
	}
	var err error
	if d.AES {
		_, err = d.ParseAES(ksn)
	} else {
		_, err = d.ParseTDES(ksn)
	}
	if err != nil {
		p.fail(&fKSN, InvalidInput)
	}
}

// The AES form of G0 takes FormatISO4 (iso4fields.go) as its source
// format (hostcmd-dukpt.md §3).

// CJ answers CI: the PIN length, the PIN block under the ZPK and its
// format; its fields are those of CB (the two types convert).
type CJ struct {
	Status
	PINLen            int
	PINBlock          redact.String
	DestinationFormat string
}

// Code returns "CJ".
func (*CJ) Code() string { return "CJ" }

// AppendBody appends the response body.
func (r *CJ) AppendBody(dst []byte) []byte {
	return appendTranslated(dst, "CJ", &r.Status, r.PINLen, r.PINBlock, r.DestinationFormat)
}

func parseCJ(p *parser, st Status) *CJ { return (*CJ)(parseCB(p, st)) }

// G1 answers G0; its fields are those of CB (the two types convert).
type G1 struct {
	Status
	PINLen            int
	PINBlock          redact.String
	DestinationFormat string
}

// Code returns "G1".
func (*G1) Code() string { return "G1" }

// AppendBody appends the response body.
func (r *G1) AppendBody(dst []byte) []byte {
	return appendTranslated(dst, "G1", &r.Status, r.PINLen, r.PINBlock, r.DestinationFormat)
}

func parseG1(p *parser, st Status) *G1 { return (*G1)(parseCB(p, st)) }
