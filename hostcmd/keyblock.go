package hostcmd

// A6 is the "import a key" request under a key-block LMK
// (hostcmd-keyblocks.md §7): a key under a ZMK as a TR-31 (R) or Thales (S)
// block, or as a variant-style cryptogram (U, T, X, Y or bare 16H) with
// the "#" attributes giving its header, becomes a key under the LMK.
type A6 struct {
	KeyType   string   // 3H; FFF under a key-block LMK
	ZMK       KeyField // S block under the LMK
	Key       KeyField // R or S block, or U/T/X/Y/16H cryptogram, under the ZMK
	SchemeLMK byte     // 'S'
	Options   KeyBlockOptions
	Envelope
}

// Code returns "A6".
func (*A6) Code() string { return "A6" }

// AppendBody appends the request body.
func (r *A6) AppendBody(dst []byte) []byte {
	dst = append(dst, "A6"...)
	dst = append(dst, r.KeyType...)
	dst = r.ZMK.AppendWire(dst)
	dst = r.Key.AppendWire(dst)
	dst = append(dst, r.SchemeLMK)
	return appendKBEnvelope(dst, &r.Envelope, &r.Options, a6Shape(r.Key.Scheme), shapeNone)
}

// a6Shape is the shape of A6's "#": the modified usage for a key block,
// the whole header for a variant-style source (hostcmd-keyblocks.md §5).
func a6Shape(s KeyScheme) attrShape {
	if s.IsKeyBlock() {
		return shapeUsage
	}
	return shapeVariantA6
}

func parseA6(p *parser) *A6 {
	r := &A6{}
	r.KeyType = p.hex(&fKeyType)
	r.ZMK = p.key(&fA6ZMK)
	r.Key = p.key(&fA6Key)
	r.SchemeLMK = p.char(&fA6SchemeLMK, "S")
	shape := a6Shape(r.Key.Scheme)
	p.kbEnvelope(&r.Envelope, &r.Options, shape, shapeNone, false)
	if p.err == nil && shape == shapeVariantA6 && r.Options.Attributes == nil {
		p.fail(&fOptAttrs, InvalidInput) // the header of a variant-style source is required
	}
	return r
}

// A7 answers A6: the key under the LMK and its 6H check value.
type A7 struct {
	Status
	KeyUnderLMK KeyField
	KCV         string // 6H
}

// Code returns "A7".
func (*A7) Code() string { return "A7" }

// AppendBody appends the response body.
func (r *A7) AppendBody(dst []byte) []byte {
	dst, ok := r.appendHead(dst, "A7")
	if ok {
		dst = r.KeyUnderLMK.AppendWire(dst)
		dst = append(dst, r.KCV...)
	}
	return append(dst, r.Trailer...)
}

func parseA7(p *parser, st Status) *A7 {
	r := &A7{Status: st}
	if st.Err != OK {
		return r
	}
	r.KeyUnderLMK = p.key(&fKeyLMK)
	r.KCV = p.hex(&fKCV6)
	return r
}

// A8 is the "export a key" request (hostcmd-keyblocks.md §8): under a
// key-block LMK (key type FFF) a key under the LMK leaves as a TR-31 (R) or
// Thales (S) block under a ZMK or TMK; under a variant LMK (a variant key
// type) it leaves as a TR-31 block whose header the "&" option gives.
type A8 struct {
	KeyType   string   // 3H; FFF under a key-block LMK, else the variant key type
	ZMKFlag   byte     // 0: no ";" flag block; '0' ZMK, '1' TMK
	ZMK       KeyField // S block under the LMK, or a variant ZMK
	Key       KeyField // S block under the LMK, or a variant key
	SchemeZMK byte     // 'R' TR-31, 'S' Thales
	Options   KeyBlockOptions
	Envelope
}

// Code returns "A8".
func (*A8) Code() string { return "A8" }

// AppendBody appends the request body.
func (r *A8) AppendBody(dst []byte) []byte {
	dst = append(dst, "A8"...)
	dst = append(dst, r.KeyType...)
	if r.ZMKFlag != 0 {
		dst = append(dst, ';', r.ZMKFlag)
	}
	dst = r.ZMK.AppendWire(dst)
	dst = r.Key.AppendWire(dst)
	dst = append(dst, r.SchemeZMK)
	return appendKBEnvelope(dst, &r.Envelope, &r.Options, shapeNone, a8Shape(r.KeyType))
}

// a8Shape is the shape of A8's "&": only N under a key-block LMK, the
// TR-31 header from a variant LMK (hostcmd-keyblocks.md §5).
func a8Shape(keyType string) attrShape {
	if keyType == "FFF" {
		return shapeExportKB
	}
	return shapeExportVariant
}

func parseA8(p *parser) *A8 {
	r := &A8{}
	r.KeyType = p.hex(&fKeyType)
	if p.left() > 0 && p.b[p.i] == ';' {
		p.delim(&fA8Delim)
		r.ZMKFlag = p.char(&fZMKFlag, "01")
	}
	r.ZMK = p.key(&fA8ZMK)
	r.Key = p.key(&fA8Key)
	r.SchemeZMK = p.char(&fA8SchemeZMK, "RS")
	shape := a8Shape(r.KeyType)
	p.kbEnvelope(&r.Envelope, &r.Options, shapeNone, shape, r.SchemeZMK == 'R')
	if p.err == nil && shape == shapeExportVariant && r.Options.Export == nil {
		p.fail(&fOptExport, InvalidInput) // the TR-31 header of a variant key is required
	}
	return r
}

// A9 answers A8: the key under the ZMK and its 6H check value.
type A9 struct {
	Status
	KeyUnderZMK KeyField
	KCV         string // 6H
}

// Code returns "A9".
func (*A9) Code() string { return "A9" }

// AppendBody appends the response body.
func (r *A9) AppendBody(dst []byte) []byte {
	dst, ok := r.appendHead(dst, "A9")
	if ok {
		dst = r.KeyUnderZMK.AppendWire(dst)
		dst = append(dst, r.KCV...)
	}
	return append(dst, r.Trailer...)
}

func parseA9(p *parser, st Status) *A9 {
	r := &A9{Status: st}
	if st.Err != OK {
		return r
	}
	r.KeyUnderZMK = p.key(&fA9Key)
	r.KCV = p.hex(&fKCV6)
	return r
}

// Fields of A6 and A8 (hostcmd-keyblocks.md §7, §8).
var (
	fA6ZMK       = FieldSpec{Name: "zmk", Type: FieldKey, Keys: keysGeneric, Secret: true, Note: "S block under the LMK"}
	fA6Key       = FieldSpec{Name: "keyUnderZmk", Type: FieldKey, Keys: KeyR | KeyS | KeySingle | KeyU | KeyT | KeyX | KeyY, Secret: true, Note: "R (TR-31) or S (Thales) block, or U/T/X/Y/16H with '#'"}
	fA6SchemeLMK = FieldSpec{Name: "keySchemeLmk", Type: FieldA, Len: 1, Err: InvalidKeyScheme, Note: "S"}
	fA8Delim     = FieldSpec{Name: "delimiter", Type: FieldDelim, Len: 1, When: "optional"}
	fA8ZMK       = FieldSpec{Name: "zmkTmk", Type: FieldKey, Keys: keysGeneric, Secret: true, Note: "S block under the LMK; a variant ZMK with a variant key type"}
	fA8Key       = FieldSpec{Name: "key", Type: FieldKey, Keys: keysGeneric, Secret: true, Note: "S block under the LMK; a variant key with a variant key type"}
	fA8SchemeZMK = FieldSpec{Name: "keySchemeZmk", Type: FieldA, Len: 1, Err: InvalidKeyScheme, Note: "R or S"}
	fA9Key       = FieldSpec{Name: "keyUnderZmk", Type: FieldKey, Keys: KeyR | KeyS, Secret: true}
)

// keyBlockErrors are the key-block codes A0, A6 and A8 may answer.
var keyBlockErrors = []Code{IncompatibleLMK, KeyBlockLMKID, KeyBlockMAC, KeyBlockLength, KeyUsageNotAllowed,
	KeyAlgorithmMismatch, ModeOfUseNotAllowed, KeyBlockVersion, ExportNotAllowed, OptionalBlockCount,
	KeyBlockHeader, OptionalBlockRefused, KBPKMismatch, RepeatedOptionalBlock}
