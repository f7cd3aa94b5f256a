package hostcmd

import "github.com/payhsm/payhsm-gw/internal/redact"

// CA translates a PIN block from a TPK to a ZPK (payShield CA; hostcmd.md §4
// PIN translation).
type CA struct {
	TPK, ZPK          KeyField
	MaxPINLen         int           // 2N, 04..12
	PINBlock          redact.String // 16H, 32H under an AES TPK
	SourceFormat      string        // 2N format code, e.g. FormatISO0
	DestinationFormat string        // 2N format code
	Account           redact.String // 12N
	Envelope
}

// Code returns "CA".
func (*CA) Code() string { return "CA" }

// AppendBody appends the request body.
func (r *CA) AppendBody(dst []byte) []byte {
	dst = append(dst, "CA"...)
	dst = r.TPK.AppendWire(dst)
	dst = r.ZPK.AppendWire(dst)
	return r.appendEnvelope(appendTranslate(dst, r.MaxPINLen, r.PINBlock, r.SourceFormat, r.DestinationFormat, r.Account))
}

func appendTranslate(dst []byte, maxLen int, block redact.String, src, dstFmt string, acct redact.String) []byte {
	dst = appendNum(dst, maxLen, 2)
	dst = append(dst, block...)
	dst = append(dst, src...)
	dst = append(dst, dstFmt...)
	return appendTranslateAccount(dst, src, dstFmt, acct)
}

func parseCA(p *parser) *CA {
	r := &CA{TPK: p.key(&fTPK), ZPK: p.key(&fZPK)}
	r.MaxPINLen, r.PINBlock, r.SourceFormat, r.DestinationFormat, r.Account = p.translateFields(r.TPK)
	p.envelope(&r.Envelope)
	return r
}

// CC translates a PIN block from one ZPK to another (payShield CC;
// hostcmd.md §4).
type CC struct {
	SourceZPK, DestinationZPK KeyField
	MaxPINLen                 int
	PINBlock                  redact.String
	SourceFormat              string
	DestinationFormat         string
	Account                   redact.String
	Envelope
}

// Code returns "CC".
func (*CC) Code() string { return "CC" }

// AppendBody appends the request body.
func (r *CC) AppendBody(dst []byte) []byte {
	dst = append(dst, "CC"...)
	dst = r.SourceZPK.AppendWire(dst)
	dst = r.DestinationZPK.AppendWire(dst)
	return r.appendEnvelope(appendTranslate(dst, r.MaxPINLen, r.PINBlock, r.SourceFormat, r.DestinationFormat, r.Account))
}

func parseCC(p *parser) *CC {
	r := &CC{SourceZPK: p.key(&fSrcZPK), DestinationZPK: p.key(&fDstZPK)}
	r.MaxPINLen, r.PINBlock, r.SourceFormat, r.DestinationFormat, r.Account = p.translateFields(r.SourceZPK)
	p.envelope(&r.Envelope)
	return r
}

// CB answers CA: the PIN length, the PIN block under the ZPK and its format.
type CB struct {
	Status
	PINLen            int           // 2N
	PINBlock          redact.String // 16H
	DestinationFormat string        // 2N
}

// Code returns "CB".
func (*CB) Code() string { return "CB" }

// AppendBody appends the response body.
func (r *CB) AppendBody(dst []byte) []byte {
	return appendTranslated(dst, "CB", &r.Status, r.PINLen, r.PINBlock, r.DestinationFormat)
}

func appendTranslated(dst []byte, rc string, st *Status, n int, block redact.String, f string) []byte {
	dst, ok := st.appendHead(dst, rc)
	if ok {
		dst = appendNum(dst, n, 2)
		dst = append(dst, block...)
		dst = append(dst, f...)
	}
	return append(dst, st.Trailer...)
}

func parseCB(p *parser, st Status) *CB {
	r := &CB{Status: st}
	if st.Err == OK {
		r.PINLen = p.num(&fPINLen, 4, 12)
		f := &fPINBlock
		if p.left() == fPINBlock32.Len+2 {
			// A 32H block: the destination key is AES (hostcmd-keyblocks.md §9).
			f = &fPINBlock32
		}
		r.PINBlock = p.secretHex(f)
		r.DestinationFormat = p.translateFormat(&fDstFormat)
		if (r.DestinationFormat == FormatISO4) != (f == &fPINBlock32) {
			// Format 48 goes with a 32H (AES) block, and only with it.
			p.fail(&fDstFormat, InvalidPINFormat)
		}
	}
	return r
}

// CD answers CC; its fields are those of CB (the two types convert).
type CD struct {
	Status
	PINLen            int
	PINBlock          redact.String
	DestinationFormat string
}

// Code returns "CD".
func (*CD) Code() string { return "CD" }

// AppendBody appends the response body.
func (r *CD) AppendBody(dst []byte) []byte {
	return appendTranslated(dst, "CD", &r.Status, r.PINLen, r.PINBlock, r.DestinationFormat)
}

func parseCD(p *parser, st Status) *CD { return (*CD)(parseCB(p, st)) }

// JE translates a PIN block under a ZPK to a PIN under the LMK (payShield
// JE; hostcmd.md §4). Under an AES ZPK the block is 32H; with format 48 the
// account is the full PAN, written with a ';' after it
// (hostcmd-keyblocks.md §9).
type JE struct {
	ZPK      KeyField
	PINBlock redact.String // 16H, 32H under an AES ZPK
	Format   string        // 2N format code, FormatISO4 too
	Account  redact.String // 12N, or the PAN (1-19 digits) with format 48
	Envelope
}

// Code returns "JE".
func (*JE) Code() string { return "JE" }

// AppendBody appends the request body.
func (r *JE) AppendBody(dst []byte) []byte {
	dst = append(dst, "JE"...)
	dst = r.ZPK.AppendWire(dst)
	dst = append(dst, r.PINBlock...)
	dst = append(dst, r.Format...)
	dst = appendFormatAccount(dst, r.Format, r.Account)
	return r.appendEnvelope(dst)
}

func parseJE(p *parser) *JE {
	r := &JE{}
	r.ZPK = p.key(&fZPK)
	r.PINBlock = p.secretHex(pinBlockSpec(r.ZPK))
	r.Format = p.translateFormat(&fFormat)
	r.Account = p.formatAccount(r.Format)
	p.envelope(&r.Envelope)
	return r
}

// JF answers JE with the PIN under the LMK.
type JF struct {
	Status
	PINUnderLMK redact.String // LN
}

// Code returns "JF".
func (*JF) Code() string { return "JF" }

// AppendBody appends the response body.
func (r *JF) AppendBody(dst []byte) []byte {
	return appendResponse(dst, "JF", &r.Status, string(r.PINUnderLMK))
}

func parseJF(p *parser, st Status) *JF {
	r := &JF{Status: st}
	if st.Err == OK {
		r.PINUnderLMK = p.pinUnderLMK()
	}
	return r
}

// JG translates a PIN under the LMK to a PIN block under a ZPK (payShield
// JG; hostcmd.md §4). With format 48 the account is the full PAN, written
// with a ';' after it (hostcmd-keyblocks.md §9).
type JG struct {
	ZPK         KeyField
	Format      string        // 2N format code, FormatISO4 too
	Account     redact.String // 12N, or the PAN (1-19 digits) with format 48
	PINUnderLMK redact.String // LN
	Envelope
}

// Code returns "JG".
func (*JG) Code() string { return "JG" }

// AppendBody appends the request body.
func (r *JG) AppendBody(dst []byte) []byte {
	dst = append(dst, "JG"...)
	dst = r.ZPK.AppendWire(dst)
	dst = append(dst, r.Format...)
	dst = appendFormatAccount(dst, r.Format, r.Account)
	dst = append(dst, r.PINUnderLMK...)
	return r.appendEnvelope(dst)
}

func parseJG(p *parser) *JG {
	r := &JG{}
	r.ZPK = p.key(&fZPK)
	r.Format = p.translateFormat(&fFormat)
	r.Account = p.formatAccount(r.Format)
	r.PINUnderLMK = p.pinUnderLMK()
	p.envelope(&r.Envelope)
	return r
}

// JH answers JG with the PIN block: 16H, or 32H under an AES ZPK.
type JH struct {
	Status
	PINBlock redact.String
}

// Code returns "JH".
func (*JH) Code() string { return "JH" }

// AppendBody appends the response body.
func (r *JH) AppendBody(dst []byte) []byte {
	return appendResponse(dst, "JH", &r.Status, string(r.PINBlock))
}

func parseJH(p *parser, st Status) *JH {
	r := &JH{Status: st}
	if st.Err == OK {
		f := &fPINBlock
		if p.left() == fPINBlock32.Len {
			f = &fPINBlock32 // an AES ZPK (hostcmd-keyblocks.md §9)
		}
		r.PINBlock = p.secretHex(f)
	}
	return r
}

// BA encrypts a clear PIN under the LMK (payShield BA; hostcmd.md §4). It
// carries a clear PIN: the gateway refuses it unless configured otherwise.
type BA struct {
	PIN     redact.String // LH: clear PIN digits then F padding, e.g. "1234F"
	Account redact.String // 12N
	Envelope
}

// Code returns "BA".
func (*BA) Code() string { return "BA" }

// AppendBody appends the request body.
func (r *BA) AppendBody(dst []byte) []byte {
	dst = append(dst, "BA"...)
	dst = append(dst, r.PIN...)
	dst = append(dst, r.Account...)
	return r.appendEnvelope(dst)
}

func parseBA(p *parser) *BA {
	r := &BA{}
	r.PIN, r.Account = p.clearPINAndTail(&fAccount, InvalidAccount)
	p.envelope(&r.Envelope)
	return r
}

// BB answers BA with the PIN under the LMK; its fields are those of JF (the
// two types convert).
type BB struct {
	Status
	PINUnderLMK redact.String
}

// Code returns "BB".
func (*BB) Code() string { return "BB" }

// AppendBody appends the response body.
func (r *BB) AppendBody(dst []byte) []byte {
	return appendResponse(dst, "BB", &r.Status, string(r.PINUnderLMK))
}

func parseBB(p *parser, st Status) *BB { return (*BB)(parseJF(p, st)) }

// NG decrypts a PIN under the LMK (payShield NG; hostcmd.md §4). Its answer
// carries a clear PIN: the gateway refuses it unless configured otherwise.
type NG struct {
	Account     redact.String
	PINUnderLMK redact.String
	Envelope
}

// Code returns "NG".
func (*NG) Code() string { return "NG" }

// AppendBody appends the request body.
func (r *NG) AppendBody(dst []byte) []byte {
	dst = append(dst, "NG"...)
	dst = append(dst, r.Account...)
	dst = append(dst, r.PINUnderLMK...)
	return r.appendEnvelope(dst)
}

func parseNG(p *parser) *NG {
	r := &NG{}
	r.Account = p.secretDigits(&fAccount)
	r.PINUnderLMK = p.pinUnderLMK()
	p.envelope(&r.Envelope)
	return r
}

// NH answers NG: the clear PIN, F-padded, and a 12N reference number.
type NH struct {
	Status
	PIN             redact.String // clear PIN digits then F padding
	ReferenceNumber redact.String // 12N
}

// Code returns "NH".
func (*NH) Code() string { return "NH" }

// AppendBody appends the response body.
func (r *NH) AppendBody(dst []byte) []byte {
	return appendResponse(dst, "NH", &r.Status, string(r.PIN), string(r.ReferenceNumber))
}

func parseNH(p *parser, st Status) *NH {
	r := &NH{Status: st}
	if st.Err == OK {
		r.PIN, r.ReferenceNumber = p.clearPINAndTail(&fReference, InvalidInput)
	}
	return r
}
