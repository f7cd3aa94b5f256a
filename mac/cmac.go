package mac

import (
	"crypto/cipher"
	"crypto/subtle"
)

// CMAC returns the full-length CMAC of msg under b (NIST SP 800-38B, RFC 4493
// for AES; ISO/IEC 9797-1:2011 MAC algorithm 5). b must have a 64-bit block
// (Triple DES, Rb = 0x1B) or a 128-bit block (AES, Rb = 0x87); CMAC panics on
// any other block size, which is a programming error. Truncate the result as
// the application requires (leftmost bytes); the AES key check value, for
// instance, is the leftmost bytes of CMAC over one zero block.
func CMAC(b cipher.Block, msg []byte) []byte {
	bs := b.BlockSize()
	var rb byte
	switch bs {
	case 8:
		rb = 0x1B
	case 16:
		rb = 0x87
	default:
		panic("mac: CMAC needs a 64- or 128-bit block cipher")
	}
	var kb, buf, st [maxBlock]byte
	k := kb[:bs]
	b.Encrypt(k, k) // L = E_K(0^b)
	subkey(k, rb)   // K1
	var last []byte
	if len(msg) > 0 && len(msg)%bs == 0 {
		last = buf[:bs]
		copy(last, msg[len(msg)-bs:])
		msg = msg[:len(msg)-bs]
	} else {
		subkey(k, rb) // K2
		var err error
		msg, last, err = lastBlock(buf[:], msg, bs, PaddingMethod2)
		if err != nil {
			panic("mac: internal padding error") // method 2 never fails
		}
	}
	subtle.XORBytes(last, last, k)
	s := st[:bs]
	cbc(b, s, msg)
	subtle.XORBytes(s, s, last)
	b.Encrypt(s, s)
	clear(kb[:])
	return append([]byte(nil), s...)
}

// subkey doubles k in GF(2^n) in place: shift left one bit and, if the top
// bit was set, XOR rb into the last byte (SP 800-38B §6.1).
func subkey(k []byte, rb byte) {
	msb := k[0] >> 7
	for i := 0; i < len(k)-1; i++ {
		k[i] = k[i]<<1 | k[i+1]>>7
	}
	k[len(k)-1] = k[len(k)-1]<<1 ^ rb&-msb
}
