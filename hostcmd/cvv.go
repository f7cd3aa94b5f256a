package hostcmd

import "github.com/payhsm/payhsm-gw/internal/redact"

// CW generates a card verification value: CVV, CVV2 (service code 000),
// iCVV (999), or a Visa CAVV with the CAVV key (payShield CW; hostcmd.md §4).
type CW struct {
	CVK         KeyField      // bare 32H pair or U+32H
	PAN         redact.String // 1..19 digits
	Expiry      string        // 4N
	ServiceCode string        // 3N
	Envelope
}

// Code returns "CW".
func (*CW) Code() string { return "CW" }

// AppendBody appends the request body.
func (r *CW) AppendBody(dst []byte) []byte {
	dst = append(dst, "CW"...)
	dst = r.CVK.AppendWire(dst)
	return r.appendEnvelope(appendCard(dst, r.PAN, r.Expiry, r.ServiceCode))
}

func appendCard(dst []byte, pan redact.String, exp, svc string) []byte {
	dst = append(dst, pan...)
	dst = append(dst, ';')
	dst = append(dst, exp...)
	return append(dst, svc...)
}

// card reads PAN ; expiry service-code.
func (p *parser) card() (pan redact.String, exp, svc string) {
	if p.err != nil {
		return "", "", ""
	}
	n := p.run(isDigit)
	b := p.next(&fPAN, n)
	if b != nil && (n < fPAN.MinLen || n > fPAN.MaxLen) {
		p.fail(&fPAN, InvalidInput)
	}
	pan = redact.String(b)
	p.delim(&fDelim)
	exp = p.digits(&fExpiry)
	svc = p.digits(&fServiceCode)
	return pan, exp, svc
}

func parseCW(p *parser) *CW {
	r := &CW{}
	r.CVK = p.key(&fCVK)
	r.PAN, r.Expiry, r.ServiceCode = p.card()
	p.envelope(&r.Envelope)
	return r
}

// CX answers CW with the 3-digit value.
type CX struct {
	Status
	CVV redact.String // 3N
}

// Code returns "CX".
func (*CX) Code() string { return "CX" }

// AppendBody appends the response body.
func (r *CX) AppendBody(dst []byte) []byte {
	dst, ok := r.appendHead(dst, "CX")
	if ok {
		dst = append(dst, r.CVV...)
	}
	return append(dst, r.Trailer...)
}

func parseCX(p *parser, st Status) *CX {
	r := &CX{Status: st}
	if st.Err == OK {
		r.CVV = p.secretDigits(&fCVV)
	}
	return r
}

// CY verifies a card verification value (payShield CY; hostcmd.md §4).
type CY struct {
	CVK         KeyField
	CVV         redact.String // 3N
	PAN         redact.String
	Expiry      string
	ServiceCode string
	Envelope
}

// Code returns "CY".
func (*CY) Code() string { return "CY" }

// AppendBody appends the request body.
func (r *CY) AppendBody(dst []byte) []byte {
	dst = append(dst, "CY"...)
	dst = r.CVK.AppendWire(dst)
	dst = append(dst, r.CVV...)
	return r.appendEnvelope(appendCard(dst, r.PAN, r.Expiry, r.ServiceCode))
}

func parseCY(p *parser) *CY {
	r := &CY{}
	r.CVK = p.key(&fCVK)
	r.CVV = p.secretDigits(&fCVV)
	r.PAN, r.Expiry, r.ServiceCode = p.card()
	p.envelope(&r.Envelope)
	return r
}

// CZ answers CY: 00 verified, 01 verification failure; no fields.
type CZ struct{ Status }

// Code returns "CZ".
func (*CZ) Code() string { return "CZ" }

// AppendBody appends the response body.
func (r *CZ) AppendBody(dst []byte) []byte { return appendStatusOnly(dst, "CZ", &r.Status) }
