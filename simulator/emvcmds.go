package simulator

import (
	"github.com/payhsm/payhsm-gw/emv"
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/mac"
)

// The HSM zero-pads transaction data to a multiple of 8 bytes (ISO/IEC
// 9797-1 padding method 1); a host that needs method 2 appends the 0x80
// itself (hostcmd.md §4 EMV).
const acPadding = mac.PaddingMethod1

// kq answers KQ (hostcmd.md §4 EMV): the card key is derived from MK-AC
// with EMV option A from the PAN/PSN block; scheme 0 (Visa CVN 10) verifies
// the ARQC under the card key, scheme 1 (Mastercard) under the Mastercard
// session key of ATC and UN; the ARPC is method 1 under the card key. The
// ARQC is compared in constant time (emv.VerifyAC).
func (h *HSM) kq(dst []byte, r *hostcmd.KQ) ([]byte, hostcmd.Code) {
	imk, err := h.key(keys.MKAC, r.MKAC)
	if err != nil {
		return dst, keyCode(err, 1)
	}
	var y [8]byte
	copy(y[:], r.PANPSN)
	mk, err := emv.DeriveICCMKFromBlock(imk.block, y)
	if err != nil {
		return dst, hostcmd.InvalidInput
	}
	defer mk.Clear()
	var arqc [8]byte
	copy(arqc[:], r.ARQC)
	if r.Mode == '0' || r.Mode == '1' {
		acKey := mk
		if r.Scheme == '1' {
			acKey = emv.MastercardSessionKey(mk, r.ATC, r.UN)
		}
		ok, err := emv.VerifyAC(acKey, r.Data, acPadding, arqc)
		acKey.Clear()
		if err != nil {
			return dst, hostcmd.DataLengthError
		}
		if !ok {
			return dst, hostcmd.VerifyFailed
		}
	}
	resp := hostcmd.KR{Status: hostcmd.Status{Trailer: r.Trailer}}
	if r.Mode == '1' || r.Mode == '2' {
		arpc := emv.ARPCMethod1(mk, arqc, r.ARC)
		resp.ARPC = arpc[:]
	}
	return resp.AppendBody(dst), ""
}

// kw answers KW (hostcmd.md §4 EMV): the card key is derived from MK-AC
// with EMV option A (scheme 2, PAN/PSN block) or option B (scheme 3, PAN
// and PSN digits); the EMV common session key of the ATC verifies the ARQC
// (constant time, emv.VerifyAC) and makes the ARPC, method 1 (8 bytes) or
// method 2 (4 bytes).
func (h *HSM) kw(dst []byte, r *hostcmd.KW) ([]byte, hostcmd.Code) {
	imk, err := h.key(keys.MKAC, r.MKAC)
	if err != nil {
		return dst, keyCode(err, 1)
	}
	var mk emv.Key
	if r.Scheme == '3' {
		pan, psn, ok := optionBDigits(r.PANPSN, r.PANDigits)
		if !ok {
			return dst, hostcmd.InvalidInput
		}
		mk, err = emv.DeriveICCMK(imk.block, pan, psn, emv.OptionB)
	} else {
		var y [8]byte
		copy(y[:], r.PANPSN)
		mk, err = emv.DeriveICCMKFromBlock(imk.block, y)
	}
	if err != nil {
		return dst, hostcmd.InvalidInput
	}
	sk := emv.CommonSessionKey(mk, emv.ACDiversifier(r.ATC))
	mk.Clear()
	defer sk.Clear()
	var arqc [8]byte
	copy(arqc[:], r.ARQC)
	if r.Mode == '0' || r.Mode == '1' || r.Mode == '3' {
		ok, err := emv.VerifyAC(sk, r.Data, acPadding, arqc)
		if err != nil {
			return dst, hostcmd.DataLengthError
		}
		if !ok {
			return dst, hostcmd.VerifyFailed
		}
	}
	resp := hostcmd.KX{Status: hostcmd.Status{Trailer: r.Trailer}}
	switch r.Mode {
	case '1', '2':
		arpc := emv.ARPCMethod1(sk, arqc, r.ARC)
		resp.ARPC = arpc[:]
	case '3', '4':
		arpc, err := emv.ARPCMethod2(sk, arqc, r.CSU, r.PropAuth)
		if err != nil {
			// Proprietary authentication data over 8 bytes.
			return dst, hostcmd.DataLengthError
		}
		resp.ARPC = arpc[:]
	}
	return resp.AppendBody(dst), ""
}

// optionBDigits unpacks the KW option B PAN field: n digits of PAN ‖ PSN in
// BCD, with a leading zero nibble when n is odd (ours), the PSN being the
// last two digits.
func optionBDigits(b []byte, n int) (pan, psn string, ok bool) {
	if n < 3 || len(b) != (n+1)/2 {
		return "", "", false
	}
	digits := make([]byte, 0, 2*len(b))
	for _, c := range b {
		hi, lo := c>>4, c&0x0F
		if hi > 9 || lo > 9 {
			return "", "", false
		}
		digits = append(digits, '0'+hi, '0'+lo)
	}
	if n%2 == 1 {
		if digits[0] != '0' {
			return "", "", false
		}
		digits = digits[1:]
	}
	s := string(digits)
	clear(digits)
	return s[:n-2], s[n-2:], true
}
