package hostcmd

import (
	"sync"

	"github.com/payhsm/payhsm-gw/internal/redact"
)

// parser reads fields in wire order from a request or response body. The
// first failure is kept and every later read is a no-op, so a command parser
// is a straight list of reads followed by one error check.
type parser struct {
	cmd   string
	b     []byte
	i     int
	end   int // fields end here (a text response's trailer starts at end)
	err   *Error
	trace *[]string // tests only: names of the fields read, in order
}

func newParser(cmd string, b []byte, start int) parser {
	return parser{cmd: cmd, b: b, i: start, end: len(b)}
}

// parsers recycles the parsers handed to the table's parse functions: a
// parser passed through a function value escapes to the heap, one
// allocation per command on the simulator's and the client's hot paths.
var parsers = sync.Pool{New: func() any { return new(parser) }}

// getParser returns a parser from the pool set as newParser sets it.
func getParser(cmd string, b []byte, start int) *parser {
	p := parsers.Get().(*parser)
	*p = newParser(cmd, b, start)
	return p
}

// putParser returns p to the pool; p must not be used after.
func putParser(p *parser) {
	*p = parser{} // drop the body it points into
	parsers.Put(p)
}

func (p *parser) fail(f *FieldSpec, c Code) {
	if p.err == nil {
		p.err = &Error{Cmd: p.cmd, Code: c, Field: f.Name}
	}
}

// left returns the number of bytes before the end of the fields.
func (p *parser) left() int { return p.end - p.i }

// next returns the next n bytes for field f, or nil after a failure.
func (p *parser) next(f *FieldSpec, n int) []byte {
	if p.err != nil {
		return nil
	}
	if p.trace != nil {
		*p.trace = append(*p.trace, f.Name)
	}
	if n < 0 || p.end-p.i < n {
		p.fail(f, InvalidInput)
		return nil
	}
	s := p.b[p.i : p.i+n : p.i+n]
	p.i += n
	return s
}

// digits reads a fixed-length nN field.
func (p *parser) digits(f *FieldSpec) string {
	b := p.next(f, f.Len)
	if b == nil {
		return ""
	}
	if !allDigits(b) {
		p.fail(f, f.errCode())
		return ""
	}
	return string(b)
}

// secretDigits reads a fixed-length secret nN field.
func (p *parser) secretDigits(f *FieldSpec) redact.String { return redact.String(p.digits(f)) }

// num reads a fixed-length nN field as a number within lo..hi.
func (p *parser) num(f *FieldSpec, lo, hi int) int {
	b := p.next(f, f.Len)
	if b == nil {
		return 0
	}
	if !allDigits(b) {
		p.fail(f, f.errCode())
		return 0
	}
	n := smallNum(b)
	if n < lo || n > hi {
		p.fail(f, f.errCode())
		return 0
	}
	return n
}

// hexNum reads a fixed-length nH field as a number within lo..hi.
func (p *parser) hexNum(f *FieldSpec, lo, hi int) int {
	b := p.next(f, f.Len)
	if b == nil {
		return 0
	}
	for _, c := range b {
		if !isHex(c) {
			p.fail(f, f.errCode())
			return 0
		}
	}
	n := hexNum(b)
	if n < lo || n > hi {
		p.fail(f, f.errCode())
		return 0
	}
	return n
}

// hex reads a fixed-length nH field, upper-cased.
func (p *parser) hex(f *FieldSpec) string {
	b := p.next(f, f.Len)
	if b == nil {
		return ""
	}
	s, ok := upperHex(b)
	if !ok {
		p.fail(f, f.errCode())
	}
	return s
}

// secretHex reads a fixed-length secret nH field.
func (p *parser) secretHex(f *FieldSpec) redact.String { return redact.String(p.hex(f)) }

// text reads a fixed-length nA field of printable characters.
func (p *parser) text(f *FieldSpec) string {
	b := p.next(f, f.Len)
	if b == nil {
		return ""
	}
	for _, c := range b {
		if !isPrint(c) {
			p.fail(f, f.errCode())
			return ""
		}
	}
	return string(b)
}

// char reads a one-character field whose value must be in allowed.
func (p *parser) char(f *FieldSpec, allowed string) byte {
	b := p.next(f, 1)
	if b == nil {
		return 0
	}
	for i := 0; i < len(allowed); i++ {
		if allowed[i] == b[0] {
			return b[0]
		}
	}
	p.fail(f, f.errCode())
	return 0
}

// bytes reads n raw bytes (a copy).
func (p *parser) bytes(f *FieldSpec, n int) []byte {
	b := p.next(f, n)
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// fixed reads len(dst) raw bytes into dst.
func (p *parser) fixed(f *FieldSpec, dst []byte) {
	if b := p.next(f, len(dst)); b != nil {
		copy(dst, b)
	}
}

// delim reads the literal ';'.
func (p *parser) delim(f *FieldSpec) {
	b := p.next(f, 1)
	if b != nil && b[0] != ';' {
		p.fail(f, f.errCode())
	}
}

// key reads a key field.
func (p *parser) key(f *FieldSpec) KeyField {
	if p.err != nil {
		return KeyField{}
	}
	if p.trace != nil {
		*p.trace = append(*p.trace, f.Name)
	}
	k, n, c := ParseKeyField(p.b[p.i:p.end], f.Keys)
	if c != OK {
		p.fail(f, c)
		return KeyField{}
	}
	p.i += n
	return k
}

// pinFormat reads a 2N PIN block format code; an unsupported code gives 23.
func (p *parser) pinFormat(f *FieldSpec) string {
	b := p.next(f, 2)
	if b == nil {
		return ""
	}
	if s := knownPINFormat(b); s != "" {
		return s
	}
	p.fail(f, InvalidPINFormat)
	return ""
}

// PIN block format codes accepted by the contract (hostcmd.md §2). Format 48
// (ISO 9564-1 format 4, AES) is listed as "later" and answers 23 for now.
const (
	FormatISO0    = "01" // ISO 9564-1 format 0 (ANSI X9.8)
	FormatIBM3624 = "03" // IBM 3624: PIN + F padding, no PAN
	FormatISO1    = "05" // ISO 9564-1 format 1
	FormatISO2    = "34" // ISO 9564-1 format 2
	FormatISO3    = "47" // ISO 9564-1 format 3
)

// knownPINFormat returns the interned format code or "".
func knownPINFormat(b []byte) string {
	if len(b) != 2 {
		return ""
	}
	switch string(b) { // no allocation: compiler-recognised comparison
	case FormatISO0:
		return FormatISO0
	case FormatIBM3624:
		return FormatIBM3624
	case FormatISO1:
		return FormatISO1
	case FormatISO2:
		return FormatISO2
	case FormatISO3:
		return FormatISO3
	}
	return ""
}

// run returns the length of the run of bytes from i (up to end) for which ok holds.
func (p *parser) run(ok func(byte) bool) int {
	n := 0
	for p.i+n < p.end && ok(p.b[p.i+n]) {
		n++
	}
	return n
}

// envelope reads the optional "%nn" LMK identifier and 0x19 trailer that
// end every request (hostcmd.md §1); anything else left over is an error.
func (p *parser) envelope(e *Envelope) {
	if p.err != nil {
		return
	}
	b := p.b[p.i:]
	if len(b) > 0 && b[0] == '%' {
		if len(b) < 3 || !isDigit(b[1]) || !isDigit(b[2]) {
			p.fail(&fLMKID, InvalidLMKID)
			return
		}
		e.LMKID = lmkID(b[1:3])
		b = b[3:]
	}
	e.Trailer = p.trailer(b)
	p.i = len(p.b)
}

// trailer checks that b is empty or a valid trailer and returns it.
func (p *parser) trailer(b []byte) Trailer {
	if p.err != nil || len(b) == 0 {
		return ""
	}
	if b[0] != 0x19 {
		p.fail(&fTrailing, InvalidInput)
		return ""
	}
	if !validTrailerText(b[1:]) {
		p.fail(&fTrailer, InvalidInput)
		return ""
	}
	return Trailer(b)
}

func validTrailerText(t []byte) bool {
	if len(t) > MaxTrailerLen {
		return false
	}
	for _, c := range t {
		if !isPrint(c) {
			return false
		}
	}
	return true
}

func lmkID(b []byte) string {
	if b[0] == '0' && b[1] == '0' {
		return "00"
	}
	return string(b)
}

// Pseudo-fields of the common envelope, named in errors.
var (
	fLMKID    = FieldSpec{Name: "lmkId", Type: FieldN, Len: 2, Err: InvalidLMKID, When: "optional, after '%'", Note: "one LMK loaded: only 00"}
	fTrailer  = FieldSpec{Name: "trailer", Type: FieldA, MaxLen: MaxTrailerLen, When: "optional, after 0x19"}
	fTrailing = FieldSpec{Name: "trailingData", Type: FieldA, Note: "bytes after the last field that are neither %nn nor a trailer"}
)
