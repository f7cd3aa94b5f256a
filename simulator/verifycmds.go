package simulator

import (
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/pin"
)

// verifyPVV answers DC (PIN under a TPK) and EC (under a ZPK): decrypt the
// PIN block and compare its Visa PVV with the one given (constant time, in
// pin.VerifyPVV). The PIN key is the first key (parity 10), the PVK the
// second (11). With format 48 the account is the PAN, and the PVV's is the
// account field made from it (hostcmd-keyblocks.md §9).
func (h *HSM) verifyPVV(pinKey hostcmd.KeyField, kt keys.KeyType, pvkField hostcmd.KeyField,
	block, format, account string, pvki byte, pvv string) hostcmd.Code {
	k, err := h.key(kt, pinKey)
	if err != nil {
		return keyCode(err, 1)
	}
	pvk, err := h.keyAs(keys.PVK, rolePVKPVV, pvkField)
	if err != nil {
		return keyCode(err, 2)
	}
	p, e := decryptBlock(k, block, format, account)
	if e != "" {
		return e
	}
	acct, e := accountField(format, account)
	if e != "" {
		return e
	}
	ok, err := pin.VerifyPVV(pvk.block, acct, int(pvki-'0'), p, pvv)
	if err != nil {
		return pinCode(err)
	}
	if !ok {
		return hostcmd.VerifyFailed
	}
	return ""
}

// verifyOffset answers DA (PIN under a TPK) and EA (under a ZPK): decrypt
// the PIN block and check it against the IBM 3624 natural PIN plus offset
// (constant time, in pin.VerifyOffset). Format 48 as in verifyPVV.
func (h *HSM) verifyOffset(pinKey hostcmd.KeyField, kt keys.KeyType, o *hostcmd.IBMOffset) hostcmd.Code {
	k, err := h.key(kt, pinKey)
	if err != nil {
		return keyCode(err, 1)
	}
	pvk, err := h.keyAs(keys.PVK, rolePVKIBM, o.PVK)
	if err != nil {
		return keyCode(err, 2)
	}
	p, e := decryptBlock(k, string(o.PINBlock), o.Format, string(o.Account))
	if e != "" {
		return e
	}
	// The validation data's N takes the account field's digits (from the
	// PAN with format 48).
	account, e := accountField(o.Format, string(o.Account))
	if e != "" {
		return e
	}
	if p.Len() > o.MaxPINLen {
		return hostcmd.InvalidPINLength
	}
	table, err := pin.ParseDecTable(string(o.DecimalisationTable))
	if err != nil {
		return hostcmd.DecimalizationError
	}
	vdata, err := pin.ExpandValidationData(string(o.ValidationData), account)
	if err != nil {
		return pinCode(err)
	}
	ok, err := pin.VerifyOffset(pvk.block, vdata, table, o.CheckLen, string(o.Offset), p)
	if err != nil {
		return pinCode(err)
	}
	if !ok {
		return hostcmd.VerifyFailed
	}
	return ""
}
