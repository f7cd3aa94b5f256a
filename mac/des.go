package mac

import (
	"crypto/cipher"
	"encoding/binary"
)

// This file holds a table-driven DES (FIPS 46-3) used only behind Retail.
// crypto/des spends about 0.7 µs on each key schedule; the EMV cryptogram
// path keys two double-length keys per transaction (card key, session key),
// so the schedule dominates. Here the schedule is eight table lookups per
// round key. Results are checked bit for bit against crypto/des in tests.

// FIPS 46-3 tables, 1-indexed with bit 1 the most significant, as printed
// in the standard.
var (
	fipsIP = [64]uint8{
		58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
		62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
		57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
		61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
	}
	fipsP = [32]uint8{
		16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
		2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
	}
	fipsPC1 = [56]uint8{
		57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
		10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
		63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
		14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
	}
	fipsPC2 = [48]uint8{
		14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10,
		23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
		41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
		44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
	}
	fipsShifts = [16]uint8{1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1}
	fipsS      = [8][64]uint8{
		{14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
			0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
			4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
			15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13},
		{15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
			3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
			0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
			13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9},
		{10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
			13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
			13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
			1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12},
		{7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
			13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
			10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
			3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14},
		{2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
			14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
			4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
			11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3},
		{12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
			10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
			9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
			4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13},
		{4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
			13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
			1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
			6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12},
		{13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
			1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
			7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
			2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11},
	}
)

// desTab holds the lookup tables derived once from the FIPS tables; they are
// never written after initialisation.
type desTab struct {
	ip  [8][256]uint64 // initial permutation, by input byte
	fp  [8][256]uint64 // final permutation (inverse of ip), by input byte
	pc1 [8][256]uint64 // permuted choice 1: 56-bit C||D in the low bits
	pc2 [8][128]uint64 // permuted choice 2 by 7-bit chunk of C||D, packed round key
	sp  [8][64]uint32  // S-box i followed by P, by 6-bit input
}

var tab = newDESTab()

// bitOf returns the mask of FIPS bit i (1 = most significant) in an n-bit word.
func bitOf(i, n int) uint64 { return 1 << (n - i) }

// permByte fills t so that OR-ing t[k][byte k of x] applies perm (output
// bit j = input bit perm[j-1]) to the in-bit input x, producing out bits.
func permByte(t *[8][256]uint64, perm []uint8, in, out int) {
	for k := range in / 8 {
		for v := range 256 {
			var w uint64
			for j, src := range perm {
				s := int(src) - 1
				if s/8 == k && v&(0x80>>(s%8)) != 0 {
					w |= bitOf(j+1, out)
				}
			}
			t[k][v] = w
		}
	}
}

// packBit returns where bit j (1..48) of a round key lives in the packed
// form used by the rounds: two 32-bit words, each byte one 6-bit S-box
// group. The odd groups 1,3,5,7 (0-based) go to the high word, bytes 3..0;
// the even groups 0,2,4,6 to the low word. This matches the two rotations of
// R that line the expansion E up with those bytes (see feistel).
func packBit(j int) uint64 {
	g, b := (j-1)/6, (j-1)%6
	shift := uint(5 - b)
	if g%2 == 1 {
		shift += 32 + 8*uint(3-(g-1)/2)
	} else {
		shift += 8 * uint(3-g/2)
	}
	return 1 << shift
}

func newDESTab() *desTab {
	t := new(desTab)
	permByte(&t.ip, fipsIP[:], 64, 64)
	var fp [64]uint8
	for j, src := range fipsIP {
		fp[src-1] = uint8(j + 1)
	}
	permByte(&t.fp, fp[:], 64, 64)
	permByte(&t.pc1, fipsPC1[:], 64, 56)
	for c := range 8 {
		for v := range 128 {
			var w uint64
			for j, src := range fipsPC2 {
				s := int(src) - 1 // 0-based bit of the 56-bit C||D
				if s/7 == c && v&(0x40>>(s%7)) != 0 {
					w |= packBit(j + 1)
				}
			}
			t.pc2[c][v] = w
		}
	}
	for i := range 8 {
		for v := range 64 {
			row := (v>>4)&2 | v&1
			col := (v >> 1) & 15
			s := uint32(fipsS[i][row*16+col]) << (28 - 4*i) // S-box output bits 4i+1..4i+4
			var w uint32
			for j, src := range fipsP {
				if s&uint32(bitOf(int(src), 32)) != 0 {
					w |= uint32(bitOf(j+1, 32))
				}
			}
			t.sp[i][v] = w
		}
	}
	return t
}

// desKey is one DES key schedule: 16 packed round keys.
type desKey [16]uint64

// setKey computes the schedule for the 8-byte key k (parity bits ignored).
func (ks *desKey) setKey(k []byte) {
	_ = k[7]
	t := &tab.pc1
	cd := t[0][k[0]] | t[1][k[1]] | t[2][k[2]] | t[3][k[3]] |
		t[4][k[4]] | t[5][k[5]] | t[6][k[6]] | t[7][k[7]]
	c, d := uint32(cd>>28), uint32(cd&0x0FFFFFFF)
	p := &tab.pc2
	for i, s := range fipsShifts {
		c = (c<<s | c>>(28-s)) & 0x0FFFFFFF
		d = (d<<s | d>>(28-s)) & 0x0FFFFFFF
		x := uint64(c)<<28 | uint64(d)
		ks[i] = p[0][x>>49] | p[1][x>>42&127] | p[2][x>>35&127] | p[3][x>>28&127] |
			p[4][x>>21&127] | p[5][x>>14&127] | p[6][x>>7&127] | p[7][x&127]
	}
}

// feistel returns f(R, K) of FIPS 46-3 for the packed round key k.
func feistel(r uint32, k uint64) uint32 {
	sp := &tab.sp
	r = r<<1 | r>>31 // lines E's groups 1,3,5,7 up with bytes 3..0
	t := r ^ uint32(k>>32)
	f := sp[7][t&63] ^ sp[5][t>>8&63] ^ sp[3][t>>16&63] ^ sp[1][t>>24&63]
	t = (r>>4 | r<<28) ^ uint32(k) // groups 0,2,4,6
	return f ^ sp[6][t&63] ^ sp[4][t>>8&63] ^ sp[2][t>>16&63] ^ sp[0][t>>24&63]
}

// encRounds runs the 16 rounds forward on the halves of an IP-permuted block
// and returns the pre-output halves (R16, L16), ready for FP or for the next
// DES stage (IP and FP cancel between stages of Triple DES).
func (ks *desKey) encRounds(l, r uint32) (uint32, uint32) {
	for i := 0; i < 16; i += 2 {
		l ^= feistel(r, ks[i])
		r ^= feistel(l, ks[i+1])
	}
	return r, l
}

// decRounds is encRounds with the round keys in reverse order.
func (ks *desKey) decRounds(l, r uint32) (uint32, uint32) {
	for i := 15; i > 0; i -= 2 {
		l ^= feistel(r, ks[i])
		r ^= feistel(l, ks[i-1])
	}
	return r, l
}

func ip(x uint64) uint64 {
	t := &tab.ip
	return t[0][x>>56] | t[1][x>>48&255] | t[2][x>>40&255] | t[3][x>>32&255] |
		t[4][x>>24&255] | t[5][x>>16&255] | t[6][x>>8&255] | t[7][x&255]
}

func fp(x uint64) uint64 {
	t := &tab.fp
	return t[0][x>>56] | t[1][x>>48&255] | t[2][x>>40&255] | t[3][x>>32&255] |
		t[4][x>>24&255] | t[5][x>>16&255] | t[6][x>>8&255] | t[7][x&255]
}

// tdes2 is double-length Triple DES (keying option 2, K1 K2 K1) over two
// DES schedules; it implements cipher.Block.
type tdes2 struct {
	k1, k2 desKey
}

var _ cipher.Block = (*tdes2)(nil)

func (*tdes2) BlockSize() int { return 8 }

// ede runs E_K1(D_K2(E_K1(.))) on an IP-domain block.
func (c *tdes2) ede(x uint64) uint64 {
	l, r := c.k1.encRounds(uint32(x>>32), uint32(x))
	l, r = c.k2.decRounds(l, r)
	l, r = c.k1.encRounds(l, r)
	return uint64(l)<<32 | uint64(r)
}

func (c *tdes2) Encrypt(dst, src []byte) {
	if len(src) < 8 || len(dst) < 8 {
		panic("mac: input not full block")
	}
	x := ip(binary.BigEndian.Uint64(src))
	binary.BigEndian.PutUint64(dst, fp(c.ede(x)))
}

func (c *tdes2) Decrypt(dst, src []byte) {
	if len(src) < 8 || len(dst) < 8 {
		panic("mac: input not full block")
	}
	x := ip(binary.BigEndian.Uint64(src))
	l, r := c.k1.decRounds(uint32(x>>32), uint32(x))
	l, r = c.k2.encRounds(l, r)
	l, r = c.k1.decRounds(l, r)
	binary.BigEndian.PutUint64(dst, fp(uint64(l)<<32|uint64(r)))
}
