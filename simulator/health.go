package simulator

import (
	"github.com/payhsm/payhsm-gw/hostcmd"
)

// NO status fields (hostcmd.md §4 Health): I/O buffer size "3" (32K),
// Ethernet type "1" (TCP), TCP sockets "64", then the firmware number and
// the reserved fields "0" and "0001" (ours: the values describe the
// simulator; payShield reports its configuration).
const noStatus = "3164" + Firmware + "0" + "0001"

// diagnostics answers NC: the LMK check value 16H and the firmware number 9A.
func (h *HSM) diagnostics(dst []byte, r *request) ([]byte, hostcmd.Code) {
	dst = append(dst, h.check...)
	return append(dst, Firmware...), ""
}

// status answers NO mode 00 with the simulator's status fields.
func (h *HSM) status(dst []byte, r *request) ([]byte, hostcmd.Code) {
	mode, ok := r.take(2)
	if !ok || mode[0] != '0' || mode[1] != '0' {
		return dst, hostcmd.InvalidInput
	}
	return append(dst, noStatus...), ""
}

// echo answers B2: length 4H, then that many bytes, returned unchanged.
func (h *HSM) echo(dst []byte, r *request) ([]byte, hostcmd.Code) {
	n, ok := r.hexLen(4)
	if !ok {
		return dst, hostcmd.InvalidInput
	}
	data, ok := r.take(n)
	if !ok {
		return dst, hostcmd.DataLengthError
	}
	return append(dst, data...), ""
}
