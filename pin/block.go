package pin

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
)

// binding is what a block is bound to: the format 0/3 account field or the
// format 4 PAN field.
type binding struct {
	acct [8]byte
	pan  [16]byte
}

// bind checks account for format f and returns the binding. With panGiven,
// account is a full PAN even for formats 0 and 3, which then use
// AccountFromPAN of it (Translate with an ISO4 side).
func bind(f Format, account string, panGiven bool) (bd binding, err error) {
	switch f {
	case ISO0, ISO3:
		if !panGiven {
			bd.acct, err = accountBlock(account)
			return bd, err
		}
		a, err := accountDigits(account)
		if err != nil {
			return bd, err
		}
		bd.acct, err = accountBlock(a[:])
		return bd, err
	case ISO4:
		bd.pan, err = panField(account)
		return bd, err
	}
	return bd, nil
}

// needsRandom reports whether format f takes random fill.
func needsRandom(f Format) bool { return f == ISO1 || f == ISO3 || f == ISO4 }

func checkFormat(f Format) error {
	if !f.valid() {
		return errFormatValue
	}
	return nil
}

func checkKey(key cipher.Block, f Format) error {
	if f == ISO4 {
		if key == nil || key.BlockSize() != 16 {
			return errKeyISO4
		}
		return nil
	}
	if key == nil || key.BlockSize() != 8 {
		return errKey64
	}
	return nil
}

func checkPIN(p *PIN) error {
	if p.n < MinLen || p.n > MaxLen {
		return errPINLength
	}
	return nil
}

// EncodeBlock appends the clear PIN block of p in format f to dst and returns
// the extended slice: 8 bytes, or for ISO4 the 16-byte plaintext PIN field
// (before its two-step encipherment; see EncryptBlock).
//
// account is what the format is bound to: for ISO0 and ISO3 the 12-digit
// account field (AccountFromPAN), for ISO4 the full PAN (1 to 19 digits); it
// is not used by ISO1, ISO2 and IBM3624. rnd supplies the random fill of
// ISO1 (nibbles 0-F), ISO3 (nibbles A-F) and ISO4 (the 8 random bytes);
// exactly 8 bytes are read from it for those formats, and nil means
// crypto/rand.Reader.
//
// On error dst is returned with its original length.
func EncodeBlock(dst []byte, f Format, p PIN, account string, rnd io.Reader) ([]byte, error) {
	return appendBlock(dst, nil, f, &p, account, false, rnd)
}

// EncryptBlock appends the PIN block of p in format f, enciphered under key,
// to dst and returns the extended slice. ISO0 to ISO3 and IBM3624 encrypt
// the 8-byte clear block once with key (DES or TDES, see internal/tdes);
// ISO4 uses ISO 9564-1 two-step encipherment with key (AES):
// block = E(E(PIN field) XOR PAN field). account and rnd are as for
// EncodeBlock. A key whose block size does not fit f gives ErrKey.
//
// On error dst is returned with its original length.
func EncryptBlock(dst []byte, key cipher.Block, f Format, p PIN, account string, rnd io.Reader) ([]byte, error) {
	if err := checkKey(key, f); err != nil {
		return dst, err
	}
	return appendBlock(dst, key, f, &p, account, false, rnd)
}

func appendBlock(dst []byte, key cipher.Block, f Format, p *PIN, account string, panGiven bool, rnd io.Reader) ([]byte, error) {
	if err := checkFormat(f); err != nil {
		return dst, err
	}
	if err := checkPIN(p); err != nil {
		return dst, err
	}
	bd, err := bind(f, account, panGiven)
	if err != nil {
		return dst, err
	}
	start := len(dst)
	n := f.BlockSize()
	dst = slices.Grow(dst, n)[:start+n]
	if err := encodeInto(dst[start:], key, f, p, &bd, rnd); err != nil {
		return dst[:start], err
	}
	return dst, nil
}

// encodeInto writes the block of p into out (f.BlockSize() bytes of memory
// the caller owns), enciphering it when key is not nil. out doubles as the
// buffer the random fill is read into, so that nothing is allocated.
func encodeInto(out []byte, key cipher.Block, f Format, p *PIN, bd *binding, rnd io.Reader) error {
	var r [8]byte
	if needsRandom(f) {
		if rnd == nil {
			rnd = rand.Reader
		}
		if _, err := io.ReadFull(rnd, out[:8]); err != nil {
			clear(out)
			return fmt.Errorf("pin: reading random fill: %w", err)
		}
		copy(r[:], out[:8])
	}
	encodeClear(out, f, p, bd, &r)
	clear(r[:])
	if key != nil {
		encipher(key, f, out, bd)
	}
	return nil
}

// encodeClear writes the clear block of p (f.BlockSize() bytes) to b,
// taking random fill from r.
func encodeClear(b []byte, f Format, p *PIN, bd *binding, r *[8]byte) {
	var nib [16]byte
	n := int(p.n)
	if f == IBM3624 {
		for i := range n {
			nib[i] = p.digit(i)
		}
		for i := n; i < 16; i++ {
			nib[i] = 0xF
		}
	} else {
		nib[0] = byte(f)
		nib[1] = byte(n)
		for i := range n {
			nib[2+i] = p.digit(i)
		}
		// ISO3 fill (ours): the base-6 digits of a 64-bit random number.
		// At most 10 fill nibbles are needed; they depend on x mod 6^10,
		// which is uniform to within 6^10/2^64 < 2^-38, so the fill is
		// uniform on A-F for all practical purposes and always takes
		// exactly 8 random bytes (no rejection loop).
		x := binary.BigEndian.Uint64(r[:])
		for i := 2 + n; i < 16; i++ {
			switch f {
			case ISO0, ISO2:
				nib[i] = 0xF
			case ISO1:
				nib[i] = r[i/2] >> (4 * (1 - i%2)) & 0xF
			case ISO3:
				nib[i] = 0xA + byte(x%6)
				x /= 6
			case ISO4:
				nib[i] = 0xA
			}
		}
	}
	packNibbles(b[:8], nib[:])
	clear(nib[:])
	switch f {
	case ISO0, ISO3:
		for i := range 8 {
			b[i] ^= bd.acct[i]
		}
	case ISO4:
		copy(b[8:16], r[:])
	}
}

// encipher encrypts block b in place; ISO4 uses two-step encipherment.
func encipher(key cipher.Block, f Format, b []byte, bd *binding) {
	key.Encrypt(b, b)
	if f == ISO4 {
		for i := range 16 {
			b[i] ^= bd.pan[i]
		}
		key.Encrypt(b, b)
	}
}

// decipher decrypts block b in place, undoing encipher.
func decipher(key cipher.Block, f Format, b []byte, bd *binding) {
	key.Decrypt(b, b)
	if f == ISO4 {
		for i := range 16 {
			b[i] ^= bd.pan[i]
		}
		key.Decrypt(b, b)
	}
}

// DecodeBlock returns the PIN of the clear PIN block of format f: 8 bytes,
// or for ISO4 the 16-byte plaintext PIN field. account is as for
// EncodeBlock.
//
// Every ISO 9564-1 rule is checked: the block length, the control nibble,
// a length nibble of 4 to 12 (A-C for 10-12), decimal PIN digits and the
// fill: F for ISO0 and ISO2, A-F for ISO3, A up to the 8th byte for ISO4,
// anything for ISO1. An IBM3624 block is 4 to 12 decimal digits followed by F
// only. Errors wrap ErrInvalidBlock or ErrPINLength (and ErrPINDigits for a
// non-decimal PIN digit); a malformed account gives ErrAccount.
func DecodeBlock(f Format, block []byte, account string) (PIN, error) {
	if err := checkFormat(f); err != nil {
		return PIN{}, err
	}
	bd, err := bindBlock(f, block, account)
	if err != nil {
		return PIN{}, err
	}
	return decodeCopy(f, block, &bd)
}

// bindBlock checks that block has f's size and binds account to f, for
// DecodeBlock and DecryptBlock.
func bindBlock(f Format, block []byte, account string) (binding, error) {
	if len(block) != f.BlockSize() {
		return binding{}, errBlockLength
	}
	return bind(f, account, false)
}

// decodeCopy decodes a copy of the clear block, and clears the copy.
func decodeCopy(f Format, block []byte, bd *binding) (PIN, error) {
	var b [16]byte
	copy(b[:], block)
	p, err := decodeClear(f, &b, bd)
	clear(b[:])
	return p, err
}

// DecryptBlock deciphers block (format f, under key) and returns its PIN.
// account and the checks are as for DecodeBlock; the key as for EncryptBlock.
// A wrong key or account almost always gives ErrInvalidBlock or ErrPINLength;
// like any PIN block format, none detects it with certainty.
func DecryptBlock(key cipher.Block, f Format, block []byte, account string) (PIN, error) {
	if err := checkFormat(f); err != nil {
		return PIN{}, err
	}
	if err := checkKey(key, f); err != nil {
		return PIN{}, err
	}
	bd, err := bindBlock(f, block, account)
	if err != nil {
		return PIN{}, err
	}
	// Deciphering through the cipher.Block interface needs heap memory.
	buf := new([16]byte)
	n := copy(buf[:], block)
	decipher(key, f, buf[:n], &bd)
	p, err := decodeCopy(f, buf[:n], &bd)
	clear(buf[:])
	return p, err
}

// Translate deciphers the PIN block src (format fromFmt, under from) and
// appends the same PIN as a block of format toFmt under to to dst. It
// returns the extended slice and the PIN length (for the payShield CA/CC
// response). The clear PIN never leaves the function.
//
// account is the 12-digit account field for ISO0 and ISO3. When either
// format is ISO4, account must be the full PAN instead, and ISO0 and ISO3
// then use AccountFromPAN of it (ours: one argument serves both sides, and
// its meaning follows from the two formats). rnd is as for EncodeBlock. dst and src may
// overlap. Translate does not allocate when dst has room for the result
// (and, if src is ISO4 and toFmt is not, 8 bytes more of scratch).
//
// On error dst is returned with its original length. Errors are those of
// DecryptBlock and EncryptBlock.
func Translate(dst, src []byte, from cipher.Block, fromFmt Format, to cipher.Block, toFmt Format, account string, rnd io.Reader) ([]byte, int, error) {
	if err := checkFormat(fromFmt); err != nil {
		return dst, 0, err
	}
	if err := checkFormat(toFmt); err != nil {
		return dst, 0, err
	}
	if err := checkKey(from, fromFmt); err != nil {
		return dst, 0, err
	}
	if err := checkKey(to, toFmt); err != nil {
		return dst, 0, err
	}
	inSize, outSize := fromFmt.BlockSize(), toFmt.BlockSize()
	if len(src) != inSize {
		return dst, 0, errBlockLength
	}
	panGiven := fromFmt == ISO4 || toFmt == ISO4
	fromBd, err := bind(fromFmt, account, panGiven)
	if err != nil {
		return dst, 0, err
	}
	toBd, err := bind(toFmt, account, panGiven)
	if err != nil {
		return dst, 0, err
	}

	// Copy src out before dst is extended, in case they overlap; then
	// decipher in the caller's memory, which the cipher may retain
	// (escape analysis cannot see through cipher.Block).
	var b [16]byte
	copy(b[:], src)
	start := len(dst)
	dst = slices.Grow(dst, max(inSize, outSize))[:start+max(inSize, outSize)]
	scratch := dst[start:]
	copy(scratch, b[:inSize])
	decipher(from, fromFmt, scratch[:inSize], &fromBd)
	copy(b[:], scratch[:inSize])
	p, err := decodeClear(fromFmt, &b, &fromBd)
	clear(b[:])
	if err != nil {
		clear(scratch)
		return dst[:start], 0, err
	}
	err = encodeInto(scratch[:outSize], to, toFmt, &p, &toBd, rnd)
	n := p.Len()
	p.wipe()
	if err != nil {
		clear(scratch)
		return dst[:start], 0, err
	}
	clear(scratch[outSize:])
	return dst[:start+outSize], n, nil
}

// decodeClear decodes the clear block b of format f (for ISO0 and ISO3
// still XORed with the account field, which it removes).
func decodeClear(f Format, b *[16]byte, bd *binding) (PIN, error) {
	if f == ISO0 || f == ISO3 {
		for i := range 8 {
			b[i] ^= bd.acct[i]
		}
	}
	if f == IBM3624 {
		return decode3624(b)
	}
	var p PIN
	if b[0]>>4 != byte(f) {
		return p, errControl
	}
	n := int(b[0] & 0xF)
	if n < MinLen || n > MaxLen {
		return p, errLengthField
	}
	for i := range n {
		d := nibble(b, 2+i)
		if d > 9 {
			p.wipe()
			return PIN{}, errBlockDigit
		}
		p.d[i] = '0' + d
	}
	p.n = uint8(n)
	for i := 2 + n; i < 16; i++ {
		d := nibble(b, i)
		var ok bool
		switch f {
		case ISO0, ISO2:
			ok = d == 0xF
		case ISO1:
			ok = true
		case ISO3:
			ok = d >= 0xA
		case ISO4:
			ok = d == 0xA
		}
		if !ok {
			p.wipe()
			return PIN{}, errFill
		}
	}
	return p, nil
}

// decode3624 decodes an IBM 3624 block: the PIN is the run of leading
// decimal digits, and everything after it must be F.
func decode3624(b *[16]byte) (PIN, error) {
	n := 0
	for n < 16 && nibble(b, n) <= 9 {
		n++
	}
	for i := n; i < 16; i++ {
		if nibble(b, i) != 0xF {
			return PIN{}, err3624Pad
		}
	}
	if n < MinLen || n > MaxLen {
		return PIN{}, err3624Length
	}
	var p PIN
	for i := range n {
		p.d[i] = '0' + nibble(b, i)
	}
	p.n = uint8(n)
	return p, nil
}

// nibble returns nibble i of b, high nibble first.
func nibble(b *[16]byte, i int) byte {
	return b[i/2] >> (4 * (1 - i%2)) & 0xF
}
