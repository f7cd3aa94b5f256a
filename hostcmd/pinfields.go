package hostcmd

import "github.com/payhsm/payhsm-gw/internal/redact"

// This file holds the field readers and field runs that the PIN translation
// and verification commands (pin.go, verify.go) share, so that each
// command's parser is its field list (hostcmd.md §2, §4).

// translateFields reads the run CA and CC share after their two keys:
// maximum PIN length, PIN block (32H under an AES source key), source and
// destination formats (48 too), account (the PAN and ';' when either format
// is 48). appendTranslate writes it (hostcmd-keyblocks.md §9).
func (p *parser) translateFields(srcKey KeyField) (maxLen int, block redact.String, src, dst string, acct redact.String) {
	maxLen = p.num(&fMaxPINLen, 4, 12)
	block = p.secretHex(pinBlockSpec(srcKey))
	src = p.translateFormat(&fSrcFormat)
	dst = p.translateFormat(&fDstFormat)
	acct = p.translateAccount(src, dst)
	return
}

// pvvFields reads the run DC and EC share after their PIN key: PVK, PIN
// block (32H under an AES PIN key), format (48 too), account (the PAN and
// ';' with format 48), PVKI, PVV. appendPVV writes it.
func (p *parser) pvvFields(pinKey KeyField) (pvk KeyField, block redact.String, f string, acct redact.String, pvki byte, pvv redact.String) {
	pvk = p.key(&fPVKPVV)
	block = p.secretHex(pinBlockSpec(pinKey))
	f = p.translateFormat(&fFormat)
	acct = p.formatAccount(f)
	pvki = p.char(&fPVKI, decimalDigits)
	pvv = p.secretDigits(&fPVV)
	return
}

const decimalDigits = "0123456789"

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
	digits, padded := digitsThenF(b)
	switch {
	case !padded:
		p.fail(&fClearPIN, InvalidInput)
		return "", ""
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

// validationData reads 12A PIN validation data: hex digits with exactly one
// 'N', where the HSM inserts the last 5 account digits; upper-cased.
func (p *parser) validationData(f *FieldSpec) redact.String {
	b := p.next(f, f.Len)
	if b == nil {
		return ""
	}
	var tmp [12]byte
	ns := 0
	for i, c := range b {
		switch {
		case c == 'N':
			ns++
		case isHex(c):
			if c >= 'a' {
				c -= 'a' - 'A'
			}
		default:
			p.fail(f, InvalidInput)
			return ""
		}
		tmp[i] = c
	}
	if ns != 1 {
		p.fail(f, InvalidInput)
		return ""
	}
	return redact.String(tmp[:len(b)])
}

// offset reads a 12H IBM 3624 PIN offset: at least 4 decimal digits, then F
// padding (either case); upper-cased.
func (p *parser) offset(f *FieldSpec) redact.String {
	b := p.next(f, f.Len)
	if b == nil {
		return ""
	}
	if digits, padded := digitsThenF(b); !padded || digits < 4 {
		p.fail(f, InvalidInput)
		return ""
	}
	s, _ := upperHex(b)
	return redact.String(s)
}

// digitsThenF returns the number of leading decimal digits of b and reports
// whether only F (either case) follows them.
func digitsThenF(b []byte) (digits int, padded bool) {
	for digits < len(b) && isDigit(b[digits]) {
		digits++
	}
	for _, c := range b[digits:] {
		if c != 'F' && c != 'f' {
			return digits, false
		}
	}
	return digits, true
}

// appendResponse appends a response of text fields: RCODE, ERR, the fields
// in order when ERR is 00, then the trailer (hostcmd.md §1).
func appendResponse(dst []byte, rc string, st *Status, fields ...string) []byte {
	dst, ok := st.appendHead(dst, rc)
	if ok {
		for _, f := range fields {
			dst = append(dst, f...)
		}
	}
	return append(dst, st.Trailer...)
}

// appendStatusOnly appends a response that carries no fields (DD, ED, DB,
// EB, CZ, M9).
func appendStatusOnly(dst []byte, rc string, st *Status) []byte {
	return appendResponse(dst, rc, st)
}
