package mac

import (
	"crypto/cipher"
	"crypto/subtle"
)

// maxBlock is the largest block size this package handles (AES).
const maxBlock = 16

// Alg1 returns the ISO/IEC 9797-1:2011 MAC algorithm 1 value (CBC-MAC with a
// zero IV, no output transformation) of msg under b, padded with p: the last
// CBC block, of b's block size. Truncate the result as the application
// requires (leftmost bytes). Alg1 panics if b's block size exceeds 16 bytes.
func Alg1(b cipher.Block, msg []byte, p Padding) ([]byte, error) {
	bs := b.BlockSize()
	if bs > maxBlock {
		panic("mac: block size over 16 bytes")
	}
	var buf, st [maxBlock]byte
	head, last, err := lastBlock(buf[:], msg, bs, p)
	if err != nil {
		return nil, err
	}
	s := st[:bs]
	cbc(b, s, head)
	subtle.XORBytes(s, s, last)
	b.Encrypt(s, s)
	return append([]byte(nil), s...), nil
}

// cbc runs CBC encryption of the whole blocks of msg into the chaining
// state s (len(s) == block size), keeping only the final state.
func cbc(b cipher.Block, s, msg []byte) {
	bs := len(s)
	for len(msg) >= bs {
		subtle.XORBytes(s, s, msg[:bs])
		b.Encrypt(s, s)
		msg = msg[bs:]
	}
}
