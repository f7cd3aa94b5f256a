package hostcmd

// HeaderIDs maps request ids to message headers and back, for a client
// that matches answers to requests by header: the id is written in base
// 62 (digits, then upper- and lower-case letters), right-aligned and
// '0'-padded, in the last characters of the header (ours).
type HeaderIDs struct {
	idLen int    // header characters that carry the id
	space uint64 // distinct ids: 62^idLen
}

// headerAlphabet is the set of characters of generated headers (ours:
// letters and digits, printable in any log).
const headerAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// maxIDChars keeps 62^n within a uint64.
const maxIDChars = 10

// NewHeaderIDs returns the ids of headers headerLen characters long.
func NewHeaderIDs(headerLen int) HeaderIDs {
	h := HeaderIDs{idLen: min(headerLen, maxIDChars), space: 1}
	for range h.idLen {
		h.space *= uint64(len(headerAlphabet))
	}
	return h
}

// Space is the number of distinct ids (1 for a header of length 0).
func (h HeaderIDs) Space() uint64 { return h.space }

// Put writes id, which must be below Space, as the header dst.
func (h HeaderIDs) Put(dst []byte, id uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = headerAlphabet[id%uint64(len(headerAlphabet))]
		id /= uint64(len(headerAlphabet))
	}
}

// headerDigits maps a byte to its value in headerAlphabet, or to 0xFF.
// A table, not a switch: the characters of successive headers vary
// unpredictably, and branches on them cost the pool's reader more than
// the rest of a match (ours, BenchmarkWindowAddMatch).
var headerDigits = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xFF
	}
	for i := range len(headerAlphabet) {
		t[headerAlphabet[i]] = byte(i)
	}
	return t
}()

// ID reverses Put; ok is false for a header Put cannot have written.
func (h HeaderIDs) ID(hdr []byte) (id uint64, ok bool) {
	pad := max(len(hdr)-h.idLen, 0)
	for _, b := range hdr[:pad] {
		if b != '0' {
			return 0, false
		}
	}
	for _, b := range hdr[pad:] {
		d := headerDigits[b]
		if d == 0xFF {
			return 0, false
		}
		id = id*uint64(len(headerAlphabet)) + uint64(d)
	}
	return id, true
}
