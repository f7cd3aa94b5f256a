package hostcmd

import "github.com/payhsm/payhsm-gw/internal/redact"

// PIN block format 48 (ISO 9564-1 format 4) in CA, CC, JE, JG, DC, EC, DA
// and EA (hostcmd-keyblocks.md §9; the layout is ours except the code 48
// and the 32H block in CA and CC).

// FormatISO4 is ISO 9564-1 format 4 (AES): accepted in CA, CC, JE, JG, DC,
// EC, DA and EA with AES keys, and as the source format of the AES form of
// G0.
const FormatISO4 = "48"

// Fields of the format 48 layout.
var (
	fPINBlock32 = FieldSpec{Name: "pinBlock", Type: FieldH, Len: 32, Secret: true, Err: InvalidPINBlock, When: "AES key"}
	fPANISO4    = FieldSpec{Name: "account", Type: FieldN, MinLen: 1, MaxLen: 19, Secret: true, Err: InvalidAccount, When: "format 48 on either side", Note: "the full PAN, then ';'"}
	fPANDelim   = FieldSpec{Name: "delimiter", Type: FieldDelim, Len: 1, When: "format 48 on either side"}
)

// IsAESKeyBlock reports whether k is an S key block whose header says AES
// (algorithm 'A', header byte 7): its PIN blocks are 32H.
func (k KeyField) IsAESKeyBlock() bool {
	return k.Scheme == SchemeS && len(k.Hex) > 7 && k.Hex[7] == 'A'
}

// pinBlockSpec returns the PIN block field of a block under key k.
func pinBlockSpec(k KeyField) *FieldSpec {
	if k.IsAESKeyBlock() {
		return &fPINBlock32
	}
	return &fPINBlock
}

// translateFormat reads a format code of a command that takes format 48:
// those of pinFormat and 48.
func (p *parser) translateFormat(f *FieldSpec) string {
	if p.err == nil && p.left() >= 2 && string(p.b[p.i:p.i+2]) == FormatISO4 {
		p.next(f, 2)
		return FormatISO4
	}
	return p.pinFormat(f)
}

// translateAccount reads the account field of CA/CC: 12N, or with format
// 48 on either side the PAN (1 to 19 digits) and ';'.
func (p *parser) translateAccount(src, dst string) redact.String {
	if src != FormatISO4 && dst != FormatISO4 {
		return p.secretDigits(&fAccount)
	}
	if p.err != nil {
		return ""
	}
	n := p.run(isDigit)
	if n < 1 || n > 19 || p.left() == n {
		b := p.next(&fPANISO4, n)
		if b != nil {
			p.fail(&fPANISO4, InvalidAccount)
		}
		return ""
	}
	pan := redact.String(p.next(&fPANISO4, n))
	p.delim(&fPANDelim)
	return pan
}

// appendTranslateAccount writes the account field as translateAccount reads it.
func appendTranslateAccount(dst []byte, src, dstFmt string, acct redact.String) []byte {
	dst = append(dst, acct...)
	if src == FormatISO4 || dstFmt == FormatISO4 {
		dst = append(dst, ';')
	}
	return dst
}

// formatAccount reads the account field of a command with one format (JE,
// JG, DC, EC, DA, EA): 12N, or with format 48 the PAN and ';'.
func (p *parser) formatAccount(f string) redact.String { return p.translateAccount(f, f) }

// appendFormatAccount writes the account field as formatAccount reads it.
func appendFormatAccount(dst []byte, f string, acct redact.String) []byte {
	return appendTranslateAccount(dst, f, f, acct)
}
