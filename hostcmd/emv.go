package hostcmd

// KQ verifies an ARQC and/or generates an ARPC with the Visa CVN 10 or
// Mastercard M/Chip scheme (payShield KQ; hostcmd.md §4 EMV). The body is
// binary: fields are parsed by their declared lengths only.
type KQ struct {
	Mode   byte        // '0' verify ARQC, '1' verify and make ARPC, '2' ARPC only
	Scheme byte        // '0' Visa CVN 10, '1' Mastercard session key
	MKAC   KeyField    // MK-AC, key type 109
	PANPSN SecretBytes // 8B: right-most 16 digits of PAN+PSN, BCD
	ATC    [2]byte
	UN     [4]byte
	Data   []byte      // modes 0/1: transaction data, 1..255 bytes
	ARQC   SecretBytes // 8B
	ARC    [2]byte     // modes 1/2
	Envelope
}

// Code returns "KQ".
func (*KQ) Code() string { return "KQ" }

// AppendBody appends the request body.
func (r *KQ) AppendBody(dst []byte) []byte {
	dst = append(dst, "KQ"...)
	dst = append(dst, r.Mode, r.Scheme)
	dst = r.MKAC.AppendWire(dst)
	dst = append(dst, r.PANPSN...)
	dst = append(dst, r.ATC[:]...)
	dst = append(dst, r.UN[:]...)
	if r.Mode == '0' || r.Mode == '1' {
		dst = appendHexNum(dst, len(r.Data), 2)
		dst = append(dst, r.Data...)
		dst = append(dst, ';')
	}
	dst = append(dst, r.ARQC...)
	if r.Mode == '1' || r.Mode == '2' {
		dst = append(dst, r.ARC[:]...)
	}
	return r.appendEnvelope(dst)
}

func (r *KQ) respHint() respHint {
	return respHint{known: true, mode: r.Mode, trailer: r.Trailer != ""}
}

// data reads a 2H length (1..255, else 80) and that many bytes (80 if the
// body is shorter).
func (p *parser) data(lenField, dataField *FieldSpec) []byte {
	n := p.hexNum(lenField, 1, 255)
	if p.err == nil && p.left() < n {
		if p.trace != nil {
			*p.trace = append(*p.trace, dataField.Name)
		}
		p.fail(dataField, DataLengthError)
		return nil
	}
	return p.bytes(dataField, n)
}

func parseKQ(p *parser) *KQ {
	r := &KQ{}
	r.Mode = p.char(&fKQMode, "012")
	r.Scheme = p.char(&fKQScheme, "01")
	r.MKAC = p.key(&fMKAC)
	r.PANPSN = p.bytes(&fPANPSN, fPANPSN.Len)
	p.fixed(&fATC, r.ATC[:])
	p.fixed(&fUN, r.UN[:])
	if r.Mode == '0' || r.Mode == '1' {
		r.Data = p.data(&fKQDataLen, &fKQData)
		p.delim(&fDelimMode)
	}
	r.ARQC = p.bytes(&fARQC, fARQC.Len)
	if r.Mode == '1' || r.Mode == '2' {
		p.fixed(&fARC, r.ARC[:])
	}
	p.envelope(&r.Envelope)
	return r
}

// KR answers KQ: in modes 1 and 2 the 8-byte ARPC.
type KR struct {
	Status
	ARPC SecretBytes // 8B in modes 1/2; nil in mode 0
}

// Code returns "KR".
func (*KR) Code() string { return "KR" }

// AppendBody appends the response body.
func (r *KR) AppendBody(dst []byte) []byte {
	dst, ok := r.appendHead(dst, "KR")
	if ok {
		dst = append(dst, r.ARPC...)
	}
	return append(dst, r.Trailer...)
}

// arpcLen decides how many ARPC bytes a binary KR/KX body holds: from the
// request mode when known, else from the sizes that leave a clean end or
// trailer, preferring none, then the longest.
func arpcLen(rest []byte, h *respHint, sizes ...int) int {
	if h.known {
		return sizes[0]
	}
	if len(rest) == 0 || rest[0] == 0x19 && validTrailerText(rest[1:]) {
		return 0
	}
	for _, n := range sizes[1:] {
		if len(rest) == n || len(rest) > n && rest[n] == 0x19 && validTrailerText(rest[n+1:]) {
			return n
		}
	}
	return -1
}

func parseKR(p *parser, st Status, h *respHint) *KR {
	r := &KR{Status: st}
	if st.Err != OK {
		return r
	}
	want := 0
	if h.mode == '1' || h.mode == '2' {
		want = 8
	}
	n := arpcLen(p.b[p.i:], h, want, 8)
	if n < 0 {
		p.fail(&fARPC8, InvalidInput)
		return r
	}
	if n > 0 {
		r.ARPC = p.bytes(&fARPC8, n)
	}
	p.end = p.i
	return r
}

// KW verifies an ARQC and/or generates an ARPC with the EMV common session
// key (payShield KW; hostcmd.md §4 EMV). Schemes 0/1 (EMV2000 tree) answer
// 05 (ours). The body is binary.
type KW struct {
	Mode   byte     // '0' verify, '1' verify + ARPC method 1, '2' ARPC method 1, '3' verify + ARPC method 2, '4' ARPC method 2
	Scheme byte     // '2' card key option A, '3' option B
	MKAC   KeyField // key type 109
	// PANPSN is 8 bytes (option A) or (PANDigits+1)/2 bytes (option B).
	PANPSN    SecretBytes
	PANDigits int // option B: the 2N PAN length, digits of PAN+PSN (01..21, ours)
	ATC       [2]byte
	Data      []byte      // 1..255 bytes
	ARQC      SecretBytes // 8B
	ARC       [2]byte     // modes 1/2
	CSU       [4]byte     // modes 3/4
	PropAuth  []byte      // modes 3/4: proprietary authentication data, 0..15 bytes
	Envelope
}

// Code returns "KW".
func (*KW) Code() string { return "KW" }

// AppendBody appends the request body.
func (r *KW) AppendBody(dst []byte) []byte {
	dst = append(dst, "KW"...)
	dst = append(dst, r.Mode, r.Scheme)
	dst = r.MKAC.AppendWire(dst)
	if r.Scheme == '3' {
		dst = appendNum(dst, r.PANDigits, 2)
		dst = append(dst, r.PANPSN...)
		dst = append(dst, ';')
	} else {
		dst = append(dst, r.PANPSN...)
	}
	dst = append(dst, r.ATC[:]...)
	dst = appendHexNum(dst, len(r.Data), 2)
	dst = append(dst, r.Data...)
	dst = append(dst, ';')
	dst = append(dst, r.ARQC...)
	switch r.Mode {
	case '1', '2':
		dst = append(dst, r.ARC[:]...)
	case '3', '4':
		dst = append(dst, r.CSU[:]...)
		dst = append(dst, hexDigits[len(r.PropAuth)&0xF])
		dst = append(dst, r.PropAuth...)
	}
	return r.appendEnvelope(dst)
}

func (r *KW) respHint() respHint {
	return respHint{known: true, mode: r.Mode, trailer: r.Trailer != ""}
}

func parseKW(p *parser) *KW {
	r := &KW{}
	r.Mode = p.char(&fKWMode, "01234")
	r.Scheme = p.char(&fKWScheme, "23")
	r.MKAC = p.key(&fMKAC)
	if r.Scheme == '3' {
		r.PANDigits = p.num(&fPANLenB, 1, 21)
		r.PANPSN = p.bytes(&fPANB, (r.PANDigits+1)/2)
		p.delim(&fDelimOptB)
	} else {
		r.PANPSN = p.bytes(&fPANPSNA, fPANPSNA.Len)
	}
	p.fixed(&fATC, r.ATC[:])
	r.Data = p.data(&fKWDataLen, &fKWData)
	p.delim(&fDataDelim)
	r.ARQC = p.bytes(&fARQC, fARQC.Len)
	switch r.Mode {
	case '1', '2':
		p.fixed(&fARC, r.ARC[:])
	case '3', '4':
		p.fixed(&fCSU, r.CSU[:])
		n := p.hexNum(&fPADLen, 0, 15)
		r.PropAuth = p.bytes(&fPAD, n)
	}
	p.envelope(&r.Envelope)
	return r
}

// KX answers KW: an 8-byte ARPC (method 1, modes 1/2), a 4-byte ARPC
// (method 2, modes 3/4), or none (mode 0).
type KX struct {
	Status
	ARPC SecretBytes
}

// Code returns "KX".
func (*KX) Code() string { return "KX" }

// AppendBody appends the response body.
func (r *KX) AppendBody(dst []byte) []byte {
	dst, ok := r.appendHead(dst, "KX")
	if ok {
		dst = append(dst, r.ARPC...)
	}
	return append(dst, r.Trailer...)
}

func parseKX(p *parser, st Status, h *respHint) *KX {
	r := &KX{Status: st}
	if st.Err != OK {
		return r
	}
	want, f := 0, &fARPC8
	switch h.mode {
	case '1', '2':
		want = 8
	case '3', '4':
		want, f = 4, &fARPC4
	}
	n := arpcLen(p.b[p.i:], h, want, 8, 4)
	if n < 0 {
		p.fail(&fARPC8, InvalidInput)
		return r
	}
	if n == 4 {
		f = &fARPC4
	}
	if n > 0 {
		r.ARPC = p.bytes(f, n)
	}
	p.end = p.i
	return r
}
