package hostcmd

// A0 is the "generate a key" request (payShield A0; hostcmd.md §4 Keys).
// Mode '1' also exports the key under a ZMK or TMK.
type A0 struct {
	Mode      byte   // '0' generate, '1' generate and export
	KeyType   string // 3H key type code, e.g. "001"
	SchemeLMK byte   // key scheme under the LMK: 'Z', 'U', 'T', or 'S' (key-block LMK)
	// Mode 1 only.
	ZMKFlag   byte     // 0: no ";" flag block; '0' ZMK, '1' TMK
	ZMK       KeyField // the ZMK or TMK, under the LMK
	SchemeZMK byte     // key scheme under the ZMK: 'Z', 'U', 'T', 'X' or 'Y'; 'R' or 'S' with SchemeLMK 'S'
	// Key-block LMK (SchemeLMK 'S'): "#" attributes (required), mode 1 "&"
	// and, with SchemeZMK 'R', "!" (hostcmd-keyblocks.md §5, §6).
	Options KeyBlockOptions
	Envelope
}

// a0Shapes returns the option shapes of an A0 request.
func (r *A0) a0Shapes() (hash, amp attrShape, bang bool) {
	if r.SchemeLMK != 'S' {
		return shapeNone, shapeNone, false
	}
	if r.Mode == '1' {
		return shapeA0, shapeExportKB, r.SchemeZMK == 'R'
	}
	return shapeA0, shapeNone, false
}

// Code returns "A0".
func (*A0) Code() string { return "A0" }

// AppendBody appends the request body.
func (r *A0) AppendBody(dst []byte) []byte {
	dst = append(dst, "A0"...)
	dst = append(dst, r.Mode)
	dst = append(dst, r.KeyType...)
	dst = append(dst, r.SchemeLMK)
	if r.Mode == '1' {
		if r.ZMKFlag != 0 {
			dst = append(dst, ';', r.ZMKFlag)
		}
		dst = r.ZMK.AppendWire(dst)
		dst = append(dst, r.SchemeZMK)
	}
	if hash, amp, _ := r.a0Shapes(); hash != shapeNone {
		return appendKBEnvelope(dst, &r.Envelope, &r.Options, hash, amp)
	}
	return r.appendEnvelope(dst)
}

func (r *A0) respHint() respHint {
	return respHint{known: true, mode: r.Mode, trailer: r.Trailer != ""}
}

func parseA0(p *parser) *A0 {
	r := &A0{}
	r.Mode = p.char(&fA0Mode, "01")
	r.KeyType = p.hex(&fKeyType)
	r.SchemeLMK = p.char(&fSchemeLMK, "ZUTS")
	if r.Mode == '1' {
		if p.left() > 0 && p.b[p.i] == ';' {
			p.delim(&fA0Delim)
			r.ZMKFlag = p.char(&fZMKFlag, "01")
		}
		r.ZMK = p.key(&fZMK)
		if r.SchemeLMK == 'S' {
			r.SchemeZMK = p.char(&fSchemeZMK, "RS")
		} else {
			r.SchemeZMK = p.char(&fSchemeZMK, "ZUTXY")
		}
	}
	hash, amp, bang := r.a0Shapes()
	if hash == shapeNone {
		p.envelope(&r.Envelope)
		return r
	}
	p.kbEnvelope(&r.Envelope, &r.Options, hash, amp, bang)
	if p.err == nil && r.Options.Attributes == nil {
		// "#" is required under a key-block LMK.
		p.fail(&fOptAttrs, InvalidInput)
	}
	return r
}

// A1 answers A0: the new key under the LMK, under the ZMK/TMK in mode 1, and
// its 6H check value.
type A1 struct {
	Status
	KeyUnderLMK KeyField
	KeyUnderZMK KeyField // mode 1 only; zero otherwise
	KCV         string   // 6H
}

// Code returns "A1".
func (*A1) Code() string { return "A1" }

// AppendBody appends the response body.
func (r *A1) AppendBody(dst []byte) []byte {
	dst, ok := r.appendHead(dst, "A1")
	if ok {
		dst = r.KeyUnderLMK.AppendWire(dst)
		if r.KeyUnderZMK.Hex != "" {
			dst = r.KeyUnderZMK.AppendWire(dst)
		}
		dst = append(dst, r.KCV...)
	}
	return append(dst, r.Trailer...)
}

func parseA1(p *parser, st Status, h *respHint) *A1 {
	r := &A1{Status: st}
	if st.Err != OK {
		return r
	}
	r.KeyUnderLMK = p.key(&fKeyLMK)
	export := p.left() > fKCV6.Len
	if h.known {
		export = h.mode == '1'
	}
	if export {
		r.KeyUnderZMK = p.key(&fKeyZMK)
	}
	r.KCV = p.hex(&fKCV6)
	return r
}

// BU is the "generate a key check value" request (payShield BU; hostcmd.md
// §4 Keys).
type BU struct {
	KeyTypeCode   string   // 2A: "00".."0E" (LMK pair code) or "FF"
	KeyLengthFlag byte     // '0' single, '1' double, '2' triple
	Key           KeyField // must match the length flag
	KeyType       string   // 3H, present only with key type code FF
	// Optional block "; reserved reserved kcvType"; KCVType 0 means absent.
	Reserved1, Reserved2 byte
	KCVType              byte // '0' 16H, '1' 6H
	Envelope
}

// Code returns "BU".
func (*BU) Code() string { return "BU" }

// AppendBody appends the request body.
func (r *BU) AppendBody(dst []byte) []byte {
	dst = append(dst, "BU"...)
	dst = append(dst, r.KeyTypeCode...)
	dst = append(dst, r.KeyLengthFlag)
	dst = r.Key.AppendWire(dst)
	if r.KeyType != "" {
		dst = append(dst, ';')
		dst = append(dst, r.KeyType...)
	}
	if r.KCVType != 0 {
		dst = append(dst, ';', r.Reserved1, r.Reserved2, r.KCVType)
	}
	return r.appendEnvelope(dst)
}

func (r *BU) respHint() respHint {
	k := r.KCVType
	if k == 0 {
		k = '0'
	}
	return respHint{known: true, kcvType: k, trailer: r.Trailer != ""}
}

// buKeyTypeCode returns the interned key type code or "".
func buKeyTypeCode(b []byte) string {
	if len(b) != 2 {
		return ""
	}
	if b[0] == 'F' && b[1] == 'F' {
		return "FF"
	}
	if b[0] != '0' {
		return ""
	}
	const codes = "000102030405060708090A0B0C0D0E"
	for i := 0; i < len(codes); i += 2 {
		if codes[i+1] == b[1] {
			return codes[i : i+2]
		}
	}
	return ""
}

// keyLengthScheme is the key form each BU length flag requires.
func keyLengthScheme(flag byte) KeyScheme {
	switch flag {
	case '1':
		return SchemeU
	case '2':
		return SchemeT
	}
	return SchemeSingle
}

// parseBU reads BU. The optional key type (after ';') is present exactly
// when the key type code is FF, as in the payShield manual (ours: the
// contract says "required with FF"); a ';' block otherwise is the KCV-type
// block.
func parseBU(p *parser) *BU {
	r := &BU{}
	if b := p.next(&fKeyTypeCode, 2); b != nil {
		if r.KeyTypeCode = buKeyTypeCode(b); r.KeyTypeCode == "" {
			p.fail(&fKeyTypeCode, InvalidKeyTypeCode)
		}
	}
	r.KeyLengthFlag = p.char(&fKeyLenFlag, "012")
	r.Key = p.key(&fBUKey)
	if p.err == nil && r.Key.Scheme != keyLengthScheme(r.KeyLengthFlag) {
		p.fail(&fBUKey, IncompatibleKeyLength)
	}
	if r.KeyTypeCode == "FF" {
		p.delim(&fBUDelimType)
		r.KeyType = p.hex(&fBUKeyType)
	}
	if p.err == nil && p.left() > 0 && p.b[p.i] == ';' {
		p.delim(&fBUDelimOpt)
		r.Reserved1 = p.char(&fReserved1, reservedChars)
		r.Reserved2 = p.char(&fReserved2, reservedChars)
		r.KCVType = p.char(&fKCVType, "01")
	}
	p.envelope(&r.Envelope)
	return r
}

// reservedChars are the characters accepted in BU's reserved 1A fields:
// letters and digits (ours).
const reservedChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// BV answers BU with the key check value, 16H or 6H.
type BV struct {
	Status
	KCV string
}

// Code returns "BV".
func (*BV) Code() string { return "BV" }

// AppendBody appends the response body.
func (r *BV) AppendBody(dst []byte) []byte {
	dst, ok := r.appendHead(dst, "BV")
	if ok {
		dst = append(dst, r.KCV...)
	}
	return append(dst, r.Trailer...)
}

func parseBV(p *parser, st Status, h *respHint) *BV {
	r := &BV{Status: st}
	if st.Err != OK {
		return r
	}
	n := p.left()
	if h.known {
		n = 16
		if h.kcvType == '1' {
			n = 6
		}
	}
	if n != 16 && n != 6 {
		p.fail(&fKCV, InvalidInput)
		return r
	}
	f := fKCV
	f.Len = n
	r.KCV = p.hex(&f)
	return r
}
