package hostcmd

import (
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/keys/dukpt"
)

// DUKPT PIN verification (GO, GQ) and DUKPT MAC verification (GW)
// (hostcmd-dukpt.md §§6-8). Public sources give only the command codes,
// so every layout here is ours; the fields before the method's are those of
// G0: BDK, KSN descriptor, KSN, and a PIN block whose form the descriptor
// sets (16H ISO 9564-1 format 0 for TDES, 32H format 4 with the full PAN
// for AES, descriptor 018).

// DUKPT verification fields.
var (
	fDUKPTMACKey  = FieldSpec{Name: "macKey", Type: FieldN, Len: 1, Note: "0 request key, 1 response key (ours)"}
	fDUKPTMACSize = FieldSpec{Name: "macSize", Type: FieldN, Len: 1, Note: "0 = 8H, 1 = 16H"}
	fDUKPTMsgLen  = FieldSpec{Name: "messageLength", Type: FieldH, Len: 4, Err: DataLengthError, Note: "bytes of the message, 0001..2000"}
	fDUKPTMsg     = FieldSpec{Name: "message", Type: FieldH, MinLen: 2, MaxLen: 2 * MaxDUKPTMACMessage, Secret: true, Err: DataLengthError, Note: "hex, two characters a byte"}
)

// MaxDUKPTMACMessage is the longest GW message in bytes (ours: its hex
// form stays well inside a frame).
const MaxDUKPTMACMessage = 0x2000

// DUKPTPIN holds what GO and GQ read after the BDK and before the
// verification method's fields: the KSN and the PIN block under the DUKPT
// PIN key. The account or PAN follows inside each method's run.
type DUKPTPIN struct {
	BDK           KeyField
	KSNDescriptor string        // 3H, upper case; "018" for AES DUKPT
	KSN           string        // 20H (TDES) or 24H (AES), upper case
	PINBlock      redact.String // 16H (TDES, ISO 0) or 32H (AES, ISO 4)
}

// AES reports whether the KSN is an AES DUKPT one (descriptor 018).
func (d *DUKPTPIN) AES() bool { return d.KSNDescriptor == descriptorAES }

// appendHead appends the command code, the BDK, the PVK, the KSN
// descriptor, the KSN and the PIN block: GO's and GQ's first fields.
func (d *DUKPTPIN) appendHead(dst []byte, code string, pvk KeyField) []byte {
	dst = append(dst, code...)
	dst = d.BDK.AppendWire(dst)
	dst = pvk.AppendWire(dst)
	dst = append(dst, d.KSNDescriptor...)
	dst = append(dst, d.KSN...)
	return append(dst, d.PINBlock...)
}

// ksnRun reads descriptor and KSN (G0's rules: any descriptor, 018 too).
func (p *parser) ksnRun() (dukpt.KSNDescriptor, string, string) {
	d, desc := p.ksnDescriptor(true)
	return d, desc, p.hexN(&fKSN, d.FieldLen())
}

// dukptAccount reads the account (TDES) or the PAN and ';' (AES).
func (p *parser) dukptAccount(aes bool) (acct, pan redact.String) {
	if aes {
		return "", p.dukptPAN()
	}
	return p.secretDigits(&fDUKPTAccount), ""
}

func appendDUKPTAccount(dst []byte, aes bool, acct, pan redact.String) []byte {
	if aes {
		dst = append(dst, pan...)
		return append(dst, ';')
	}
	return append(dst, acct...)
}

// GO verifies a PIN from a DUKPT terminal by IBM 3624 offset (payShield
// GO by code; layout ours, hostcmd-dukpt.md §6).
type GO struct {
	DUKPTPIN
	PVK                 KeyField // 16H single or U+32H
	CheckLen            int      // 2N, 04..12
	Account             redact.String
	PAN                 redact.String // AES only; ';' follows on the wire
	DecimalisationTable redact.String // 16N
	ValidationData      redact.String // 12A: hex digits and one 'N'
	Offset              redact.String // 12H: digits, F-padded
	Envelope
}

// Code returns "GO".
func (*GO) Code() string { return "GO" }

// AppendBody appends the request body.
func (r *GO) AppendBody(dst []byte) []byte {
	dst = r.DUKPTPIN.appendHead(dst, "GO", r.PVK)
	dst = appendNum(dst, r.CheckLen, 2)
	dst = appendDUKPTAccount(dst, r.AES(), r.Account, r.PAN)
	dst = append(dst, r.DecimalisationTable...)
	dst = append(dst, r.ValidationData...)
	dst = append(dst, r.Offset...)
	return r.appendEnvelope(dst)
}

func parseGO(p *parser) *GO {
	r := &GO{}
	d := r.DUKPTPIN.parseHead(p, &r.PVK, &fPVKIBM)
	r.CheckLen = p.num(&fCheckLen, 4, 12)
	r.Account, r.PAN = p.dukptAccount(d.AES)
	r.DecimalisationTable = p.secretDigits(&fDecTable)
	r.ValidationData = p.validationData(&fValidation)
	r.Offset = p.offset(&fOffset)
	p.envelope(&r.Envelope)
	p.checkKSN(d, r.KSN)
	return r
}

// parseHead reads what appendHead writes, the PVK as pvkSpec says, and
// returns the descriptor.
func (d *DUKPTPIN) parseHead(p *parser, pvk *KeyField, pvkSpec *FieldSpec) dukpt.KSNDescriptor {
	d.BDK = p.bdk()
	*pvk = p.key(pvkSpec)
	desc, s, ksn := p.ksnRun()
	d.KSNDescriptor, d.KSN = s, ksn
	d.PINBlock = p.dukptBlock(desc.AES)
	return desc
}

// dukptBlock reads the PIN block: 16H, or 32H with the AES descriptor.
func (p *parser) dukptBlock(aes bool) redact.String {
	n := 16
	if aes {
		n = 32
	}
	return redact.String(p.hexN(&fDUKPTBlock, n))
}

// GQ verifies a PIN from a DUKPT terminal by Visa PVV (payShield GQ by
// code; layout ours, hostcmd-dukpt.md §7).
type GQ struct {
	DUKPTPIN
	PVK     KeyField // bare 32H pair or U+32H
	Account redact.String
	PAN     redact.String // AES only; ';' follows on the wire
	PVKI    byte          // 1N
	PVV     redact.String // 4N
	Envelope
}

// Code returns "GQ".
func (*GQ) Code() string { return "GQ" }

// AppendBody appends the request body.
func (r *GQ) AppendBody(dst []byte) []byte {
	dst = r.DUKPTPIN.appendHead(dst, "GQ", r.PVK)
	dst = appendDUKPTAccount(dst, r.AES(), r.Account, r.PAN)
	dst = append(dst, r.PVKI)
	dst = append(dst, r.PVV...)
	return r.appendEnvelope(dst)
}

func parseGQ(p *parser) *GQ {
	r := &GQ{}
	d := r.DUKPTPIN.parseHead(p, &r.PVK, &fPVKPVV)
	r.Account, r.PAN = p.dukptAccount(d.AES)
	r.PVKI = p.char(&fPVKI, decimalDigits)
	r.PVV = p.secretDigits(&fPVV)
	p.envelope(&r.Envelope)
	p.checkKSN(d, r.KSN)
	return r
}

// GW verifies a MAC made by a DUKPT terminal (payShield GW by code; layout
// ours, hostcmd-dukpt.md §8): TDES DUKPT takes ISO/IEC 9797-1 MAC
// algorithm 3 with padding method 1 under the MAC request (or response)
// key of ANSI X9.24-1:2009; AES DUKPT takes AES-CMAC under the AES-128
// working key of usage 2000 (request) or 2001 (response) of X9.24-3:2017.
// The MAC is the left 4 or 8 bytes.
type GW struct {
	BDK           KeyField
	KSNDescriptor string // 3H; "018" for AES DUKPT
	KSN           string // 20H or 24H
	MACKey        byte   // '0' request, '1' response
	MACSize       byte   // '0' 8H, '1' 16H
	Message       SecretBytes
	MAC           redact.String
	Envelope
}

// Code returns "GW".
func (*GW) Code() string { return "GW" }

// AES reports whether the KSN is an AES DUKPT one (descriptor 018).
func (r *GW) AES() bool { return r.KSNDescriptor == descriptorAES }

// MACHexLen returns the MAC length in hex characters for the MAC size flag.
func (r *GW) MACHexLen() int {
	if r.MACSize == '1' {
		return 16
	}
	return 8
}

// AppendBody appends the request body.
func (r *GW) AppendBody(dst []byte) []byte {
	dst = append(dst, "GW"...)
	dst = r.BDK.AppendWire(dst)
	dst = append(dst, r.KSNDescriptor...)
	dst = append(dst, r.KSN...)
	dst = append(dst, r.MACKey, r.MACSize)
	dst = appendHexNum(dst, len(r.Message), 4)
	dst = appendHexBytes(dst, r.Message)
	dst = append(dst, r.MAC...)
	return r.appendEnvelope(dst)
}

func parseGW(p *parser) *GW {
	r := &GW{}
	r.BDK = p.bdk()
	d, desc, ksn := p.ksnRun()
	r.KSNDescriptor, r.KSN = desc, ksn
	r.MACKey = p.char(&fDUKPTMACKey, "01")
	r.MACSize = p.char(&fDUKPTMACSize, "01")
	r.Message = p.hexMessage()
	f := fMAC
	f.Len = r.MACHexLen()
	r.MAC = p.secretHex(&f)
	p.envelope(&r.Envelope)
	p.checkKSN(d, r.KSN)
	return r
}

// hexMessage reads GW's 4H byte count and that many bytes as hex. A count
// outside 1..MaxDUKPTMACMessage, or one the body is too short for, gives 80.
func (p *parser) hexMessage() SecretBytes {
	n := p.hexNum(&fDUKPTMsgLen, 1, MaxDUKPTMACMessage)
	if p.err != nil {
		return nil
	}
	if p.left() < 2*n {
		p.next(&fDUKPTMsg, 0)
		p.fail(&fDUKPTMsg, DataLengthError)
		return nil
	}
	b := p.next(&fDUKPTMsg, 2*n)
	msg := make([]byte, n)
	for i := range msg {
		hi, lo := b[2*i], b[2*i+1]
		if !isHex(hi) || !isHex(lo) {
			p.fail(&fDUKPTMsg, InvalidInput)
			return nil
		}
		msg[i] = byte(hexNum(b[2*i : 2*i+2]))
	}
	return msg
}

// GP answers GO: 00 verified, 01 verification failure; no fields.
type GP struct{ Status }

// Code returns "GP".
func (*GP) Code() string { return "GP" }

// AppendBody appends the response body.
func (r *GP) AppendBody(dst []byte) []byte { return appendStatusOnly(dst, "GP", &r.Status) }

// GR answers GQ: 00 verified, 01 verification failure; no fields.
type GR struct{ Status }

// Code returns "GR".
func (*GR) Code() string { return "GR" }

// AppendBody appends the response body.
func (r *GR) AppendBody(dst []byte) []byte { return appendStatusOnly(dst, "GR", &r.Status) }

// GX answers GW: 00 verified, 01 verification failure; no fields.
type GX struct{ Status }

// Code returns "GX".
func (*GX) Code() string { return "GX" }

// AppendBody appends the response body.
func (r *GX) AppendBody(dst []byte) []byte { return appendStatusOnly(dst, "GX", &r.Status) }

// dukptVerifyErrors are the codes GO and GQ name (hostcmd-dukpt.md §9),
// with extra appended.
func dukptVerifyErrors(extra ...Code) []Code {
	return append([]Code{VerifyFailed, SourceKeyParity, DestKeyParity, InvalidPINBlock, InvalidPINLength, IncompatibleKeyLength}, extra...)
}
