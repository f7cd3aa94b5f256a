package tr31

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/mac"
)

// WrapOptions tune Wrap. The zero value (or nil) is what payShield does:
// random padding from crypto/rand, no key length masking.
type WrapOptions struct {
	// Rand supplies the padding bytes; nil means crypto/rand.Reader.
	Rand io.Reader
	// MaskKeyLength pads the payload as if the key had its algorithm's
	// longest length (24 bytes for T and D, 32 for A), as X9.143 asks so
	// that the block does not reveal a short key; TR-31:2018 and payShield
	// do not (openemv/tr31 issue 2).
	MaskKeyLength bool
}

// Wrap returns the TR-31 key block (version A, B, C or D, from h.Version)
// that carries key k under KBPK kbpk. The KBPK's algorithm follows from the
// version (Triple DES for A, B, C; AES for D). It is NewKBPK then
// (*KBPK).Wrap; callers that wrap many blocks under one KBPK should keep a
// *KBPK.
func Wrap(kbpk keys.ClearKey, h Header, k keys.ClearKey, opts *WrapOptions) (string, error) {
	if !h.Version.TR31() {
		return "", &Error{Err: ErrVersion, Field: "version", Offset: 0, Reason: "not a TR-31 version"}
	}
	p, err := NewKBPK(h.Version.KBPKAlgorithm(), kbpk)
	if err != nil {
		return "", err
	}
	return p.Wrap(h, k, opts)
}

// Unwrap verifies the TR-31 key block kb (version A, B, C or D) under KBPK
// kbpk and returns its header and key. The KBPK's algorithm follows from the
// block's version. It is NewKBPK then (*KBPK).Unwrap.
func Unwrap(kbpk keys.ClearKey, kb string) (Header, keys.ClearKey, error) {
	if kb == "" || !Version(kb[0]).TR31() {
		return Header{}, keys.ClearKey{}, &Error{Err: ErrVersion, Field: "version", Offset: 0, Reason: "not a TR-31 version"}
	}
	p, err := NewKBPK(Version(kb[0]).KBPKAlgorithm(), kbpk)
	if err != nil {
		return Header{}, keys.ClearKey{}, err
	}
	return p.Unwrap(kb)
}

// Wrap returns the TR-31 key block of header h (version A, B, C or D) that
// carries key k under p. The length, the optional block count and a PB
// block are computed (see Header.Marshal). The payload is the key length in
// bits (2 bytes), the key and random padding to a whole number of cipher
// blocks.
//
// Versions A and C encrypt the payload in CBC mode under KBPK XOR 45.. with
// the first 8 header characters as IV, then MAC the header and the
// ciphertext (CBC-MAC under KBPK XOR 4D.., leftmost 4 bytes). Versions B and
// D MAC the header and the clear payload (CMAC under the derived KBAK, 8 or
// 16 bytes) and encrypt in CBC mode under the derived KBEK with the MAC as
// IV. The block is the header, the hex ciphertext and the hex MAC, upper
// case.
//
// Errors wrap ErrVersion, ErrKBPK, ErrHeader, ErrLength (over 9999
// characters) or ErrKey (k does not fit h.Algorithm), or are the error of
// opts.Rand.
func (p *KBPK) Wrap(h Header, k keys.ClearKey, opts *WrapOptions) (string, error) {
	if !h.Version.TR31() {
		return "", &Error{Err: ErrVersion, Field: "version", Offset: 0, Reason: "not a TR-31 version"}
	}
	return p.wrap(h, k, opts)
}

// WrapThales returns the Thales key block of header h (version 0 or 1, LMK
// ID in h.LMKID) that carries key k under p, a key-block LMK, without the
// "S" tag that precedes it in a host-command key field.
//
// Version 0 is computed exactly as TR-31 version A/C. Version 1 derives
// KBEK and KBAK as TR-31 version D, but encrypts first, in CBC mode with the
// first 16 header characters as IV, and then MACs the header and the
// ciphertext (CMAC, leftmost 8 bytes, 16 hex digits). Errors as for Wrap.
func (p *KBPK) WrapThales(h Header, k keys.ClearKey, opts *WrapOptions) (string, error) {
	if !h.Version.Thales() {
		return "", &Error{Err: ErrVersion, Field: "version", Offset: 0, Reason: "not a Thales key block version"}
	}
	return p.wrap(h, k, opts)
}

func (p *KBPK) wrap(h Header, k keys.ClearKey, opts *WrapOptions) (string, error) {
	bd, err := p.binding(h.Version)
	if err != nil {
		return "", err
	}
	if opts == nil {
		opts = &WrapOptions{}
	}
	kl := k.Len()
	longest := 0
	switch h.Algorithm {
	case 'T', 'D':
		longest = 24
		if kl != 8 && kl != 16 && kl != 24 {
			return "", &Error{Err: ErrKey, Field: "algorithm", Offset: 7, Reason: "a DES or Triple DES key is 8, 16 or 24 bytes"}
		}
	case 'A':
		longest = 32
		if kl != 16 && kl != 24 && kl != 32 {
			return "", &Error{Err: ErrKey, Field: "algorithm", Offset: 7, Reason: "an AES key is 16, 24 or 32 bytes"}
		}
	default:
		if kl == 0 {
			return "", &Error{Err: ErrKey, Field: "key", Offset: -1, Reason: "no key"}
		}
	}
	masked := kl
	if opts.MaskKeyLength && longest > kl {
		masked = longest
	}
	v := h.Version
	bs, ml := v.BlockSize(), v.MACLen()
	plen := (2 + masked + bs - 1) / bs * bs
	hdr, err := h.Marshal(2*plen + 2*ml)
	if err != nil {
		return "", err
	}

	payload := make([]byte, plen)
	defer clear(payload)
	binary.BigEndian.PutUint16(payload, uint16(8*kl))
	copy(payload[2:], k.Bytes())
	rnd := opts.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	if _, err := io.ReadFull(rnd, payload[2+kl:]); err != nil {
		return "", fmt.Errorf("tr31: reading padding: %w", err)
	}

	return seal(bd, v, hdr, payload), nil
}

// seal encrypts and MACs payload (whole cipher blocks) under header hdr as
// version v does and returns the key block.
func seal(bd *binding, v Version, hdr string, payload []byte) string {
	ml := v.MACLen()
	ct := make([]byte, len(payload))
	var tag []byte
	switch v {
	case VersionA, VersionC, ThalesTDES:
		cipher.NewCBCEncrypter(bd.enc, []byte(hdr[:8])).CryptBlocks(ct, payload)
		tag = cbcMAC(bd.mac, []byte(hdr), ct)[:ml]
	case VersionB, VersionD:
		msg := append([]byte(hdr), payload...)
		tag = mac.CMAC(bd.mac, msg)[:ml]
		clear(msg)
		cipher.NewCBCEncrypter(bd.enc, tag).CryptBlocks(ct, payload)
	case ThalesAES:
		cipher.NewCBCEncrypter(bd.enc, []byte(hdr[:16])).CryptBlocks(ct, payload)
		tag = mac.CMAC(bd.mac, append([]byte(hdr), ct...))[:ml]
	}
	var sb strings.Builder
	sb.Grow(len(hdr) + 2*len(ct) + 2*ml)
	sb.WriteString(hdr)
	sb.WriteString(strings.ToUpper(hex.EncodeToString(ct)))
	sb.WriteString(strings.ToUpper(hex.EncodeToString(tag)))
	return sb.String()
}

// Unwrap verifies the TR-31 key block kb (version A, B, C or D) under p and
// returns its header and key. The header is parsed leniently (see
// ParseHeader); the block length field must equal len(kb), the header must
// be a multiple of the cipher block, and the encrypted part a whole number
// of cipher blocks. The MAC is compared in constant time; a block that does
// not verify gives ErrMAC and nothing else. The key length in the payload
// must fit it; key length masking is not required (TR-31:2018 and payShield
// blocks have none).
//
// Errors wrap ErrVersion, ErrKBPK, ErrHeader, ErrLength, ErrEncoding or
// ErrMAC.
func (p *KBPK) Unwrap(kb string) (Header, keys.ClearKey, error) {
	if kb == "" || !Version(kb[0]).TR31() {
		return Header{}, keys.ClearKey{}, &Error{Err: ErrVersion, Field: "version", Offset: 0, Reason: "not a TR-31 version"}
	}
	return p.unwrap(kb)
}

// UnwrapThales verifies the Thales key block kb (version 0 or 1, without
// its "S" tag) under p, a key-block LMK, and returns its header and key.
// The caller checks the header's LMK ID against the LMK it meant. Errors as
// for Unwrap.
func (p *KBPK) UnwrapThales(kb string) (Header, keys.ClearKey, error) {
	if kb == "" || !Version(kb[0]).Thales() {
		return Header{}, keys.ClearKey{}, &Error{Err: ErrVersion, Field: "version", Offset: 0, Reason: "not a Thales key block version"}
	}
	return p.unwrap(kb)
}

func (p *KBPK) unwrap(kb string) (Header, keys.ClearKey, error) {
	h, payload, err := p.open(kb)
	defer clear(payload)
	if err != nil {
		return Header{}, keys.ClearKey{}, err
	}
	bits := int(binary.BigEndian.Uint16(payload))
	kl := bits / 8
	if bits%8 != 0 || kl > len(payload)-2 {
		return Header{}, keys.ClearKey{}, lengthErr("key length", -1, "does not fit the payload")
	}
	k, err := keys.NewClearKey(payload[2 : 2+kl])
	if err != nil {
		return Header{}, keys.ClearKey{}, lengthErr("key length", -1, "not 8, 16, 24 or 32 bytes")
	}
	return h, k, nil
}

// open checks kb's form, verifies its MAC and returns its header and clear
// payload (which the caller clears).
func (p *KBPK) open(kb string) (Header, []byte, error) {
	h, n, declared, err := ParseHeader(kb)
	if err != nil {
		return Header{}, nil, err
	}
	v := h.Version
	bd, err := p.binding(v)
	if err != nil {
		return Header{}, nil, err
	}
	if declared != len(kb) {
		return Header{}, nil, lengthErr("block length", 1, "does not match the length of the key block")
	}
	bs, ml := v.BlockSize(), v.MACLen()
	if n%bs != 0 {
		return Header{}, nil, headerErr("header", 0, "length is not a multiple of the cipher block")
	}
	body := kb[n:]
	ctHex := len(body) - 2*ml
	if ctHex <= 0 || ctHex%(2*bs) != 0 {
		return Header{}, nil, lengthErr("key data", n, "not a whole number of cipher blocks")
	}
	buf := make([]byte, len(body)/2)
	if _, err := hex.Decode(buf, []byte(body)); err != nil {
		return Header{}, nil, &Error{Err: ErrEncoding, Field: "key data", Offset: n}
	}
	ct, tag := buf[:ctHex/2], buf[ctHex/2:]
	hdr := []byte(kb[:n])
	payload := make([]byte, len(ct))
	fail := func() (Header, []byte, error) {
		clear(payload)
		return Header{}, nil, &Error{Err: ErrMAC, Offset: -1}
	}
	switch v {
	case VersionA, VersionC, ThalesTDES:
		if subtle.ConstantTimeCompare(cbcMAC(bd.mac, hdr, ct)[:ml], tag) != 1 {
			return fail()
		}
		cipher.NewCBCDecrypter(bd.enc, hdr[:8]).CryptBlocks(payload, ct)
	case VersionB, VersionD:
		cipher.NewCBCDecrypter(bd.enc, tag).CryptBlocks(payload, ct)
		msg := append(hdr, payload...)
		ok := subtle.ConstantTimeCompare(mac.CMAC(bd.mac, msg)[:ml], tag) == 1
		clear(msg)
		if !ok {
			return fail()
		}
	case ThalesAES:
		if subtle.ConstantTimeCompare(mac.CMAC(bd.mac, append(hdr, ct...))[:ml], tag) != 1 {
			return fail()
		}
		cipher.NewCBCDecrypter(bd.enc, hdr[:16]).CryptBlocks(payload, ct)
	}
	return h, payload, nil
}

// cbcMAC returns the last block of the CBC encryption, zero IV, of hdr || ct
// (both whole blocks): ISO/IEC 9797-1 MAC algorithm 1 without padding.
func cbcMAC(b cipher.Block, hdr, ct []byte) []byte {
	bs := b.BlockSize()
	st := make([]byte, bs)
	for _, part := range [2][]byte{hdr, ct} {
		for i := 0; i+bs <= len(part); i += bs {
			subtle.XORBytes(st, st, part[i:i+bs])
			b.Encrypt(st, st)
		}
	}
	return st
}
