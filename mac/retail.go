package mac

import (
	"crypto/cipher"
	"encoding/binary"
	"fmt"
)

// RetailSize is the length of a full retail MAC (one DES block).
const RetailSize = 8

// Retail computes the ISO/IEC 9797-1:2011 MAC algorithm 3 (ANSI X9.19
// retail MAC) under one double-length key K = KL || KR: CBC with single DES
// under KL over every block, then the last state is decrypted under KR and
// encrypted again under KL. It caches the two DES key schedules, so build one
// per key and reuse it; a Retail is safe for concurrent use once built.
// Its zero value is not usable; call NewRetail or SetKey.
type Retail struct {
	c tdes2
}

// NewRetail returns a Retail for the 16-byte key (KL || KR). Parity bits are
// ignored, as DES ignores them. Any other key length gives a KeySizeError.
// The key bytes are not kept, only their schedules.
func NewRetail(key []byte) (*Retail, error) {
	r := new(Retail)
	if err := r.init(key); err != nil {
		return nil, err
	}
	return r, nil
}

// SetKey re-keys r in place with the 16-byte key (KL || KR), so a caller can
// keep a Retail inside its own struct without another allocation. A key of
// another length gives a KeySizeError and leaves r unchanged.
func (r *Retail) SetKey(key []byte) error { return r.init(key) }

func (r *Retail) init(key []byte) error {
	if len(key) != 16 {
		return KeySizeError(len(key))
	}
	r.c.k1.setKey(key[:8])
	r.c.k2.setKey(key[8:])
	return nil
}

// MAC appends the 8-byte MAC algorithm 3 value of msg, padded with p, to dst
// and returns the extended slice. X9.19 usage keeps the leftmost 4 bytes;
// EMV keeps all 8. MAC does not allocate when dst has room for 8 bytes.
func (r *Retail) MAC(dst, msg []byte, p Padding) ([]byte, error) {
	var buf [8]byte
	head, last, err := lastBlock(buf[:], msg, 8, p)
	if err != nil {
		return dst, err
	}
	// The chaining state stays in the IP domain: IP is a bit permutation,
	// so IP(s XOR m) = IP(s) XOR IP(m) and FP/IP cancel between blocks.
	var s uint64
	for ; len(head) >= 8; head = head[8:] {
		s ^= ip(binary.BigEndian.Uint64(head))
		l, rr := r.c.k1.encRounds(uint32(s>>32), uint32(s))
		s = uint64(l)<<32 | uint64(rr)
	}
	s = r.c.ede(s ^ ip(binary.BigEndian.Uint64(last)))
	return binary.BigEndian.AppendUint64(dst, fp(s)), nil
}

// Verify reports whether tag is the leftmost len(tag) bytes of the MAC of
// msg padded with p, comparing in constant time (crypto/subtle). tag must be
// 4 to 8 bytes long; a shorter or longer tag never verifies.
func (r *Retail) Verify(msg []byte, p Padding, tag []byte) (bool, error) {
	var buf [RetailSize]byte
	m, err := r.MAC(buf[:0], msg, p)
	if err != nil {
		return false, err
	}
	if len(tag) < 4 || len(tag) > RetailSize {
		return false, nil
	}
	return Equal(m[:len(tag)], tag), nil
}

// Block returns the double-length Triple DES cipher E_KL(D_KR(E_KL(.)))
// (ANSI X9.52 keying option 2) of the Retail's key, sharing its cached key
// schedules. EMV key derivation uses it to encrypt under a card or session
// key it has just MACed with, without building a second schedule (ours).
func (r *Retail) Block() cipher.Block { return &r.c }

// Format implements fmt.Formatter so that no verb (%v, %#v, %x) prints the
// key schedules.
func (Retail) Format(f fmt.State, _ rune) { f.Write([]byte("mac.Retail[REDACTED]")) }

// Clear overwrites the cached key schedules; the Retail must not be used
// afterwards (best effort: Go may have copied memory elsewhere).
func (r *Retail) Clear() { clear(r.c.k1[:]); clear(r.c.k2[:]) }

// Alg3 returns the 8-byte ISO/IEC 9797-1 MAC algorithm 3 (ANSI X9.19 retail
// MAC) of msg under the 16-byte key, padded with p. It is NewRetail followed
// by MAC; keep a Retail instead when the key is used more than once.
func Alg3(key, msg []byte, p Padding) ([]byte, error) {
	var r Retail
	if err := r.init(key); err != nil {
		return nil, err
	}
	defer r.Clear()
	return r.MAC(make([]byte, 0, RetailSize), msg, p)
}
