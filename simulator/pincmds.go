package simulator

import (
	"errors"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/decimalize"
	"github.com/payhsm/payhsm-gw/internal/redact"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/pin"
)

// pinCode returns the HSM error code of a pin package error (hostcmd.md §2,
// pin's package documentation).
func pinCode(err error) hostcmd.Code {
	switch {
	case errors.Is(err, pin.ErrFormat):
		return hostcmd.InvalidPINFormat
	case errors.Is(err, pin.ErrPINLength):
		return hostcmd.InvalidPINLength
	case errors.Is(err, pin.ErrInvalidBlock):
		return hostcmd.InvalidPINBlock
	case errors.Is(err, pin.ErrAccount):
		return hostcmd.InvalidAccount
	case errors.Is(err, pin.ErrDecTable):
		return hostcmd.DecimalizationError
	case errors.Is(err, pin.ErrKey):
		return hostcmd.IncompatibleKeyLength
	}
	return hostcmd.InvalidInput
}

// lmkPINCode returns the HSM error code of a keys error about a PIN under
// the LMK.
func lmkPINCode(err error) hostcmd.Code {
	switch {
	case errors.Is(err, keys.ErrPINUnderLMK):
		return hostcmd.InvalidLMKPIN
	case errors.Is(err, keys.ErrPINLength):
		return hostcmd.InvalidPINLength
	case errors.Is(err, keys.ErrAccount):
		return hostcmd.InvalidAccount
	}
	return hostcmd.InvalidInput
}

// translate deciphers a PIN block under one key and enciphers it under
// another: CA (TPK to ZPK) and CC (ZPK to ZPK). It returns the PIN length
// and the new block.
func (h *HSM) translate(srcKey hostcmd.KeyField, srcType keys.KeyType, dstKey hostcmd.KeyField,
	maxLen int, block, srcFmt, dstFmt, account string) (int, string, hostcmd.Code) {
	from, err := h.key(srcType, srcKey)
	if err != nil {
		return 0, "", keyCode(err, 1)
	}
	to, err := h.keyAs(keys.ZPK, roleZPKDst, dstKey)
	if err != nil {
		return 0, "", keyCode(err, 2)
	}
	ff, err := pin.ParsePayShieldCode(srcFmt)
	if err != nil {
		return 0, "", hostcmd.InvalidPINFormat
	}
	tf, err := pin.ParsePayShieldCode(dstFmt)
	if err != nil {
		return 0, "", hostcmd.InvalidPINFormat
	}
	// 16-byte blocks under an AES key (format 48, hostcmd-keyblocks.md §9).
	var buf [16]byte
	src := buf[:from.block.BlockSize()]
	if !unhexField(block, src) {
		return 0, "", hostcmd.InvalidPINBlock
	}
	var out [16]byte
	res, n, err := pin.Translate(out[:0], src, from.block, ff, to.block, tf, account, nil)
	clear(buf[:])
	if err != nil {
		return 0, "", pinCode(err)
	}
	if n > maxLen {
		// The PIN is longer than the host allows.
		return 0, "", hostcmd.InvalidPINLength
	}
	return n, hexUpper(res), ""
}

// ca answers CA: translate a PIN block from a TPK to a ZPK.
func (h *HSM) ca(dst []byte, r *hostcmd.CA) ([]byte, hostcmd.Code) {
	n, block, e := h.translate(r.TPK, keys.TPK, r.ZPK, r.MaxPINLen, string(r.PINBlock),
		r.SourceFormat, r.DestinationFormat, string(r.Account))
	if e != "" {
		return dst, e
	}
	resp := hostcmd.CB{
		Status:            hostcmd.Status{Trailer: r.Trailer},
		PINLen:            n,
		PINBlock:          redact.String(block),
		DestinationFormat: r.DestinationFormat,
	}
	return resp.AppendBody(dst), ""
}

// cc answers CC: translate a PIN block from one ZPK to another.
func (h *HSM) cc(dst []byte, r *hostcmd.CC) ([]byte, hostcmd.Code) {
	n, block, e := h.translate(r.SourceZPK, keys.ZPK, r.DestinationZPK, r.MaxPINLen, string(r.PINBlock),
		r.SourceFormat, r.DestinationFormat, string(r.Account))
	if e != "" {
		return dst, e
	}
	resp := hostcmd.CD{
		Status:            hostcmd.Status{Trailer: r.Trailer},
		PINLen:            n,
		PINBlock:          redact.String(block),
		DestinationFormat: r.DestinationFormat,
	}
	return resp.AppendBody(dst), ""
}

// decryptBlock deciphers the PIN block (hex) in format fmtCode under k:
// 8 bytes under a DES or Triple DES key, 16 under an AES key. With format
// 48 account is the PAN (hostcmd-keyblocks.md §9); a format that does not
// fit the key's algorithm is pin.ErrKey (27).
func decryptBlock(k *clearKey, block, fmtCode, account string) (pin.PIN, hostcmd.Code) {
	pf, err := pin.ParsePayShieldCode(fmtCode)
	if err != nil {
		return pin.PIN{}, hostcmd.InvalidPINFormat
	}
	var buf [16]byte
	b := buf[:k.block.BlockSize()]
	if !unhexField(block, b) {
		return pin.PIN{}, hostcmd.InvalidPINBlock
	}
	p, err := pin.DecryptBlock(k.block, pf, b, account)
	clear(buf[:])
	if err != nil {
		return pin.PIN{}, pinCode(err)
	}
	return p, ""
}

// je answers JE: a PIN block under a ZPK becomes the PIN under the LMK.
func (h *HSM) je(dst []byte, r *hostcmd.JE) ([]byte, hostcmd.Code) {
	k, err := h.key(keys.ZPK, r.ZPK)
	if err != nil {
		return dst, keyCode(err, 1)
	}
	p, e := decryptBlock(k, string(r.PINBlock), r.Format, string(r.Account))
	if e != "" {
		return dst, e
	}
	acct, e := accountField(r.Format, string(r.Account))
	if e != "" {
		return dst, e
	}
	var digits [pin.MaxLen]byte
	enc, err := h.encryptLMKPIN(p.AppendDigits(digits[:0]), acct)
	clear(digits[:])
	if err != nil {
		return dst, lmkPINCode(err)
	}
	resp := hostcmd.JF{Status: hostcmd.Status{Trailer: r.Trailer}, PINUnderLMK: redact.String(enc)}
	return resp.AppendBody(dst), ""
}

// jg answers JG: a PIN under the LMK becomes a PIN block under a ZPK. The
// ZPK is the command's only key, so its parity error is 10 (hostcmd.md §3);
// under a key-block LMK it is a destination ZPK (hostcmd-keyblocks.md §4).
func (h *HSM) jg(dst []byte, r *hostcmd.JG) ([]byte, hostcmd.Code) {
	k, err := h.keyAs(keys.ZPK, roleZPKDst, r.ZPK)
	if err != nil {
		return dst, keyCode(err, 1)
	}
	pf, err := pin.ParsePayShieldCode(r.Format)
	if err != nil {
		return dst, hostcmd.InvalidPINFormat
	}
	acct, e := accountField(r.Format, string(r.Account))
	if e != "" {
		return dst, e
	}
	digits, err := h.decryptLMKPIN([]byte(r.PINUnderLMK), acct)
	if err != nil {
		return dst, lmkPINCode(err)
	}
	p, err := pin.ParsePINBytes(digits)
	clear(digits)
	if err != nil {
		return dst, pinCode(err)
	}
	var out [16]byte
	block, err := pin.EncryptBlock(out[:0], k.block, pf, p, string(r.Account), nil)
	if err != nil {
		return dst, pinCode(err)
	}
	resp := hostcmd.JH{Status: hostcmd.Status{Trailer: r.Trailer}, PINBlock: redact.String(hexUpper(block))}
	clear(out[:])
	return resp.AppendBody(dst), ""
}

// accountField returns the 12-digit account field of a command's account:
// the field itself, or with format 48 the one made from the PAN
// (pin.AccountFromPAN, hostcmd-keyblocks.md §9). A PAN too short for it
// (under 8 digits) answers 22.
func accountField(format, account string) (string, hostcmd.Code) {
	if format != hostcmd.FormatISO4 {
		return account, ""
	}
	a, err := pin.AccountFromPAN(account)
	if err != nil {
		return "", hostcmd.InvalidAccount
	}
	return a, ""
}

// encryptLMKPIN encrypts a PIN under the HSM's LMK of either kind (a PIN
// under a key-block LMK is ours: keys.KeyBlockLMK.EncryptPIN).
func (h *HSM) encryptLMKPIN(digits []byte, account string) ([]byte, error) {
	if h.kb != nil {
		return h.kb.lmk.EncryptPIN(digits, account)
	}
	return h.lmk.EncryptPIN(digits, account)
}

// decryptLMKPIN reverses encryptLMKPIN.
func (h *HSM) decryptLMKPIN(enc []byte, account string) ([]byte, error) {
	if h.kb != nil {
		return h.kb.lmk.DecryptPIN(enc, account)
	}
	return h.lmk.DecryptPIN(enc, account)
}

// ba answers BA: encrypt a clear PIN under the LMK.
func (h *HSM) ba(dst []byte, r *hostcmd.BA) ([]byte, hostcmd.Code) {
	f := r.PIN.Reveal()
	n := 0
	for n < len(f) && f[n] >= '0' && f[n] <= '9' {
		n++
	}
	enc, err := h.lmk.EncryptPIN([]byte(f[:n]), string(r.Account))
	if err != nil {
		return dst, lmkPINCode(err)
	}
	resp := hostcmd.BB{Status: hostcmd.Status{Trailer: r.Trailer}, PINUnderLMK: redact.String(enc)}
	return resp.AppendBody(dst), ""
}

// ng answers NG: decrypt a PIN under the LMK. The clear PIN comes back
// F-padded to the length of the encrypted field (L = PIN length + 1), with
// the reference number.
func (h *HSM) ng(dst []byte, r *hostcmd.NG) ([]byte, hostcmd.Code) {
	acct := string(r.Account)
	enc := r.PINUnderLMK.Reveal()
	digits, err := h.lmk.DecryptPIN([]byte(enc), acct)
	if err != nil {
		return dst, lmkPINCode(err)
	}
	field := make([]byte, len(enc))
	n := copy(field, digits)
	clear(digits)
	for i := n; i < len(field); i++ {
		field[i] = 'F'
	}
	resp := hostcmd.NH{
		Status:          hostcmd.Status{Trailer: r.Trailer},
		PIN:             redact.String(field),
		ReferenceNumber: redact.String(h.referenceNumber(acct)),
	}
	clear(field)
	return resp.AppendBody(dst), ""
}

// referenceNumber returns the NG reference number of an account (ours; the
// payShield derivation is not public, hsm-protocol.md §9): the 16 nibbles of
// the 12 account digits followed by FFFF, Triple-DES-encrypted under LMK
// pair 18-19 (no variant), Visa-decimalised (the decimal nibbles left to
// right, then A-F as 0-5) to 12 digits. It identifies the account without
// showing it and is the same on every HSM with the same LMK.
func (h *HSM) referenceNumber(account string) string {
	var b [8]byte
	for i := range 6 {
		b[i] = (account[2*i]-'0')<<4 | (account[2*i+1] - '0')
	}
	b[6], b[7] = 0xFF, 0xFF
	h.lmk.Pair(9).Encrypt(b[:], b[:])
	var out [12]byte
	decimalize.Visa(out[:0], b[:], 12)
	return string(out[:])
}
