package simulator

import (
	"github.com/payhsm/payhsm-gw/hostcmd"
)

// NO status fields (hostcmd.md §4 Health; ours: the values describe the
// simulator, a payShield reports its configuration).
const (
	noIOBuffer   = 3 // 32K
	noEthernet   = 1 // TCP
	noTCPSockets = 64
	noReserved1  = "0"
	noReserved2  = "0001"
)

// nc answers NC: the LMK check value 16H and the firmware number 9A.
func (h *HSM) nc(dst []byte, r *hostcmd.NC) []byte {
	resp := hostcmd.ND{Status: hostcmd.Status{Trailer: r.Trailer}, LMKCheckValue: h.check, Firmware: Firmware}
	return resp.AppendBody(dst)
}

// no answers NO mode 00 with the simulator's status fields.
func (h *HSM) no(dst []byte, r *hostcmd.NO) []byte {
	resp := hostcmd.NP{
		Status:       hostcmd.Status{Trailer: r.Trailer},
		IOBufferSize: noIOBuffer,
		EthernetType: noEthernet,
		TCPSockets:   noTCPSockets,
		Firmware:     Firmware,
		Reserved1:    noReserved1,
		Reserved2:    noReserved2,
	}
	return resp.AppendBody(dst)
}

// b2 answers B2 with the data unchanged.
func (h *HSM) b2(dst []byte, r *hostcmd.B2) []byte {
	resp := hostcmd.B3{Status: hostcmd.Status{Trailer: r.Trailer}, Data: r.Data}
	return resp.AppendBody(dst)
}
