package hostcmd

import "github.com/payhsm/payhsm-gw/internal/redact"

// DC verifies a terminal PIN (under a TPK) by Visa PVV (payShield DC;
// hostcmd.md §4 PIN verification).
type DC struct {
	TPK      KeyField
	PVK      KeyField      // bare 32H pair or U+32H
	PINBlock redact.String // 16H, 32H under an AES TPK
	Format   string        // 2N format code, FormatISO4 too
	Account  redact.String // 12N, or the PAN (1-19 digits) with format 48
	PVKI     byte          // 1N
	PVV      redact.String // 4N
	Envelope
}

// Code returns "DC".
func (*DC) Code() string { return "DC" }

// AppendBody appends the request body.
func (r *DC) AppendBody(dst []byte) []byte {
	dst = append(dst, "DC"...)
	dst = r.TPK.AppendWire(dst)
	return r.appendEnvelope(appendPVV(dst, r.PVK, r.PINBlock, r.Format, r.Account, r.PVKI, r.PVV))
}

func appendPVV(dst []byte, pvk KeyField, block redact.String, f string, acct redact.String, pvki byte, pvv redact.String) []byte {
	dst = pvk.AppendWire(dst)
	dst = append(dst, block...)
	dst = append(dst, f...)
	dst = appendFormatAccount(dst, f, acct)
	dst = append(dst, pvki)
	return append(dst, pvv...)
}

func parseDC(p *parser) *DC {
	r := &DC{TPK: p.key(&fTPK)}
	r.PVK, r.PINBlock, r.Format, r.Account, r.PVKI, r.PVV = p.pvvFields(r.TPK)
	p.envelope(&r.Envelope)
	return r
}

// EC verifies an interchange PIN (under a ZPK) by Visa PVV (payShield EC;
// hostcmd.md §4). The PIN block, format and account are as in DC.
type EC struct {
	ZPK      KeyField
	PVK      KeyField
	PINBlock redact.String
	Format   string
	Account  redact.String
	PVKI     byte
	PVV      redact.String
	Envelope
}

// Code returns "EC".
func (*EC) Code() string { return "EC" }

// AppendBody appends the request body.
func (r *EC) AppendBody(dst []byte) []byte {
	dst = append(dst, "EC"...)
	dst = r.ZPK.AppendWire(dst)
	return r.appendEnvelope(appendPVV(dst, r.PVK, r.PINBlock, r.Format, r.Account, r.PVKI, r.PVV))
}

func parseEC(p *parser) *EC {
	r := &EC{ZPK: p.key(&fZPK)}
	r.PVK, r.PINBlock, r.Format, r.Account, r.PVKI, r.PVV = p.pvvFields(r.ZPK)
	p.envelope(&r.Envelope)
	return r
}

// IBMOffset holds the fields DA and EA share after the PIN key: IBM 3624
// PIN verification by offset (hostcmd.md §4).
type IBMOffset struct {
	PVK                 KeyField      // 16H single or U+32H
	MaxPINLen           int           // 2N, 04..12
	PINBlock            redact.String // 16H, 32H under an AES PIN key
	Format              string        // 2N format code, FormatISO4 too
	CheckLen            int           // 2N, 04..12
	Account             redact.String // 12N, or the PAN (1-19 digits) with format 48
	DecimalisationTable redact.String // 16 decimal digits
	ValidationData      redact.String // 12A: hex digits and one 'N'
	Offset              redact.String // 12H: digits, F-padded
}

func (o *IBMOffset) append(dst []byte) []byte {
	dst = o.PVK.AppendWire(dst)
	dst = appendNum(dst, o.MaxPINLen, 2)
	dst = append(dst, o.PINBlock...)
	dst = append(dst, o.Format...)
	dst = appendNum(dst, o.CheckLen, 2)
	dst = appendFormatAccount(dst, o.Format, o.Account)
	dst = append(dst, o.DecimalisationTable...)
	dst = append(dst, o.ValidationData...)
	return append(dst, o.Offset...)
}

// parse reads the fields after the PIN key pinKey, which decides the PIN
// block's length (32H under an AES key).
func (o *IBMOffset) parse(p *parser, pinKey KeyField) {
	o.PVK = p.key(&fPVKIBM)
	o.MaxPINLen = p.num(&fMaxPINLen, 4, 12)
	o.PINBlock = p.secretHex(pinBlockSpec(pinKey))
	o.Format = p.translateFormat(&fFormat)
	o.CheckLen = p.num(&fCheckLen, 4, 12)
	o.Account = p.formatAccount(o.Format)
	// A decimalisation table maps each nibble to a decimal digit: any
	// other character is a table error (25).
	o.DecimalisationTable = p.secretDigits(&fDecTable)
	o.ValidationData = p.validationData(&fValidation)
	o.Offset = p.offset(&fOffset)
}

// DA verifies a terminal PIN by IBM 3624 offset (payShield DA; hostcmd.md §4).
type DA struct {
	TPK KeyField
	IBMOffset
	Envelope
}

// Code returns "DA".
func (*DA) Code() string { return "DA" }

// AppendBody appends the request body.
func (r *DA) AppendBody(dst []byte) []byte {
	dst = append(dst, "DA"...)
	dst = r.TPK.AppendWire(dst)
	return r.appendEnvelope(r.IBMOffset.append(dst))
}

func parseDA(p *parser) *DA {
	r := &DA{TPK: p.key(&fTPK)}
	r.IBMOffset.parse(p, r.TPK)
	p.envelope(&r.Envelope)
	return r
}

// EA verifies an interchange PIN by IBM 3624 offset (payShield EA;
// hostcmd.md §4).
type EA struct {
	ZPK KeyField
	IBMOffset
	Envelope
}

// Code returns "EA".
func (*EA) Code() string { return "EA" }

// AppendBody appends the request body.
func (r *EA) AppendBody(dst []byte) []byte {
	dst = append(dst, "EA"...)
	dst = r.ZPK.AppendWire(dst)
	return r.appendEnvelope(r.IBMOffset.append(dst))
}

func parseEA(p *parser) *EA {
	r := &EA{ZPK: p.key(&fZPK)}
	r.IBMOffset.parse(p, r.ZPK)
	p.envelope(&r.Envelope)
	return r
}

// DD answers DC: 00 verified, 01 verification failure; no fields.
type DD struct{ Status }

// Code returns "DD".
func (*DD) Code() string { return "DD" }

// AppendBody appends the response body.
func (r *DD) AppendBody(dst []byte) []byte { return appendStatusOnly(dst, "DD", &r.Status) }

// ED answers EC: 00 verified, 01 verification failure; no fields.
type ED struct{ Status }

// Code returns "ED".
func (*ED) Code() string { return "ED" }

// AppendBody appends the response body.
func (r *ED) AppendBody(dst []byte) []byte { return appendStatusOnly(dst, "ED", &r.Status) }

// DB answers DA: 00 verified, 01 verification failure; no fields.
type DB struct{ Status }

// Code returns "DB".
func (*DB) Code() string { return "DB" }

// AppendBody appends the response body.
func (r *DB) AppendBody(dst []byte) []byte { return appendStatusOnly(dst, "DB", &r.Status) }

// EB answers EA: 00 verified, 01 verification failure; no fields.
type EB struct{ Status }

// Code returns "EB".
func (*EB) Code() string { return "EB" }

// AppendBody appends the response body.
func (r *EB) AppendBody(dst []byte) []byte { return appendStatusOnly(dst, "EB", &r.Status) }
