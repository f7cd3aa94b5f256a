package hostcmd

import "github.com/payhsm/payhsm-gw/internal/redact"

// M6 generates a MAC over a message in one block (payShield M6; hostcmd.md
// §4 MAC). The contract names no specific error codes for M6/M8, so a bad
// flag answers 15 and a bad length 80 (ours).
type M6 struct {
	MACParams
	Envelope
}

// MACParams holds the fields M6 and M8 share.
type MACParams struct {
	Mode        byte     // '0' only block
	InputFormat byte     // '0' binary, '1' hex
	MACSize     byte     // '0' 8H, '1' 16H
	Algorithm   byte     // '1' ISO 9797-1 alg 1, '3' alg 3 (retail MAC)
	Padding     byte     // '0' none, '1' ISO 9797-1 method 1, '2' method 2
	KeyType     string   // "003" TAK, "008" ZAK
	Key         KeyField // TAK or ZAK under the LMK
	// Message is the decoded message; with input format '1' it travels as
	// hex, two characters a byte. Its length is the 4H message length.
	Message SecretBytes
}

// MACHexLen returns the MAC length in hex characters for the MAC size flag.
func (m *MACParams) MACHexLen() int {
	if m.MACSize == '1' {
		return 16
	}
	return 8
}

func (m *MACParams) append(dst []byte) []byte {
	dst = append(dst, m.Mode, m.InputFormat, m.MACSize, m.Algorithm, m.Padding)
	dst = append(dst, m.KeyType...)
	dst = m.Key.AppendWire(dst)
	dst = appendHexNum(dst, len(m.Message), 4)
	if m.InputFormat == '1' {
		return appendHexBytes(dst, m.Message)
	}
	return append(dst, m.Message...)
}

func (m *MACParams) parse(p *parser) {
	m.Mode = p.char(&fMACMode, "0")
	m.InputFormat = p.char(&fInputFmt, "01")
	m.MACSize = p.char(&fMACSize, "01")
	m.Algorithm = p.char(&fMACAlg, "13")
	m.Padding = p.char(&fPadding, "012")
	if b := p.next(&fMACKeyType, 3); b != nil {
		switch string(b) {
		case "003":
			m.KeyType = "003"
		case "008":
			m.KeyType = "008"
		default:
			p.fail(&fMACKeyType, InvalidInput)
		}
	}
	m.Key = p.key(&fMACKey)
	n := p.hexNum(&fMsgLen, 1, 0xFFFF)
	if p.err != nil {
		return
	}
	if m.InputFormat == '1' {
		if p.left() < 2*n {
			p.next(&fMsg, 0)
			p.fail(&fMsg, DataLengthError)
			return
		}
		b := p.next(&fMsg, 2*n)
		msg := make([]byte, n)
		for i := range msg {
			hi, lo := b[2*i], b[2*i+1]
			if !isHex(hi) || !isHex(lo) {
				p.fail(&fMsg, InvalidInput)
				return
			}
			msg[i] = byte(hexNum(b[2*i : 2*i+2]))
		}
		m.Message = msg
		return
	}
	if p.left() < n {
		p.next(&fMsg, 0)
		p.fail(&fMsg, DataLengthError)
		return
	}
	m.Message = p.bytes(&fMsg, n)
}

// Code returns "M6".
func (*M6) Code() string { return "M6" }

// AppendBody appends the request body.
func (r *M6) AppendBody(dst []byte) []byte {
	dst = append(dst, "M6"...)
	return r.appendEnvelope(r.MACParams.append(dst))
}

func (r *M6) respHint() respHint {
	return respHint{known: true, macSize: r.MACSize, trailer: r.Trailer != ""}
}

// A binary message (input format 0) may hold '%' or 0x19: the envelope is
// found after the declared length, never by searching.
func parseM6(p *parser) *M6 {
	r := &M6{}
	r.MACParams.parse(p)
	p.envelope(&r.Envelope)
	return r
}

// M7 answers M6 with the MAC, 8H or 16H.
type M7 struct {
	Status
	MAC redact.String
}

// Code returns "M7".
func (*M7) Code() string { return "M7" }

// AppendBody appends the response body.
func (r *M7) AppendBody(dst []byte) []byte {
	dst, ok := r.appendHead(dst, "M7")
	if ok {
		dst = append(dst, r.MAC...)
	}
	return append(dst, r.Trailer...)
}

func parseM7(p *parser, st Status, h *respHint) *M7 {
	r := &M7{Status: st}
	if st.Err != OK {
		return r
	}
	n := p.left()
	if h.known {
		n = 8
		if h.macSize == '1' {
			n = 16
		}
	}
	if n != 8 && n != 16 {
		p.fail(&fMAC, InvalidInput)
		return r
	}
	f := fMAC
	f.Len = n
	r.MAC = p.secretHex(&f)
	return r
}

// M8 verifies a MAC (payShield M8; hostcmd.md §4 MAC): the M6 fields, then
// the MAC to check (8H or 16H by the MAC size flag).
type M8 struct {
	MACParams
	MAC redact.String
	Envelope
}

// Code returns "M8".
func (*M8) Code() string { return "M8" }

// AppendBody appends the request body.
func (r *M8) AppendBody(dst []byte) []byte {
	dst = append(dst, "M8"...)
	dst = r.MACParams.append(dst)
	dst = append(dst, r.MAC...)
	return r.appendEnvelope(dst)
}

func parseM8(p *parser) *M8 {
	r := &M8{}
	r.MACParams.parse(p)
	f := fMAC
	f.Len = r.MACHexLen()
	r.MAC = p.secretHex(&f)
	p.envelope(&r.Envelope)
	return r
}

// M9 answers M8: 00 verified, 01 verification failure; no fields.
type M9 struct{ Status }

// Code returns "M9".
func (*M9) Code() string { return "M9" }

// AppendBody appends the response body.
func (r *M9) AppendBody(dst []byte) []byte { return appendStatusOnly(dst, "M9", &r.Status) }
