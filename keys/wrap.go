package keys

// ciphers returns the precomputed ciphers of key type kt.
func (l *LMK) ciphers(kt KeyType) (*variantCiphers, bool) {
	if !kt.valid() {
		return nil, false
	}
	return &l.s.typed[kt.PairCode][kt.Variant], true
}

// Encrypt wraps clear key k of type kt under the LMK in scheme s and returns
// the cryptogram: 8 bytes for single, 16 for U, X and pair, 24 for T and Y
// (without the scheme tag; see Scheme.Prefix). The LMK pair that kt selects,
// with kt's variant byte XORed into byte 0, encrypts the key in ECB; for U
// and T each 8-byte part is encrypted on its own with a scheme variant XORed
// into byte 8 (U: A6, 5A; T: 6A, DE, 2B); single, X, Y and bare pairs use no
// scheme variant (docs/spec/hostcmd.md §3; payment-crypto.md §8.1). A copy of k is
// set to odd parity first (as jPOS and payShield do); k is not changed.
//
// Errors: ErrKeyType, ErrScheme, or ErrKeyLength when k's length does not
// match s.KeyLen().
func (l *LMK) Encrypt(kt KeyType, s Scheme, k ClearKey) ([]byte, error) {
	vc, ok := l.ciphers(kt)
	if !ok {
		return nil, ErrKeyType
	}
	n := s.KeyLen()
	if n == 0 {
		return nil, ErrScheme
	}
	if k.Len() != n {
		return nil, keyError("encrypting", kt, s, ErrKeyLength)
	}
	out := make([]byte, n)
	copy(out, k.Bytes())
	AdjustParity(out)
	vc.apply(s, out, false)
	return out, nil
}

// Decrypt unwraps cryptogram ct of a key of type kt in scheme s (the
// inverse of Encrypt; ct without its scheme tag) and returns the clear key.
// A key that is not odd parity after decryption gives an error wrapping
// ErrParity (payShield error 10 or 11) and no key.
//
// Errors: ErrKeyType, ErrScheme, ErrKeyLength when len(ct) does not match
// s.KeyLen(), ErrParity.
func (l *LMK) Decrypt(kt KeyType, s Scheme, ct []byte) (ClearKey, error) {
	return l.decrypt(kt, s, ct, true)
}

// DecryptAES is Decrypt without the parity check, for an AES key held
// under the variant LMK, whose bytes carry no parity: an AES-128 DUKPT BDK
// (ours; docs/spec/hostcmd-dukpt.md §1). Errors: ErrKeyType, ErrScheme,
// ErrKeyLength.
func (l *LMK) DecryptAES(kt KeyType, s Scheme, ct []byte) (ClearKey, error) {
	return l.decrypt(kt, s, ct, false)
}

func (l *LMK) decrypt(kt KeyType, s Scheme, ct []byte, parity bool) (ClearKey, error) {
	vc, ok := l.ciphers(kt)
	if !ok {
		return ClearKey{}, ErrKeyType
	}
	n := s.KeyLen()
	if n == 0 {
		return ClearKey{}, ErrScheme
	}
	if len(ct) != n {
		return ClearKey{}, keyError("decrypting", kt, s, ErrKeyLength)
	}
	k := newKeyMaterial(n)
	b := k.m.b[:n]
	copy(b, ct)
	vc.apply(s, b, true)
	if parity && !CheckParity(b) {
		k.Destroy()
		return ClearKey{}, keyError("decrypting", kt, s, ErrParity)
	}
	return k, nil
}

// apply encrypts or decrypts b (a multiple of 8 bytes, matching s) in place.
func (vc *variantCiphers) apply(s Scheme, b []byte, decrypt bool) {
	for i := 0; i < len(b); i += 8 {
		c := vc.ecb
		switch s {
		case SchemeU:
			c = vc.u[i/8]
		case SchemeT:
			c = vc.t[i/8]
		}
		if decrypt {
			c.Decrypt(b[i:i+8], b[i:i+8])
		} else {
			c.Encrypt(b[i:i+8], b[i:i+8])
		}
	}
}
