package simulator

import (
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/keys"
)

// cw answers CW: the 3-digit CVV (CVV2, iCVV, Visa CAVV) of a card under
// the CVK pair (key type 402), computed by package card.
func (h *HSM) cw(dst []byte, r *hostcmd.CW) ([]byte, hostcmd.Code) {
	k, err := h.key(keys.CVK, r.CVK)
	if err != nil {
		return dst, keyCode(err, 1)
	}
	cvk, err := k.cvkSchedule()
	if err != nil {
		return dst, hostcmd.IncompatibleKeyLength
	}
	v, err := cvk.Generate(string(r.PAN), r.Expiry, r.ServiceCode)
	if err != nil {
		return dst, hostcmd.InvalidInput
	}
	resp := hostcmd.CX{Status: hostcmd.Status{Trailer: r.Trailer}, CVV: redact.String(v)}
	return resp.AppendBody(dst), ""
}

// cy answers CY: 00 when the CVV is the card's, else 01 (compared in
// constant time by card.CVK.Verify).
func (h *HSM) cy(r *hostcmd.CY) hostcmd.Code {
	k, err := h.key(keys.CVK, r.CVK)
	if err != nil {
		return keyCode(err, 1)
	}
	cvk, err := k.cvkSchedule()
	if err != nil {
		return hostcmd.IncompatibleKeyLength
	}
	ok, err := cvk.Verify(string(r.PAN), r.Expiry, r.ServiceCode, string(r.CVV))
	if err != nil {
		return hostcmd.InvalidInput
	}
	if !ok {
		return hostcmd.VerifyFailed
	}
	return ""
}
