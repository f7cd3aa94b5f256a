package simulator

import (
	"crypto/aes"
	"crypto/cipher"
	"errors"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/keys/dukpt"
	"github.com/payhsm/payhsm-gw/pin"
)

// dukptTranslation is what CI and G0 share: a PIN block under the DUKPT
// PIN key of a BDK and KSN, to go under a ZPK (docs/spec/hostcmd-dukpt.md).
type dukptTranslation struct {
	bdk, zpk   hostcmd.KeyField
	descriptor string
	ksn        string
	block      string // 16H (TDES, ISO 0) or 32H (AES, ISO 4)
	dstFormat  string
	account    string // TDES: the 12N account; AES: the PAN
}

// translateDUKPT runs the checks of hostcmd-dukpt.md §4 that follow the
// parser's (steps 3 and 4): BDK (10) and ZPK (11) under the LMK, then the
// PIN block under the derived PIN key (20, 24), and returns the PIN length
// and the block under the ZPK.
func (h *HSM) translateDUKPT(t *dukptTranslation) (int, string, hostcmd.Code) {
	d, err := dukpt.ParseKSNDescriptor(t.descriptor)
	if err != nil {
		return 0, "", hostcmd.InvalidInput
	}
	var pinKey keys.ClearKey
	if d.AES {
		pinKey, err = h.aesPINKey(d, t.bdk, t.ksn)
	} else {
		pinKey, err = h.tdesPINKey(d, t.bdk, t.ksn)
	}
	if err != nil {
		return 0, "", dukptCode(err)
	}
	defer pinKey.Destroy()
	// The ZPK receives the block: under a key-block LMK it must allow
	// encryption (hostcmd-keyblocks.md §4, ZPK destination).
	zpk, err := h.keyAs(keys.ZPK, roleZPKDst, t.zpk)
	if err != nil {
		return 0, "", keyCode(err, 2)
	}
	tf, err := pin.ParsePayShieldCode(t.dstFormat)
	if err != nil {
		return 0, "", hostcmd.InvalidPINFormat
	}
	var from cipher.Block
	ff := pin.ISO0
	if d.AES {
		ff = pin.ISO4
		from, err = aes.NewCipher(pinKey.Bytes())
	} else {
		from, err = tdes.New(pinKey.Bytes())
	}
	if err != nil {
		return 0, "", hostcmd.InvalidInput
	}
	var src [16]byte
	n := ff.BlockSize()
	if !unhexField(t.block, src[:n]) {
		return 0, "", hostcmd.InvalidInput
	}
	var out [16]byte
	res, plen, err := pin.Translate(out[:0], src[:n], from, ff, zpk.block, tf, t.account, nil)
	clear(src[:])
	if err != nil {
		return 0, "", pinCode(err)
	}
	block := hexUpper(res)
	clear(out[:])
	return plen, block, ""
}

// errBDKParity marks a BDK that fails its parity check: 10, ahead of the
// ZPK's 11 (hostcmd-dukpt.md §4 step 3). Under a key-block LMK it carries
// the BDK block's failure (its key-block code, hostcmd-keyblocks.md §3).
type errBDKParity struct{ err error }

func (e errBDKParity) Error() string { return "simulator: BDK: " + e.err.Error() }
func (e errBDKParity) Unwrap() error { return e.err }

// tdesPINKey unwraps the TDES BDK (its parity checked) and derives the PIN
// key of ksn (ANSI X9.24-1:2009, double-length).
func (h *HSM) tdesPINKey(d dukpt.KSNDescriptor, f hostcmd.KeyField, ksnField string) (keys.ClearKey, error) {
	return h.tdesWorkingKey(d, f, ksnField, dukpt.VariantPIN)
}

// tdesWorkingKey is tdesPINKey for any variant (GW's MAC keys).
func (h *HSM) tdesWorkingKey(d dukpt.KSNDescriptor, f hostcmd.KeyField, ksnField string, v dukpt.Variant) (keys.ClearKey, error) {
	ksn, err := d.ParseTDES(ksnField)
	if err != nil {
		return keys.ClearKey{}, err
	}
	bdk, err := h.keyAs(keys.BDK, roleBDK, f)
	if err != nil {
		return keys.ClearKey{}, errBDKParity{err}
	}
	if bdk.alg == 'A' {
		// An AES BDK block with a TDES descriptor (hostcmd-keyblocks.md §10).
		return keys.ClearKey{}, errBDKParity{&kbError{hostcmd.KeyAlgorithmMismatch}}
	}
	return dukpt.DeriveTDES(bdk.key, ksn, v)
}

// aesPINKey unwraps the AES-128 BDK (no parity: hostcmd-dukpt.md §1) and
// derives the AES-128 PIN working key of ksn (ANSI X9.24-3:2017, usage
// 1000).
func (h *HSM) aesPINKey(d dukpt.KSNDescriptor, f hostcmd.KeyField, ksnField string) (keys.ClearKey, error) {
	return h.aesWorkingKey(d, f, ksnField, dukpt.UsagePIN)
}

// aesWorkingKey is aesPINKey for any usage (GW's MAC keys), AES-128.
func (h *HSM) aesWorkingKey(d dukpt.KSNDescriptor, f hostcmd.KeyField, ksnField string, u dukpt.Usage) (keys.ClearKey, error) {
	ksn, err := d.ParseAES(ksnField)
	if err != nil {
		return keys.ClearKey{}, err
	}
	if h.kb != nil || f.Scheme == hostcmd.SchemeS {
		return h.aesBlockKey(f, ksn, u)
	}
	ct, err := f.Ciphertext()
	if err != nil {
		return keys.ClearKey{}, errKeyField
	}
	bdk, err := h.lmk.DecryptAES(keys.BDK, lmkScheme(f.Scheme), ct)
	if err != nil {
		return keys.ClearKey{}, err
	}
	defer bdk.Destroy()
	return dukpt.DeriveAES(bdk, ksn, u, dukpt.AES128)
}

// aesBlockKey is aesWorkingKey under a key-block LMK: the BDK is an S block
// of algorithm A and 16 bytes (AES-128 DUKPT; another algorithm or length
// answers A7: hostcmd-keyblocks.md §10).
func (h *HSM) aesBlockKey(f hostcmd.KeyField, ksn dukpt.AESKSN, u dukpt.Usage) (keys.ClearKey, error) {
	bdk, err := h.keyAs(keys.BDK, roleBDK, f)
	if err != nil {
		return keys.ClearKey{}, errBDKParity{err}
	}
	if bdk.alg != 'A' || len(bdk.key.Bytes()) != 16 {
		return keys.ClearKey{}, errBDKParity{&kbError{hostcmd.KeyAlgorithmMismatch}}
	}
	return dukpt.DeriveAES(bdk.key, ksn, u, dukpt.AES128)
}

// dukptCode returns the error code of a BDK or KSN failure.
func dukptCode(err error) hostcmd.Code {
	var pe errBDKParity
	switch {
	case errors.As(err, &pe):
		return keyCode(pe.err, 1)
	case errors.Is(err, dukpt.ErrBDK):
		return hostcmd.IncompatibleKeyLength
	}
	// ErrKSNLength, ErrKSNHex, ErrCounter, ErrDescriptor: the parser has
	// refused these already.
	return hostcmd.InvalidInput
}

// ci answers CI: translate a PIN block from TDES DUKPT to a ZPK.
func (h *HSM) ci(dst []byte, r *hostcmd.CI) ([]byte, hostcmd.Code) {
	n, block, e := h.translateDUKPT(&dukptTranslation{
		bdk: r.BDK, zpk: r.ZPK, descriptor: r.KSNDescriptor, ksn: r.KSN,
		block: string(r.PINBlock), dstFormat: r.DestinationFormat, account: string(r.Account),
	})
	if e != "" {
		return dst, e
	}
	resp := hostcmd.CJ{
		Status:            hostcmd.Status{Trailer: r.Trailer},
		PINLen:            n,
		PINBlock:          redact.String(block),
		DestinationFormat: r.DestinationFormat,
	}
	return resp.AppendBody(dst), ""
}

// g0 answers G0: translate a PIN block from TDES or AES DUKPT to a ZPK.
func (h *HSM) g0(dst []byte, r *hostcmd.G0) ([]byte, hostcmd.Code) {
	acct := string(r.Account)
	if r.AES() {
		acct = string(r.PAN)
	}
	n, block, e := h.translateDUKPT(&dukptTranslation{
		bdk: r.BDK, zpk: r.ZPK, descriptor: r.KSNDescriptor, ksn: r.KSN,
		block: string(r.PINBlock), dstFormat: r.DestinationFormat, account: acct,
	})
	if e != "" {
		return dst, e
	}
	resp := hostcmd.G1{
		Status:            hostcmd.Status{Trailer: r.Trailer},
		PINLen:            n,
		PINBlock:          redact.String(block),
		DestinationFormat: r.DestinationFormat,
	}
	return resp.AppendBody(dst), ""
}
