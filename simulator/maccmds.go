package simulator

import (
	"crypto/subtle"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/mac"
)

// macValue computes the MAC of an M6/M8 request as upper-case hex of the
// requested size (hostcmd.md §4 MAC): ISO/IEC 9797-1 algorithm 1 (CBC-MAC
// under the whole key) or algorithm 3 (retail MAC, double-length keys
// only), padding none, method 1 or method 2; 8H keeps the left 4 bytes.
func (h *HSM) macValue(m *hostcmd.MACParams) (string, hostcmd.Code) {
	kt := keys.TAK
	if m.KeyType == "008" {
		kt = keys.ZAK
	}
	k, err := h.key(kt, m.Key)
	if err != nil {
		return "", keyCode(err, 1)
	}
	var p mac.Padding
	switch m.Padding {
	case '0':
		p = mac.PaddingNone
	case '1':
		p = mac.PaddingMethod1
	case '2':
		p = mac.PaddingMethod2
	default:
		return "", hostcmd.InvalidInput
	}
	var v []byte
	var buf [mac.RetailSize]byte
	switch m.Algorithm {
	case '1':
		v, err = mac.Alg1(k.block, m.Message, p)
	case '3':
		r, kerr := k.retailSchedule()
		if kerr != nil {
			// Algorithm 3 takes a double-length key.
			return "", hostcmd.IncompatibleKeyLength
		}
		v, err = r.MAC(buf[:0], m.Message, p)
	default:
		return "", hostcmd.InvalidInput
	}
	if err != nil {
		// No padding and a message that is not a block multiple.
		return "", hostcmd.DataLengthError
	}
	n := 4
	if m.MACSize == '1' {
		n = 8
	}
	return hexUpper(v[:n]), ""
}

// m6 answers M6 with the MAC.
func (h *HSM) m6(dst []byte, r *hostcmd.M6) ([]byte, hostcmd.Code) {
	v, e := h.macValue(&r.MACParams)
	if e != "" {
		return dst, e
	}
	resp := hostcmd.M7{Status: hostcmd.Status{Trailer: r.Trailer}, MAC: redact.String(v)}
	return resp.AppendBody(dst), ""
}

// m8 answers M8: 00 when the MAC matches (compared in constant time), else
// 01.
func (h *HSM) m8(r *hostcmd.M8) hostcmd.Code {
	v, e := h.macValue(&r.MACParams)
	if e != "" {
		return e
	}
	if subtle.ConstantTimeCompare([]byte(v), []byte(r.MAC.Reveal())) != 1 {
		return hostcmd.VerifyFailed
	}
	return ""
}
