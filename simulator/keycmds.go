package simulator

import (
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/keys"
)

// a0 answers A0: generate a random key of the requested type and scheme,
// return it under the LMK and, in mode 1, under the ZMK or TMK too, with its
// 6H check value (hostcmd.md §4 Keys).
func (h *HSM) a0(dst []byte, r *hostcmd.A0) ([]byte, hostcmd.Code) {
	if r.SchemeLMK == 'S' || h.kb != nil {
		if r.SchemeLMK != 'S' {
			return dst, hostcmd.IncompatibleLMK
		}
		return h.a0KeyBlock(dst, r)
	}
	kt, err := keys.ParseKeyType(r.KeyType)
	if err != nil {
		return dst, hostcmd.InvalidKeyTypeCode
	}
	lmkScheme, err := keys.ParseScheme(r.SchemeLMK)
	if err != nil {
		return dst, hostcmd.InvalidKeyScheme
	}
	var zmk *clearKey
	var zmkScheme keys.Scheme
	if r.Mode == '1' {
		if zmkScheme, err = keys.ParseScheme(r.SchemeZMK); err != nil || zmkScheme.KeyLen() != lmkScheme.KeyLen() {
			// The key scheme under the ZMK must fit the key's length.
			return dst, hostcmd.InvalidKeyScheme
		}
		zt := keys.ZMK
		if r.ZMKFlag == '1' {
			zt = keys.TMK
		}
		if zmk, err = h.key(zt, r.ZMK); err != nil {
			return dst, keyCode(err, 1)
		}
	}
	k, err := keys.GenerateKey(lmkScheme)
	if err != nil {
		return dst, hostcmd.InternalError
	}
	defer k.Destroy()
	underLMK, err := h.lmk.Encrypt(kt, lmkScheme, k)
	if err != nil {
		return dst, hostcmd.InternalError
	}
	kcv, err := keys.CheckValue(k)
	if err != nil {
		return dst, hostcmd.InternalError
	}
	resp := hostcmd.A1{
		Status:      hostcmd.Status{Trailer: r.Trailer},
		KeyUnderLMK: keyField(lmkScheme, underLMK),
		KCV:         hexUpper(kcv[:3]),
	}
	if zmk != nil {
		underZMK, ok := exportKey(zmk.key.Bytes(), zmkScheme, k.Bytes())
		if !ok {
			return dst, hostcmd.InvalidKeyScheme
		}
		resp.KeyUnderZMK = keyField(zmkScheme, underZMK)
	}
	return resp.AppendBody(dst), ""
}

// keyField returns the wire key field of a cryptogram in scheme s.
func keyField(s keys.Scheme, ct []byte) hostcmd.KeyField {
	hs := hostcmd.KeyScheme(s.Prefix()) // U, T, X, Y; 0 for single
	if s == keys.SchemePair {
		hs = hostcmd.SchemePair
	}
	return hostcmd.KeyField{Scheme: hs, Hex: hexUpper(ct)}
}

// exportKey encrypts clear key k under the zone (or terminal) master key
// zmk in scheme s, as payShield exports keys under a ZMK (hsm-protocol.md
// §3.1): for U and T each 8-byte part is Triple-DES-encrypted under the ZMK
// with the scheme variant (U: A6, 5A; T: 6A, DE, 2B) XORed into byte 8, the
// first byte of its second key; Z (single), X and Y are plain ECB. A
// variant scheme needs a double- or triple-length ZMK.
//
// keys wraps under the LMK only; this is the same variant method applied to
// a ZMK (the workaround is listed in the simulator's report).
func exportKey(zmk []byte, s keys.Scheme, k []byte) ([]byte, bool) {
	return underZMK(zmk, s, k, false)
}

// underZMK encrypts (or with decrypt, decrypts) in 8-byte part by part
// under zmk with the variant of scheme s: the one method behind exportKey
// and importKey. It reports false for a ZMK too short for a variant scheme
// or input that is not whole parts (or has more parts than the scheme has
// variants).
func underZMK(zmk []byte, s keys.Scheme, in []byte, decrypt bool) ([]byte, bool) {
	var variants []byte
	switch s {
	case keys.SchemeU:
		variants = []byte{0xA6, 0x5A}
	case keys.SchemeT:
		variants = []byte{0x6A, 0xDE, 0x2B}
	}
	if len(variants) > 0 && (len(zmk) < 16 || len(in) > 8*len(variants)) || len(in)%8 != 0 {
		return nil, false
	}
	out := make([]byte, len(in))
	var kk [24]byte
	n := copy(kk[:], zmk)
	defer clear(kk[:])
	for i := 0; i < len(in); i += 8 {
		if len(variants) > 0 {
			kk[8] = zmk[8] ^ variants[i/8]
		}
		b, err := tdes.New(kk[:n])
		if err != nil {
			clear(out)
			return nil, false
		}
		if decrypt {
			b.Decrypt(out[i:i+8], in[i:i+8])
		} else {
			b.Encrypt(out[i:i+8], in[i:i+8])
		}
	}
	return out, true
}

// bu answers BU: the check value of a key under the LMK, 16H or 6H.
func (h *HSM) bu(dst []byte, r *hostcmd.BU) ([]byte, hostcmd.Code) {
	var kt keys.KeyType
	var err error
	if r.KeyTypeCode == "FF" {
		kt, err = keys.ParseKeyType(r.KeyType)
	} else {
		kt, err = keys.ParsePairCode(r.KeyTypeCode)
	}
	if err != nil {
		return dst, hostcmd.InvalidKeyTypeCode
	}
	k, err := h.key(kt, r.Key)
	if err != nil {
		return dst, keyCode(err, 1)
	}
	kcv, err := keys.CheckValue(k.key)
	if err != nil {
		return dst, hostcmd.InternalError
	}
	n := 8
	if r.KCVType == '1' {
		n = 3
	}
	resp := hostcmd.BV{Status: hostcmd.Status{Trailer: r.Trailer}, KCV: hexUpper(kcv[:n])}
	return resp.AppendBody(dst), ""
}
