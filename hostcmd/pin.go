package hostcmd

import "github.com/payhsm/payhsm-gw/internal/redact"

// CA translates a PIN block from a TPK to a ZPK (payShield CA; hostcmd.md §4
// PIN translation).
type CA struct {
	TPK, ZPK          KeyField
	MaxPINLen         int           // 2N, 04..12
	PINBlock          redact.String // 16H
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
	return append(dst, acct...)
}

func parseCA(p *parser) *CA {
	r := &CA{}
	r.TPK = p.key(&fTPK)
	r.ZPK = p.key(&fZPK)
	r.MaxPINLen = p.num(&fMaxPINLen, 4, 12)
	r.PINBlock = p.secretHex(&fPINBlock)
	r.SourceFormat = p.pinFormat(&fSrcFormat)
	r.DestinationFormat = p.pinFormat(&fDstFormat)
	r.Account = p.secretDigits(&fAccount)
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
	r := &CC{}
	r.SourceZPK = p.key(&fSrcZPK)
	r.DestinationZPK = p.key(&fDstZPK)
	r.MaxPINLen = p.num(&fMaxPINLen, 4, 12)
	r.PINBlock = p.secretHex(&fPINBlock)
	r.SourceFormat = p.pinFormat(&fSrcFormat)
	r.DestinationFormat = p.pinFormat(&fDstFormat)
	r.Account = p.secretDigits(&fAccount)
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
		r.PINBlock = p.secretHex(&fPINBlock)
		r.DestinationFormat = p.pinFormat(&fDstFormat)
	}
	return r
}

// CD answers CC; its fields are those of CB.
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

func parseCD(p *parser, st Status) *CD {
	r := &CD{Status: st}
	if st.Err == OK {
		r.PINLen = p.num(&fPINLen, 4, 12)
		r.PINBlock = p.secretHex(&fPINBlock)
		r.DestinationFormat = p.pinFormat(&fDstFormat)
	}
	return r
}

// JE translates a PIN block under a ZPK to a PIN under the LMK (payShield
// JE; hostcmd.md §4).
type JE struct {
	ZPK      KeyField
	PINBlock redact.String
	Format   string
	Account  redact.String
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
	dst = append(dst, r.Account...)
	return r.appendEnvelope(dst)
}

func parseJE(p *parser) *JE {
	r := &JE{}
	r.ZPK = p.key(&fZPK)
	r.PINBlock = p.secretHex(&fPINBlock)
	r.Format = p.pinFormat(&fFormat)
	r.Account = p.secretDigits(&fAccount)
	p.envelope(&r.Envelope)
	return r
}

// pinUnderLMK reads the variable LN field that ends the fields: the run of
// digits up to the envelope, 5..13 long (L = PIN length + 1, hostcmd.md §2).
func (p *parser) pinUnderLMK() redact.String {
	if p.err != nil {
		return ""
	}
	n := p.run(isDigit)
	b := p.next(&fPINUnderLMK, n)
	if n < fPINUnderLMK.MinLen || n > fPINUnderLMK.MaxLen {
		p.fail(&fPINUnderLMK, InvalidLMKPIN)
		return ""
	}
	return redact.String(b)
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
	dst, ok := r.appendHead(dst, "JF")
	if ok {
		dst = append(dst, r.PINUnderLMK...)
	}
	return append(dst, r.Trailer...)
}

func parseJF(p *parser, st Status) *JF {
	r := &JF{Status: st}
	if st.Err == OK {
		r.PINUnderLMK = p.pinUnderLMK()
	}
	return r
}

// JG translates a PIN under the LMK to a PIN block under a ZPK (payShield
// JG; hostcmd.md §4).
type JG struct {
	ZPK         KeyField
	Format      string
	Account     redact.String
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
	dst = append(dst, r.Account...)
	dst = append(dst, r.PINUnderLMK...)
	return r.appendEnvelope(dst)
}

func parseJG(p *parser) *JG {
	r := &JG{}
	r.ZPK = p.key(&fZPK)
	r.Format = p.pinFormat(&fFormat)
	r.Account = p.secretDigits(&fAccount)
	r.PINUnderLMK = p.pinUnderLMK()
	p.envelope(&r.Envelope)
	return r
}

// JH answers JG with the PIN block.
type JH struct {
	Status
	PINBlock redact.String
}

// Code returns "JH".
func (*JH) Code() string { return "JH" }

// AppendBody appends the response body.
func (r *JH) AppendBody(dst []byte) []byte {
	dst, ok := r.appendHead(dst, "JH")
	if ok {
		dst = append(dst, r.PINBlock...)
	}
	return append(dst, r.Trailer...)
}

func parseJH(p *parser, st Status) *JH {
	r := &JH{Status: st}
	if st.Err == OK {
		r.PINBlock = p.secretHex(&fPINBlock)
	}
	return r
}

// clearPINAndTail reads a clear PIN field (digits, then F padding, 5..13
// characters) followed by a 12N field, the two filling the run of hex
// characters up to the envelope (BA request, NH response).
func (p *parser) clearPINAndTail(tail *FieldSpec, tailCode Code) (pin, rest redact.String) {
	if p.err != nil {
		return "", ""
	}
	n := p.run(isHex) - tail.Len
	b := p.next(&fClearPIN, max(n, 0))
	if b == nil {
		return "", ""
	}
	digits := 0
	for digits < len(b) && isDigit(b[digits]) {
		digits++
	}
	for _, c := range b[digits:] {
		if c != 'F' && c != 'f' {
			p.fail(&fClearPIN, InvalidInput)
			return "", ""
		}
	}
	switch {
	case digits < 4 || digits > 12:
		p.fail(&fClearPIN, InvalidPINLength)
		return "", ""
	case len(b) == digits || len(b) > fClearPIN.MaxLen:
		p.fail(&fClearPIN, InvalidInput)
		return "", ""
	}
	s, _ := upperHex(b)
	t := p.next(tail, tail.Len)
	if t == nil {
		return "", ""
	}
	if !allDigits(t) {
		p.fail(tail, tailCode)
		return "", ""
	}
	return redact.String(s), redact.String(t)
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

// BB answers BA with the PIN under the LMK.
type BB struct {
	Status
	PINUnderLMK redact.String
}

// Code returns "BB".
func (*BB) Code() string { return "BB" }

// AppendBody appends the response body.
func (r *BB) AppendBody(dst []byte) []byte {
	dst, ok := r.appendHead(dst, "BB")
	if ok {
		dst = append(dst, r.PINUnderLMK...)
	}
	return append(dst, r.Trailer...)
}

func parseBB(p *parser, st Status) *BB {
	r := &BB{Status: st}
	if st.Err == OK {
		r.PINUnderLMK = p.pinUnderLMK()
	}
	return r
}

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
	dst, ok := r.appendHead(dst, "NH")
	if ok {
		dst = append(dst, r.PIN...)
		dst = append(dst, r.ReferenceNumber...)
	}
	return append(dst, r.Trailer...)
}

func parseNH(p *parser, st Status) *NH {
	r := &NH{Status: st}
	if st.Err == OK {
		r.PIN, r.ReferenceNumber = p.clearPINAndTail(&fReference, InvalidInput)
	}
	return r
}
