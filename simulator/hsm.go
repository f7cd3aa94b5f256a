package simulator

import (
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/keys"
)

// Firmware is the firmware number the simulator reports in NC and NO
// (9A, the payShield "nnnn-nnnn" form; the value public simulators use).
const Firmware = "0007-E000"

// HSM is the simulator's command engine without the network: it answers one
// host-command request body at a time under one LMK. It is safe for
// concurrent use; the TCP Server runs one HSM for all its connections.
type HSM struct {
	lmk   *keys.LMK
	check string // NC LMK check value, 16H
}

// NewHSM returns a command engine under lmk (nil: the public test LMK).
func NewHSM(lmk *keys.LMK) *HSM {
	if lmk == nil {
		lmk = keys.TestLMK()
	}
	return &HSM{lmk: lmk, check: lmk.CheckValue()}
}

// CheckValue returns the LMK check value the HSM reports in NC: 16H, the
// LMK pair 00-01 encrypting 8 zero bytes (hostcmd.md §3, ours).
func (h *HSM) CheckValue() string { return h.check }

// Execute answers one request: body is the request from the command code on
// (code, fields, optional %nn LMK identifier, optional 0x19 trailer, no
// length prefix and no header). It appends the response body (response code,
// error code, fields, echoed trailer) to dst and returns the extended slice.
// Any input gives an answer and none panics: an unknown command gets its
// response code and 68, a malformed field 15 or the command's more specific
// code (hostcmd.md §1, §4). A body shorter than a command code gets "ZZ15"
// (ours).
func (h *HSM) Execute(dst, body []byte) []byte {
	if len(body) < 2 {
		return append(dst, "ZZ15"...)
	}
	code := [2]byte{body[0], body[1]}
	r := request{cmd: code, b: body[2:]}
	start := len(dst)
	rc := hostcmd.ResponseCode(code)
	dst = append(dst, rc[0], rc[1], '0', '0')
	var e hostcmd.Code
	switch string(code[:]) {
	case "NC":
		dst, e = h.diagnostics(dst, &r)
	case "NO":
		dst, e = h.status(dst, &r)
	case "B2":
		dst, e = h.echo(dst, &r)
	default:
		e = hostcmd.CommandDisabled
	}
	if e == "" {
		e = r.finish()
	}
	if e != "" && e != hostcmd.OK {
		dst = append(dst[:start], rc[0], rc[1], e[0], e[1])
	}
	return r.appendTrailer(dst)
}

// appendError appends the response code of cmd and the error code e0 e1:
// an error answer carries no further fields (hostcmd.md §1).
func appendError(dst []byte, cmd [2]byte, e0, e1 byte) []byte {
	rc := hostcmd.ResponseCode(cmd)
	return append(dst, rc[0], rc[1], e0, e1)
}
