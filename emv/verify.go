package emv

import (
	"crypto/cipher"
	"errors"
	"fmt"
	"log/slog"

	"github.com/payhsm/payhsm-gw/mac"
)

// Keys holds the keys of one transaction under a profile: the ICC master key
// and the cryptogram session key, each with its key schedule ready. Build it
// with DeriveKeys, use it for the ARQC and the ARPC, then Clear it. It never
// prints its keys. A Keys is safe for concurrent use (Clear excepted) and
// must not be copied: use the pointer DeriveKeys returns.
type Keys struct {
	p       Profile
	card    mac.Retail // ICC master key
	session mac.Retail // session key; unused for SessionNone
	ac      *mac.Retail
	buf     [24]byte // derivation scratch (Y, then key bytes); cleared after use
}

// Format implements fmt.Formatter so that no verb prints key material.
func (Keys) Format(f fmt.State, _ rune) { f.Write([]byte("emv.Keys" + redacted)) }

// LogValue implements slog.LogValuer without revealing key material.
func (Keys) LogValue() slog.Value { return slog.StringValue("emv.Keys" + redacted) }

// MarshalJSON implements json.Marshaler without revealing key material.
func (Keys) MarshalJSON() ([]byte, error) { return []byte(`"emv.Keys` + redacted + `"`), nil }

// DeriveKeys derives the ICC master key of the card (pan, psn; an empty psn
// means "00") from the issuer master key imk with the profile's option, then
// the profile's session key from the ATC (and, for the Mastercard SKD, the
// unpredictable number un; other profiles ignore it).
func DeriveKeys(imk cipher.Block, p Profile, pan, psn string, atc [2]byte, un [4]byte) (*Keys, error) {
	if p.Name == "" {
		return nil, errors.New("emv: profile is empty")
	}
	if imk.BlockSize() != 8 {
		return nil, errBlockSize
	}
	y, err := cardY(pan, psn, p.Derivation)
	if err != nil {
		return nil, err
	}
	var r [8]byte
	switch p.Session {
	case SessionNone:
	case SessionCommon:
		r = ACDiversifier(atc)
	case SessionMastercard:
		r = mcDiversifier(atc, un)
	default:
		return nil, errors.New("emv: profile has an unknown session key method")
	}
	// The key bytes only ever live in k.buf, which is on the heap with k
	// anyway; passing stack buffers to cipher.Block methods would make each
	// escape separately.
	k := &Keys{p: p}
	defer clear(k.buf[:])
	copy(k.buf[16:], y[:])
	deriveInto(imk, k.buf[16:], k.buf[:16])
	k.card.SetKey(k.buf[:16]) // 16 bytes: cannot fail
	if p.Session == SessionNone {
		k.ac = &k.card
		return k, nil
	}
	copy(k.buf[16:], r[:])
	commonSKInto(k.card.Block(), (*[8]byte)(k.buf[16:]), k.buf[:16])
	k.session.SetKey(k.buf[:16])
	k.ac = &k.session
	return k, nil
}

// Profile returns the profile the keys were derived for.
func (k *Keys) Profile() Profile { return k.p }

// AC returns the application cryptogram of data (unpadded, as the card
// signed it) with the profile's key and padding.
func (k *Keys) AC(data []byte) ([8]byte, error) {
	return ac(k.ac, data, k.p.Padding)
}

// VerifyARQC reports whether arqc is the cryptogram of data (unpadded), in
// constant time (mac.Equal). A mismatch is ok == false with a nil error.
func (k *Keys) VerifyARQC(data []byte, arqc [8]byte) (bool, error) {
	want, err := ac(k.ac, data, k.p.Padding)
	if err != nil {
		return false, err
	}
	return mac.Equal(want[:], arqc[:]), nil
}

func (k *Keys) arpcKey() *mac.Retail {
	if k.p.ARPCKey == ARPCSessionKey {
		return k.ac
	}
	return &k.card
}

// ARPC1 returns the method 1 ARPC (ARPCMethod1) for arqc and the
// authorisation response code arc with the profile's ARPC key. It is an
// error if the profile uses method 2.
func (k *Keys) ARPC1(arqc [8]byte, arc [2]byte) ([8]byte, error) {
	if k.p.ARPCMethod != 1 {
		return [8]byte{}, fmt.Errorf("emv: profile %s uses ARPC method %d", k.p.Name, k.p.ARPCMethod)
	}
	return arpc1(k.arpcKey(), arqc, arc), nil
}

// ARPC2 returns the method 2 ARPC (ARPCMethod2) for arqc, the card status
// update csu and 0 to 8 bytes of proprietary authentication data with the
// profile's ARPC key. It is an error if the profile uses method 1.
func (k *Keys) ARPC2(arqc [8]byte, csu [4]byte, prop []byte) ([4]byte, error) {
	if k.p.ARPCMethod != 2 {
		return [4]byte{}, fmt.Errorf("emv: profile %s uses ARPC method %d", k.p.Name, k.p.ARPCMethod)
	}
	return arpc2(k.arpcKey(), arqc, csu, prop)
}

// Clear overwrites the key schedules; k must not be used afterwards.
func (k *Keys) Clear() {
	k.card.Clear()
	k.session.Clear()
}

// VerifyARQC derives the card and session keys of profile p and reports
// whether arqc is the cryptogram of data (the transaction data exactly as
// the card signed it, without padding), comparing in constant time. un is
// used by the Mastercard SKD profiles only. A mismatch is ok == false with a
// nil error; err is for bad input (PAN, PSN, key, profile).
func VerifyARQC(imk cipher.Block, p Profile, pan, psn string, atc [2]byte, un [4]byte, data []byte, arqc [8]byte) (ok bool, err error) {
	k, err := DeriveKeys(imk, p, pan, psn, atc, un)
	if err != nil {
		return false, err
	}
	defer k.Clear()
	return k.VerifyARQC(data, arqc)
}
