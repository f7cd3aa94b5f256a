package simulator

import (
	"github.com/payhsm/payhsm-gw/hostcmd"
)

// trailerDelim ends the command fields; what follows (up to 32 characters)
// is echoed back (hostcmd.md §1).
const (
	trailerDelim  = 0x19
	maxTrailerLen = 32
)

// request is a cursor over the fields of one request body after its code.
// Fields are read by their declared lengths, never by searching for a
// delimiter, because KQ, KW and B2 carry binary data (hostcmd.md §1).
type request struct {
	cmd     [2]byte
	b       []byte // unread fields
	trailer []byte // set by finish: delimiter + trailer, echoed
}

// take returns the next n bytes, or ok == false if fewer remain.
func (r *request) take(n int) ([]byte, bool) {
	if n < 0 || len(r.b) < n {
		return nil, false
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v, true
}

// peek returns the next byte, or 0 at the end.
func (r *request) peek() byte {
	if len(r.b) == 0 {
		return 0
	}
	return r.b[0]
}

// atEnd reports whether the command fields are spent: nothing remains but
// an optional LMK identifier and trailer.
func (r *request) atEnd() bool {
	return len(r.b) == 0 || r.b[0] == '%' || r.b[0] == trailerDelim
}

// rest returns the bytes up to the LMK identifier or trailer (the last field
// of a command whose last field has no declared length, such as a PIN under
// the LMK). Only for text fields.
func (r *request) rest() []byte {
	i := 0
	for i < len(r.b) && r.b[i] != '%' && r.b[i] != trailerDelim {
		i++
	}
	v := r.b[:i:i]
	r.b = r.b[i:]
	return v
}

// finish checks what follows the last field: nothing, or "%" + LMK
// identifier (only "00": one LMK is loaded, else 13), then optionally the
// trailer delimiter and at most 32 characters (hostcmd.md §1). Anything
// else is 15.
func (r *request) finish() hostcmd.Code {
	b := r.b
	if len(b) > 0 && b[0] == '%' {
		if len(b) < 3 || !isDigits(b[1:3]) {
			return hostcmd.InvalidInput
		}
		if b[1] != '0' || b[2] != '0' {
			return hostcmd.InvalidLMKID
		}
		b = b[3:]
	}
	if len(b) > 0 {
		if b[0] != trailerDelim || len(b)-1 > maxTrailerLen {
			return hostcmd.InvalidInput
		}
		r.trailer = b
	}
	r.b = nil
	return ""
}

// appendTrailer appends the echoed trailer, if the request had one.
func (r *request) appendTrailer(dst []byte) []byte {
	return append(dst, r.trailer...)
}

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// hexLen reads an n-character hexadecimal length field (either case).
func (r *request) hexLen(n int) (int, bool) {
	b, ok := r.take(n)
	if !ok {
		return 0, false
	}
	v := 0
	for _, c := range b {
		d, ok := hexVal(c)
		if !ok {
			return 0, false
		}
		v = v<<4 | int(d)
	}
	return v, true
}

// hexVal returns the value of one hex digit, either case.
func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
