package simulator

import (
	"crypto/aes"
	"crypto/cipher"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/dukpt"
	"github.com/payhsm/payhsm-gw/mac"
	"github.com/payhsm/payhsm-gw/pin"
)

// dukptPIN decrypts the PIN block of GO or GQ (hostcmd-dukpt.md §9 steps
// 3 and 4): the PIN key of the BDK and KSN (10 for the BDK), the PVK (11),
// then the block under the PIN key (20, 24). It returns the PIN, the PVK
// and the 12N account the PVV and IBM methods take: the account field for
// TDES, the one derived from the PAN for AES.
func (h *HSM) dukptPIN(in *hostcmd.DUKPTPIN, pvkField hostcmd.KeyField, acct, pan string) (pin.PIN, *clearKey, string, hostcmd.Code) {
	d, err := dukpt.ParseKSNDescriptor(in.KSNDescriptor)
	if err != nil {
		return pin.PIN{}, nil, "", hostcmd.InvalidInput
	}
	var pinKey keys.ClearKey
	if d.AES {
		pinKey, err = h.aesPINKey(d, in.BDK, in.KSN)
	} else {
		pinKey, err = h.tdesPINKey(d, in.BDK, in.KSN)
	}
	if err != nil {
		return pin.PIN{}, nil, "", dukptCode(err)
	}
	defer pinKey.Destroy()
	pvk, err := h.key(keys.PVK, pvkField)
	if err != nil {
		return pin.PIN{}, nil, "", keyCode(err, 2)
	}
	f, n, bound := pin.ISO0, 8, acct
	var blk cipher.Block
	if d.AES {
		f, n, bound = pin.ISO4, 16, pan
		if acct, err = pin.AccountFromPAN(pan); err != nil {
			return pin.PIN{}, nil, "", pinCode(err)
		}
		blk, err = aes.NewCipher(pinKey.Bytes())
	} else {
		blk, err = tdes.New(pinKey.Bytes())
	}
	if err != nil {
		return pin.PIN{}, nil, "", hostcmd.InvalidInput
	}
	var b [16]byte
	if !unhexField(string(in.PINBlock), b[:n]) {
		return pin.PIN{}, nil, "", hostcmd.InvalidPINBlock
	}
	p, err := pin.DecryptBlock(blk, f, b[:n], bound)
	clear(b[:])
	if err != nil {
		return pin.PIN{}, nil, "", pinCode(err)
	}
	return p, pvk, acct, ""
}

// verifyGO answers GO: the DUKPT PIN against the IBM 3624 natural PIN plus
// offset (constant time, in pin.VerifyOffset).
func (h *HSM) verifyGO(r *hostcmd.GO) hostcmd.Code {
	p, pvk, acct, e := h.dukptPIN(&r.DUKPTPIN, r.PVK, string(r.Account), string(r.PAN))
	if e != "" {
		return e
	}
	table, err := pin.ParseDecTable(string(r.DecimalisationTable))
	if err != nil {
		return hostcmd.DecimalizationError
	}
	vdata, err := pin.ExpandValidationData(string(r.ValidationData), acct)
	if err != nil {
		return pinCode(err)
	}
	ok, err := pin.VerifyOffset(pvk.block, vdata, table, r.CheckLen, string(r.Offset), p)
	return verified(ok, err)
}

// verifyGQ answers GQ: the Visa PVV of the DUKPT PIN against the one given
// (constant time, in pin.VerifyPVV).
func (h *HSM) verifyGQ(r *hostcmd.GQ) hostcmd.Code {
	p, pvk, acct, e := h.dukptPIN(&r.DUKPTPIN, r.PVK, string(r.Account), string(r.PAN))
	if e != "" {
		return e
	}
	ok, err := pin.VerifyPVV(pvk.block, acct, int(r.PVKI-'0'), p, string(r.PVV))
	return verified(ok, err)
}

// verified turns a PIN check's result into a verification's code.
func verified(ok bool, err error) hostcmd.Code {
	switch {
	case err != nil:
		return pinCode(err)
	case !ok:
		return hostcmd.VerifyFailed
	}
	return ""
}

// verifyGW answers GW: the MAC of the message under the DUKPT MAC key of
// the BDK and KSN, its left 4 or 8 bytes compared in constant time
// (hostcmd-dukpt.md §8). TDES: ISO/IEC 9797-1 algorithm 3, padding method
// 1, under the MAC request or response variant (ANSI X9.24-1:2009). AES:
// CMAC under the AES-128 key of usage 2000 or 2001 (X9.24-3:2017).
func (h *HSM) verifyGW(r *hostcmd.GW) hostcmd.Code {
	d, err := dukpt.ParseKSNDescriptor(r.KSNDescriptor)
	if err != nil {
		return hostcmd.InvalidInput
	}
	response := r.MACKey == '1'
	var k keys.ClearKey
	if d.AES {
		u := dukpt.UsageMACGenerate
		if response {
			u = dukpt.UsageMACVerify
		}
		k, err = h.aesWorkingKey(d, r.BDK, r.KSN, u)
	} else {
		v := dukpt.VariantMACRequest
		if response {
			v = dukpt.VariantMACResponse
		}
		k, err = h.tdesWorkingKey(d, r.BDK, r.KSN, v)
	}
	if err != nil {
		return dukptCode(err)
	}
	defer k.Destroy()
	var sum []byte
	if d.AES {
		blk, err := aes.NewCipher(k.Bytes())
		if err != nil {
			return hostcmd.InvalidInput
		}
		sum = mac.CMAC(blk, r.Message)
	} else if sum, err = mac.Alg3(k.Bytes(), r.Message, mac.PaddingMethod1); err != nil {
		return hostcmd.InvalidInput
	}
	var want [8]byte
	n := r.MACHexLen() / 2
	if !unhexField(r.MAC.Reveal(), want[:n]) {
		return hostcmd.InvalidInput
	}
	if !mac.Equal(sum[:n], want[:n]) {
		return hostcmd.VerifyFailed
	}
	return ""
}
