package simulator

import (
	"encoding/hex"
	"errors"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/keys"
)

// Firmware is the firmware number the simulator reports in NC and NO
// (9A, the payShield "nnnn-nnnn" form; the value public simulators use).
const Firmware = "0007-E000"

// HSM is the simulator's command engine without the network: it answers
// one host-command request body at a time under one LMK. It is safe for
// concurrent use; the TCP Server runs one HSM for all its connections.
type HSM struct {
	lmk   *keys.LMK // nil under a key-block LMK
	kb    *kbLMK    // nil under a variant LMK
	check string    // NC LMK check value, 16H
	cache *keyCache
}

// NewHSM returns a command engine under lmk (nil: the public test LMK).
func NewHSM(lmk *keys.LMK) *HSM {
	if lmk == nil {
		lmk = keys.TestLMK()
	}
	cv := lmk.CheckValue()
	return &HSM{
		lmk:   lmk,
		check: hexUpper(cv[:]),
		cache: newKeyCache(defaultCacheSize),
	}
}

// CheckValue returns the LMK check value the HSM reports in NC: 16H, the
// LMK pair 00-01 encrypting 8 zero bytes (hostcmd.md §3, ours).
func (h *HSM) CheckValue() string { return h.check }

// Execute answers one request: body is the request from the command code
// on (code, fields, optional %nn LMK identifier, optional 0x19 trailer; no
// length prefix, no header). It appends the response body (response code,
// error code, fields, echoed trailer) to dst and returns the extended slice.
//
// Every input gets an answer and none panics (hostcmd.md §1, §4): an
// unknown command gets its response code and 68; a malformed field 15 or
// the command's more specific code (the codes of hostcmd's command table);
// an LMK identifier other than %00 gets 13 (one LMK is loaded); a key
// with a parity error 10 when it is the first key of the command and 11
// when it is the second; a failed verification 01. An error response
// carries no fields. The trailer is echoed whenever it can be found: always
// when the request parses, and for a text command also when a field before
// it is malformed (ours). A body shorter than a command code is answered
// "ZZ15" (ours).
func (h *HSM) Execute(dst, body []byte) []byte {
	if len(body) < 2 {
		return append(dst, "ZZ15"...)
	}
	code := [2]byte{body[0], body[1]}
	req, err := hostcmd.ParseRequest(body)
	if err != nil {
		dst = hostcmd.AppendErrorResponse(dst, code, errorCode(err))
		return append(dst, findTrailer(code, body)...)
	}
	start := len(dst)
	env := hostcmd.EnvelopeOf(req) // never nil: req is a table type
	e := checkLMKID(env)
	if e == "" {
		e = h.checkLMKKind(code)
	}
	if e == "" {
		if f := handlers[hostcmd.CommandIndex(code)]; f != nil {
			dst, e = f(h, dst, req)
		} else {
			// A command of the table this simulator does not implement.
			e = hostcmd.CommandDisabled
		}
	}
	switch {
	case e != "" && e != hostcmd.OK:
		dst = hostcmd.AppendErrorResponse(dst[:start], code, e)
	case len(dst) == start:
		// A command with no response fields (the verifications).
		dst = hostcmd.AppendErrorResponse(dst, code, hostcmd.OK)
	default:
		// The handler appended a typed response with the trailer.
		return dst
	}
	return append(dst, env.Trailer...)
}

// checkLMKID answers 13 for an LMK identifier other than 00: the simulator
// holds one LMK (hostcmd.md §1).
func checkLMKID(env *hostcmd.Envelope) hostcmd.Code {
	if env.LMKID != "" && env.LMKID != "00" {
		return hostcmd.InvalidLMKID
	}
	return ""
}

// errorCode returns the HSM error code of a parse error.
func errorCode(err error) hostcmd.Code {
	var he *hostcmd.Error
	if errors.As(err, &he) && he.Code.Valid() {
		return he.Code
	}
	return hostcmd.InvalidInput
}

// findTrailer returns the trailer of a request that did not parse, when it
// can be found without parsing: in a text command, whose fields never
// contain 0x19, it starts at the first 0x19 (ours). Binary commands, and
// trailers that are not valid, give none.
func findTrailer(code [2]byte, body []byte) []byte {
	spec, ok := hostcmd.Lookup(code)
	if !ok || spec.Binary {
		return nil
	}
	for i := 2; i < len(body); i++ {
		if body[i] != 0x19 {
			continue
		}
		t := body[i:]
		if len(t)-1 > hostcmd.MaxTrailerLen {
			return nil
		}
		for _, c := range t[1:] {
			if c < 0x20 || c > 0x7E {
				return nil
			}
		}
		return t
	}
	return nil
}

// keyCode returns the HSM error code for a key that failed to decrypt: a
// parity error is 10 for the first key of a command and 11 for the second
// (hostcmd.md §3).
func keyCode(err error, position int) hostcmd.Code {
	if c := kbCode(err); c != "" {
		return c
	}
	switch {
	case errors.Is(err, keys.ErrParity):
		if position == 1 {
			return hostcmd.SourceKeyParity
		}
		return hostcmd.DestKeyParity
	case errors.Is(err, keys.ErrKeyType):
		return hostcmd.InvalidKeyTypeCode
	}
	return hostcmd.InvalidInput
}

// hexUpper returns b as upper-case hex.
func hexUpper(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&0x0F]
	}
	return string(out)
}

// unhexField decodes a hex field the parser has checked.
func unhexField(s string, dst []byte) bool {
	if hex.DecodedLen(len(s)) != len(dst) {
		return false
	}
	_, err := hex.Decode(dst, []byte(s))
	return err == nil
}
