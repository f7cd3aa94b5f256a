package hostcmd

// NC is the "perform diagnostics" request (payShield NC; hostcmd.md §4
// Health). It has no fields.
type NC struct {
	Envelope
}

// Code returns "NC".
func (*NC) Code() string { return "NC" }

// AppendBody appends the request body.
func (r *NC) AppendBody(dst []byte) []byte {
	return r.appendEnvelope(append(dst, "NC"...))
}

func parseNC(p *parser) *NC {
	r := &NC{}
	p.envelope(&r.Envelope)
	return r
}

// ND answers NC: the LMK check value (ours: 3DES of zeros under LMK pair
// 00-01, hostcmd.md §3) and the firmware number.
type ND struct {
	Status
	LMKCheckValue string // 16H
	Firmware      string // 9A, "nnnn-nnnn"
}

// Code returns "ND".
func (*ND) Code() string { return "ND" }

// AppendBody appends the response body.
func (r *ND) AppendBody(dst []byte) []byte {
	dst, ok := r.appendHead(dst, "ND")
	if ok {
		dst = append(dst, r.LMKCheckValue...)
		dst = append(dst, r.Firmware...)
	}
	return append(dst, r.Trailer...)
}

func parseND(p *parser, st Status) *ND {
	r := &ND{Status: st}
	if st.Err == OK {
		r.LMKCheckValue = p.hex(&fLMKCheck)
		r.Firmware = p.text(&fFirmware)
	}
	return r
}

// NO is the "HSM status" request (payShield NO; hostcmd.md §4). Only mode
// 00 (status) is in the contract.
type NO struct {
	Mode string // 2N, "00"
	Envelope
}

// Code returns "NO".
func (*NO) Code() string { return "NO" }

// AppendBody appends the request body.
func (r *NO) AppendBody(dst []byte) []byte {
	dst = append(dst, "NO"...)
	dst = append(dst, r.Mode...)
	return r.appendEnvelope(dst)
}

func parseNO(p *parser) *NO {
	r := &NO{}
	if p.num(&fNOMode, 0, 0); p.err == nil {
		r.Mode = "00"
	}
	p.envelope(&r.Envelope)
	return r
}

// NP answers NO mode 00 (payShield NP, hsm-protocol.md §4 NO).
type NP struct {
	Status
	IOBufferSize int    // 1N: 0=2K 1=8K 2=16K 3=32K
	EthernetType int    // 1N: 1 = TCP
	TCPSockets   int    // 2N
	Firmware     string // 9A
	Reserved1    string // 1A
	Reserved2    string // 4A
}

// Code returns "NP".
func (*NP) Code() string { return "NP" }

// AppendBody appends the response body.
func (r *NP) AppendBody(dst []byte) []byte {
	dst, ok := r.appendHead(dst, "NP")
	if ok {
		dst = appendNum(dst, r.IOBufferSize, 1)
		dst = appendNum(dst, r.EthernetType, 1)
		dst = appendNum(dst, r.TCPSockets, 2)
		dst = append(dst, r.Firmware...)
		dst = append(dst, r.Reserved1...)
		dst = append(dst, r.Reserved2...)
	}
	return append(dst, r.Trailer...)
}

func parseNP(p *parser, st Status) *NP {
	r := &NP{Status: st}
	if st.Err == OK {
		r.IOBufferSize = p.num(&fIOBuffer, 0, 9)
		r.EthernetType = p.num(&fEthernet, 0, 9)
		r.TCPSockets = p.num(&fTCPSockets, 0, 99)
		r.Firmware = p.text(&fFirmware)
		r.Reserved1 = p.text(&fReservedNP1)
		r.Reserved2 = p.text(&fReservedNP2)
	}
	return r
}

// B2 is the echo request (payShield B2; hostcmd.md §4): a 4H byte count and
// that many bytes, which may be binary.
type B2 struct {
	Data []byte // at most MaxFrameLen bytes in practice
	Envelope
}

// Code returns "B2".
func (*B2) Code() string { return "B2" }

// AppendBody appends the request body; the length field is len(Data).
func (r *B2) AppendBody(dst []byte) []byte {
	dst = append(dst, "B2"...)
	dst = appendHexNum(dst, len(r.Data), 4)
	dst = append(dst, r.Data...)
	return r.appendEnvelope(dst)
}

func (r *B2) respHint() respHint {
	return respHint{known: true, dataLen: len(r.Data), trailer: r.Trailer != ""}
}

func parseB2(p *parser) *B2 {
	r := &B2{}
	n := p.hexNum(&fEchoLen, 0, 0xFFFF)
	r.Data = p.bytes(&fEchoData, n)
	p.envelope(&r.Envelope)
	return r
}

// B3 answers B2 with the same data.
type B3 struct {
	Status
	Data []byte
}

// Code returns "B3".
func (*B3) Code() string { return "B3" }

// AppendBody appends the response body.
func (r *B3) AppendBody(dst []byte) []byte {
	dst, ok := r.appendHead(dst, "B3")
	if ok {
		dst = append(dst, r.Data...)
	}
	return append(dst, r.Trailer...)
}

// parseB3 takes the data up to the end of the body, or, knowing the
// request, exactly its length (binary data may hold 0x19).
func parseB3(p *parser, st Status, h *respHint) *B3 {
	r := &B3{Status: st}
	if st.Err != OK {
		return r
	}
	n := p.left()
	if h.known {
		n = h.dataLen
		if !h.trailer && p.left() != n {
			p.fail(&fEchoData, InvalidInput)
			return r
		}
	}
	r.Data = p.bytes(&fEchoData, n)
	p.end = p.i
	return r
}
