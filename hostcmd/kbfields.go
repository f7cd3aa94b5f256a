package hostcmd

// Key-block options of A0, A6 and A8 (hostcmd-keyblocks.md §5): after the
// last field and the optional %nn come "#" attributes, "&" export
// attributes and "!" TR-31 version, each at most once and in that order,
// then the trailer.

// OptionalBlock is one optional key-block header block as the "#" option
// carries it: ID 2A, length 2H counting ID, length and data, data.
type OptionalBlock struct {
	ID   string
	Data string
}

// KeyAttributes are the fields of a "#" or "&" option. Which fields are
// present depends on the command and the key's scheme (attrShape); the
// zero value of a field means absent.
type KeyAttributes struct {
	Usage         string          // 2A key usage
	Algorithm     string          // 2A: D1, T2, T3, A1, A2, A3 (A0 only)
	ModeOfUse     byte            // 1A
	KeyVersion    string          // 2A
	Exportability byte            // 1A: E, N or S
	Blocks        []OptionalBlock // count 2N then the blocks
}

// attrShape says which fields an option holds.
type attrShape uint8

const (
	shapeNone          attrShape = iota
	shapeA0                      // A0 "#": usage, algorithm, mode, version, exportability, blocks (00..08; PB refused)
	shapeUsage                   // A6 "#" for an R/S source: usage, blocks (00..06; KS, KV, PB refused)
	shapeExportKB                // "&" under a key-block LMK: exportability, only N
	shapeVariantA6               // A6 "#" for a U/T/X/Y/16H source: usage, mode, version, exportability, blocks (00..08; PB refused)
	shapeExportVariant           // A8 "&" from a variant LMK to TR-31: usage, mode, version, exportability, blocks (00..02; only KS, KV)
)

// KeyBlockOptions are the "#", "&" and "!" options of a key command.
type KeyBlockOptions struct {
	Attributes *KeyAttributes // "#"; nil absent
	Export     *KeyAttributes // "&"; nil absent
	Version    byte           // "!" TR-31 version A-D; 0 absent
}

// Pseudo-fields of the options, named in errors.
var (
	fOptAttrs   = FieldSpec{Name: "keyBlockAttributes", Type: FieldA, When: "after '#'"}
	fOptExport  = FieldSpec{Name: "exportAttributes", Type: FieldA, When: "after '&'"}
	fOptVersion = FieldSpec{Name: "tr31Version", Type: FieldA, Len: 1, Err: KeyBlockVersion, When: "after '!'"}
)

// kbEnvelope reads [%nn] [#attrs] [&export] [!version] [trailer]: the
// options are read only where the shape allows them (shapeNone: not at all;
// bang: "!" allowed).
func (p *parser) kbEnvelope(e *Envelope, o *KeyBlockOptions, hash, amp attrShape, bang bool) {
	if p.err != nil {
		return
	}
	if p.left() > 0 && p.b[p.i] == '%' {
		b := p.b[p.i:]
		if len(b) < 3 || !isDigit(b[1]) || !isDigit(b[2]) {
			p.fail(&fLMKID, InvalidLMKID)
			return
		}
		e.LMKID = lmkID(b[1:3])
		p.i += 3
	}
	if hash != shapeNone && p.left() > 0 && p.b[p.i] == '#' {
		p.i++
		o.Attributes = p.attrs(&fOptAttrs, hash)
	}
	if amp != shapeNone && p.left() > 0 && p.b[p.i] == '&' {
		p.i++
		o.Export = p.attrs(&fOptExport, amp)
	}
	if bang && p.err == nil && p.left() > 0 && p.b[p.i] == '!' {
		p.i++
		if v := p.optText(&fOptVersion, 1); v != "" {
			if v[0] < 'A' || v[0] > 'D' {
				p.fail(&fOptVersion, KeyBlockVersion)
				return
			}
			o.Version = v[0]
		}
	}
	if p.err != nil {
		return
	}
	e.Trailer = p.trailer(p.b[p.i:])
	p.i = len(p.b)
}

// optText reads n printable characters of option f; a short or
// unprintable option is 15.
func (p *parser) optText(f *FieldSpec, n int) string {
	if p.err != nil {
		return ""
	}
	if p.left() < n {
		p.fail(f, InvalidInput)
		return ""
	}
	b := p.b[p.i : p.i+n]
	for _, c := range b {
		if !isPrint(c) {
			p.fail(f, InvalidInput)
			return ""
		}
	}
	p.i += n
	return string(b)
}

// attrs reads one option of the given shape.
func (p *parser) attrs(f *FieldSpec, shape attrShape) *KeyAttributes {
	a := &KeyAttributes{}
	switch shape {
	case shapeExportKB:
		s := p.optText(f, 1)
		if p.err == nil && s != "N" {
			p.fail(f, ExportNotAllowed)
		}
		if s != "" {
			a.Exportability = s[0]
		}
		return a
	case shapeA0:
		a.Usage = p.optText(f, 2)
		a.Algorithm = p.optText(f, 2)
		if m := p.optText(f, 1); m != "" {
			a.ModeOfUse = m[0]
		}
		a.KeyVersion = p.optText(f, 2)
		if x := p.optText(f, 1); x != "" {
			a.Exportability = x[0]
		}
		a.Blocks = p.optBlocks(f, 8, "PB")
	case shapeUsage:
		a.Usage = p.optText(f, 2)
		a.Blocks = p.optBlocks(f, 6, "KSKVPB")
	case shapeVariantA6, shapeExportVariant:
		a.Usage = p.optText(f, 2)
		if m := p.optText(f, 1); m != "" {
			a.ModeOfUse = m[0]
		}
		a.KeyVersion = p.optText(f, 2)
		if x := p.optText(f, 1); x != "" {
			a.Exportability = x[0]
		}
		if shape == shapeVariantA6 {
			a.Blocks = p.optBlocks(f, 8, "PB")
			break
		}
		a.Blocks = p.optBlocks(f, 2, "")
		for _, b := range a.Blocks {
			if b.ID != "KS" && b.ID != "KV" {
				p.fail(f, OptionalBlockRefused)
				return a
			}
		}
	}
	return a
}

// optBlocks reads a 2N block count (at most maxN, else AB) and that many
// blocks; an ID in refused (a list of 2-character IDs) is B3, a repeated
// ID BC.
func (p *parser) optBlocks(f *FieldSpec, maxN int, refused string) []OptionalBlock {
	c := p.optText(f, 2)
	if p.err != nil {
		return nil
	}
	if !allDigits([]byte(c)) {
		p.fail(f, InvalidInput)
		return nil
	}
	n := smallNum([]byte(c))
	if n > maxN {
		p.fail(f, OptionalBlockCount)
		return nil
	}
	blocks := make([]OptionalBlock, 0, n)
	for range n {
		id := p.optText(f, 2)
		l := p.optText(f, 2)
		if p.err != nil {
			return nil
		}
		bl := []byte(l)
		if !isHex(bl[0]) || !isHex(bl[1]) || hexNum(bl) < 4 {
			p.fail(f, KeyBlockHeader)
			return nil
		}
		data := p.optText(f, hexNum(bl)-4)
		if p.err != nil {
			return nil
		}
		for i := 0; i+2 <= len(refused); i += 2 {
			if refused[i:i+2] == id {
				p.fail(f, OptionalBlockRefused)
				return nil
			}
		}
		for _, b := range blocks {
			if b.ID == id {
				p.fail(f, RepeatedOptionalBlock)
				return nil
			}
		}
		blocks = append(blocks, OptionalBlock{ID: id, Data: data})
	}
	return blocks
}

// appendAttrs appends an option's fields in the given shape.
func appendAttrs(dst []byte, a *KeyAttributes, shape attrShape) []byte {
	switch shape {
	case shapeExportKB:
		return append(dst, a.Exportability)
	case shapeA0:
		dst = append(dst, a.Usage...)
		dst = append(dst, a.Algorithm...)
		dst = append(dst, a.ModeOfUse)
		dst = append(dst, a.KeyVersion...)
		dst = append(dst, a.Exportability)
	case shapeUsage:
		dst = append(dst, a.Usage...)
	case shapeVariantA6, shapeExportVariant:
		dst = append(dst, a.Usage...)
		dst = append(dst, a.ModeOfUse)
		dst = append(dst, a.KeyVersion...)
		dst = append(dst, a.Exportability)
	}
	dst = appendNum(dst, len(a.Blocks), 2)
	for _, b := range a.Blocks {
		dst = append(dst, b.ID...)
		dst = appendHexNum(dst, 4+len(b.Data), 2)
		dst = append(dst, b.Data...)
	}
	return dst
}

// appendKBEnvelope appends [%nn] [#] [&] [!] [trailer].
func appendKBEnvelope(dst []byte, e *Envelope, o *KeyBlockOptions, hash, amp attrShape) []byte {
	if e.LMKID != "" {
		dst = append(dst, '%')
		dst = append(dst, e.LMKID...)
	}
	if o.Attributes != nil && hash != shapeNone {
		dst = append(dst, '#')
		dst = appendAttrs(dst, o.Attributes, hash)
	}
	if o.Export != nil && amp != shapeNone {
		dst = append(dst, '&')
		dst = appendAttrs(dst, o.Export, amp)
	}
	if o.Version != 0 {
		dst = append(dst, '!', o.Version)
	}
	return append(dst, e.Trailer...)
}
