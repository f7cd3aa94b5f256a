package tr31

import (
	"strconv"
	"strings"
)

// Version is a key block version ID, the first character of the header.
type Version byte

// The versions this package implements.
const (
	// VersionA is TR-31 version A: Triple DES, key variant binding
	// (deprecated; same mathematics as C).
	VersionA Version = 'A'
	// VersionB is TR-31 version B: Triple DES, CMAC key derivation binding.
	VersionB Version = 'B'
	// VersionC is TR-31 version C: Triple DES, key variant binding.
	VersionC Version = 'C'
	// VersionD is TR-31 / X9.143 version D: AES, CMAC key derivation binding.
	VersionD Version = 'D'
	// ThalesTDES is Thales key block version 0: protected by a Triple DES
	// key-block LMK, with the binding of TR-31 A/C.
	ThalesTDES Version = '0'
	// ThalesAES is Thales key block version 1: protected by an AES
	// key-block LMK, keys derived as in TR-31 D, encrypt-then-MAC.
	ThalesAES Version = '1'
)

// Thales reports whether v is a Thales key block version (0 or 1).
func (v Version) Thales() bool { return v == ThalesTDES || v == ThalesAES }

// TR31 reports whether v is a TR-31 version (A, B, C or D).
func (v Version) TR31() bool { return v >= VersionA && v <= VersionD }

// BlockSize returns the cipher block size of v in bytes: 8 for Triple DES
// versions, 16 for AES versions, 0 for an unknown version. The header and
// the payload are multiples of it.
func (v Version) BlockSize() int {
	switch v {
	case VersionA, VersionB, VersionC, ThalesTDES:
		return 8
	case VersionD, ThalesAES:
		return 16
	}
	return 0
}

// MACLen returns the length in bytes of the MAC (authenticator) at the end
// of a block of version v: 4 for A, C and Thales 0, 8 for B and Thales 1,
// 16 for D; 0 for an unknown version.
func (v Version) MACLen() int {
	switch v {
	case VersionA, VersionC, ThalesTDES:
		return 4
	case VersionB, ThalesAES:
		return 8
	case VersionD:
		return 16
	}
	return 0
}

// KBPKAlgorithm returns the algorithm of the key that protects a block of
// version v: 'T' (Triple DES) for A, B, C and Thales 0, 'A' (AES) for D and
// Thales 1, 0 for an unknown version.
func (v Version) KBPKAlgorithm() byte {
	switch v {
	case VersionA, VersionB, VersionC, ThalesTDES:
		return 'T'
	case VersionD, ThalesAES:
		return 'A'
	}
	return 0
}

// String returns the version ID as a one-character string.
func (v Version) String() string { return string(rune(v)) }

// HeaderLen is the length of the fixed part of a header.
const HeaderLen = 16

// Header is a key block header: the 16 fixed characters and the optional
// blocks. Its fields hold what the wire holds, as ASCII.
type Header struct {
	Version       Version
	KeyUsage      string // 2 characters: TR-31 code ("P0", "K0") or Thales numeric ("72")
	Algorithm     byte   // 'A' AES, 'D' DES, 'E' EC, 'H' HMAC, 'R' RSA, 'S' DSA, 'T' Triple DES
	ModeOfUse     byte   // 'B', 'C', 'D', 'E', 'G', 'N', 'S', 'T', 'V', 'X', 'Y'
	KeyVersion    string // 2 characters; "00" when unused, "c1".."c9" for a component
	Exportability byte   // 'E' trusted export, 'N' none, 'S' sensitive

	// TR-31 only, header bytes 14 and 15: the key context ('0' in
	// TR-31:2018; X9.143 '0' by wrapping key, '1' storage, '2' exchange)
	// and a reserved '0'. Zero values are written as '0'.
	KeyContext byte
	Reserved   byte

	// Thales only, header bytes 14-15: the LMK identifier, "00".."19" for
	// the slot of the LMK that protects the block, "FF" on a block the HSM
	// exported.
	LMKID string

	// Blocks are the optional blocks in wire order. Marshal and Wrap drop
	// any PB block given here and append the one the alignment needs.
	Blocks []Block
}

// Block is one optional block: a two-character ID ("KS", "KV", "PB", or a
// Thales numeric "00".."05") and its data, printable ASCII.
type Block struct {
	ID   string
	Data string
}

// Block returns the data of the first optional block with ID id and
// whether there is one.
func (h *Header) Block(id string) (string, bool) {
	for _, b := range h.Blocks {
		if b.ID == id {
			return b.Data, true
		}
	}
	return "", false
}

// ParseHeader parses the header at the start of key block kb: the fixed 16
// characters and the optional blocks the header announces. It returns the
// header, the header's length n (kb[:n] is what the MAC covers) and the
// block length the header declares (kb itself may be just the header).
// Thales blocks are parsed without their "S" tag.
//
// Parsing is lenient, as a receiver must be with real payShield output
// (TR-31:2018 blocks, not X9.143): key usage, algorithm, mode of use,
// key version, exportability and bytes 14-15 may hold any alphanumeric
// character, optional block data any printable ASCII, lower-case hex is
// accepted in lengths, and an extended optional block length (length field
// "00") is read as a count of hex characters (X9.143 table 1, as
// openemv/tr31 and moov-io/tr31 read it) or, when that does not fit, of
// bytes (as psec does). What it refuses: a version other than A-D and 0-1
// (ErrVersion), non-digits in the length or block count, a block ID that
// is not two alphanumeric characters, a block length that is not hex or
// runs past the header, data that is not printable, a repeated block ID,
// and for Thales blocks an LMK ID that is neither two digits nor "FF"
// (ErrHeader).
func ParseHeader(kb string) (h Header, n, declared int, err error) {
	if len(kb) < 1 {
		return h, 0, 0, headerErr("version", 0, "key block is empty")
	}
	h.Version = Version(kb[0])
	if !h.Version.TR31() && !h.Version.Thales() {
		return h, 0, 0, &Error{Err: ErrVersion, Field: "version", Offset: 0}
	}
	if len(kb) < HeaderLen {
		return h, 0, 0, headerErr("header", 0, "shorter than 16 characters")
	}
	declared, ok := atoiN(kb[1:5])
	if !ok {
		return h, 0, 0, headerErr("block length", 1, "not 4 decimal digits")
	}
	h.KeyUsage = kb[5:7]
	h.Algorithm = kb[7]
	h.ModeOfUse = kb[8]
	h.KeyVersion = kb[9:11]
	h.Exportability = kb[11]
	for _, f := range [...]struct {
		name     string
		off, end int
	}{{"key usage", 5, 7}, {"algorithm", 7, 8}, {"mode of use", 8, 9}, {"key version", 9, 11}, {"exportability", 11, 12}} {
		if !alnum(kb[f.off:f.end]) {
			return h, 0, 0, headerErr(f.name, f.off, "not alphanumeric")
		}
	}
	nopt, ok := atoiN(kb[12:14])
	if !ok {
		return h, 0, 0, headerErr("number of optional blocks", 12, "not 2 decimal digits")
	}
	if h.Version.Thales() {
		h.LMKID = kb[14:16]
		if !validLMKID(h.LMKID) {
			return h, 0, 0, headerErr("LMK ID", 14, "neither 2 decimal digits nor FF")
		}
	} else {
		h.KeyContext, h.Reserved = kb[14], kb[15]
		if !alnum(kb[14:16]) {
			return h, 0, 0, headerErr("key context", 14, "not alphanumeric")
		}
	}
	n = HeaderLen
	if nopt > 0 {
		h.Blocks = make([]Block, 0, nopt)
	}
	for range nopt {
		b, next, err := parseBlock(kb, n)
		if err != nil {
			return h, 0, 0, err
		}
		for _, prev := range h.Blocks {
			if prev.ID == b.ID {
				return h, 0, 0, &Error{Err: ErrRepeatedBlock, Field: "optional block " + b.ID, Offset: n}
			}
		}
		h.Blocks = append(h.Blocks, b)
		n = next
	}
	return h, n, declared, nil
}

// parseBlock parses the optional block at kb[off:] and returns it and the
// offset after it.
func parseBlock(kb string, off int) (Block, int, error) {
	if len(kb)-off < 2 || !alnum(kb[off:off+2]) {
		return Block{}, 0, headerErr("optional block ID", off, "not 2 alphanumeric characters")
	}
	id := kb[off : off+2]
	field := "optional block " + id
	if len(kb)-off < 4 {
		return Block{}, 0, headerErr(field, off, "length missing")
	}
	l, ok := hexN(kb[off+2 : off+4])
	if !ok {
		return Block{}, 0, headerErr(field, off, "length is not 2 hex digits")
	}
	dataOff := off + 4
	if l == 0 {
		var err error
		l, dataOff, err = extendedLength(kb, off, field)
		if err != nil {
			return Block{}, 0, err
		}
	} else if l < 4 {
		return Block{}, 0, headerErr(field, off, "length shorter than its ID and length")
	}
	end := off + l
	if end > len(kb) {
		return Block{}, 0, headerErr(field, off, "runs past the end of the key block")
	}
	data := kb[dataOff:end]
	if !printable(data) {
		return Block{}, 0, headerErr(field, off, "data is not printable ASCII")
	}
	return Block{ID: id, Data: data}, end, nil
}

// extendedLength reads the extended length of the block at kb[off:] (length
// field "00", then 2 hex digits "length of length", then the length). The
// length of length counts hex characters (X9.143, openemv/tr31, moov-io);
// when that reading gives a length that cannot be right, it is read as a
// count of bytes (psec). It returns the block's total length and the offset
// of its data.
func extendedLength(kb string, off int, field string) (int, int, error) {
	if len(kb)-off < 6 {
		return 0, 0, headerErr(field, off, "extended length missing")
	}
	ll, ok := hexN(kb[off+4 : off+6])
	if !ok {
		return 0, 0, headerErr(field, off, "length of length is not 2 hex digits")
	}
	if ll == 0 {
		return 0, 0, headerErr(field, off, "length of length is 0")
	}
	for _, chars := range [2]int{ll, 2 * ll} {
		dataOff := off + 6 + chars
		if chars > 8 || dataOff > len(kb) {
			continue
		}
		l, ok := hexN(kb[off+6 : dataOff])
		if ok && l >= dataOff-off && off+l <= len(kb) {
			return l, dataOff, nil
		}
	}
	return 0, 0, headerErr(field, off, "extended length is not hex or does not fit")
}

// Marshal returns the header as it goes on the wire, with a block length
// field of its own length plus bodyLen (the characters that follow it: hex
// ciphertext and hex MAC), the count of optional blocks, and a PB block
// (filled with '0') that pads the header to a multiple of the version's
// cipher block; a PB block in h.Blocks is dropped and recomputed. Errors
// wrap ErrVersion or ErrHeader (a field of the wrong length or with a
// character that is not allowed, data that is not printable, too many
// blocks, a length over 9999).
func (h Header) Marshal(bodyLen int) (string, error) {
	bs := h.Version.BlockSize()
	if bs == 0 {
		return "", &Error{Err: ErrVersion, Field: "version", Offset: 0}
	}
	if len(h.KeyUsage) != 2 || !alnum(h.KeyUsage) {
		return "", headerErr("key usage", 5, "not 2 alphanumeric characters")
	}
	if len(h.KeyVersion) != 2 || !alnum(h.KeyVersion) {
		return "", headerErr("key version", 9, "not 2 alphanumeric characters")
	}
	for _, f := range [...]struct {
		name string
		off  int
		c    byte
	}{{"algorithm", 7, h.Algorithm}, {"mode of use", 8, h.ModeOfUse}, {"exportability", 11, h.Exportability}} {
		if !alnum(string(f.c)) {
			return "", headerErr(f.name, f.off, "not alphanumeric")
		}
	}
	var tail string
	if h.Version.Thales() {
		if !validLMKID(h.LMKID) {
			return "", headerErr("LMK ID", 14, "neither 2 decimal digits nor FF")
		}
		tail = h.LMKID
	} else {
		tail = string([]byte{orZero(h.KeyContext), orZero(h.Reserved)})
		if !alnum(tail) {
			return "", headerErr("key context", 14, "not alphanumeric")
		}
	}
	var opt strings.Builder
	count := 0
	for _, b := range h.Blocks {
		if b.ID == "PB" {
			continue
		}
		if len(b.ID) != 2 || !alnum(b.ID) {
			return "", headerErr("optional block ID", -1, "not 2 alphanumeric characters")
		}
		if !printable(b.Data) {
			return "", headerErr("optional block "+b.ID, -1, "data is not printable ASCII")
		}
		writeBlock(&opt, b)
		count++
	}
	if pad := (HeaderLen + opt.Len()) % bs; pad != 0 {
		pad = bs - pad
		if pad < 4 {
			pad += bs
		}
		opt.WriteString("PB" + hex2(pad) + strings.Repeat("0", pad-4))
		count++
	}
	if count > 99 {
		return "", headerErr("number of optional blocks", 12, "more than 99")
	}
	total := HeaderLen + opt.Len() + bodyLen
	if total > 9999 || bodyLen < 0 {
		return "", lengthErr("block length", 1, "over 9999 characters")
	}
	var sb strings.Builder
	sb.Grow(HeaderLen + opt.Len())
	sb.WriteByte(byte(h.Version))
	sb.WriteString(pad4(total))
	sb.WriteString(h.KeyUsage)
	sb.WriteByte(h.Algorithm)
	sb.WriteByte(h.ModeOfUse)
	sb.WriteString(h.KeyVersion)
	sb.WriteByte(h.Exportability)
	if count < 10 {
		sb.WriteByte('0')
	}
	sb.WriteString(strconv.Itoa(count))
	sb.WriteString(tail)
	sb.WriteString(opt.String())
	return sb.String(), nil
}

// writeBlock writes b with a 2-hex-digit length, or the extended form
// ("00", "04", 4 hex digits) when it does not fit in 255.
func writeBlock(sb *strings.Builder, b Block) {
	sb.WriteString(b.ID)
	if l := 4 + len(b.Data); l <= 0xFF {
		sb.WriteString(hex2(l))
	} else {
		sb.WriteString("0004")
		l = 10 + len(b.Data)
		sb.WriteString(hex2(l >> 8))
		sb.WriteString(hex2(l & 0xFF))
	}
	sb.WriteString(b.Data)
}

func orZero(c byte) byte {
	if c == 0 {
		return '0'
	}
	return c
}

func validLMKID(s string) bool {
	if len(s) != 2 {
		return false
	}
	return s == "FF" || s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9'
}

// atoiN parses s as unsigned decimal digits only.
func atoiN(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// hexN parses s as hex digits (either case) only.
func hexN(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		default:
			return 0, false
		}
		n = n<<4 | int(d)
	}
	return n, true
}

const hexDigits = "0123456789ABCDEF"

func hex2(n int) string { return string([]byte{hexDigits[n>>4&0xF], hexDigits[n&0xF]}) }

func pad4(n int) string {
	s := strconv.Itoa(n)
	return strings.Repeat("0", 4-len(s)) + s
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return len(s) > 0
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return false
		}
	}
	return true
}
