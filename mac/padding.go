package mac

import (
	"errors"
	"fmt"
)

// Padding selects an ISO/IEC 9797-1 padding method.
type Padding int

const (
	// PaddingNone adds nothing: the message must be a non-empty multiple of
	// the block size (ours: the "no padding" option of payShield M6/M8).
	PaddingNone Padding = iota
	// PaddingMethod1 is ISO/IEC 9797-1:2011 padding method 1: append zero
	// bytes up to a block multiple, nothing if already aligned; an empty
	// message becomes one zero block.
	PaddingMethod1
	// PaddingMethod2 is ISO/IEC 9797-1:2011 padding method 2: append 0x80,
	// then zero bytes up to a block multiple (always at least one byte).
	PaddingMethod2
)

// String returns the padding's name.
func (p Padding) String() string {
	switch p {
	case PaddingNone:
		return "none"
	case PaddingMethod1:
		return "ISO9797-1 method 1"
	case PaddingMethod2:
		return "ISO9797-1 method 2"
	}
	return fmt.Sprintf("Padding(%d)", int(p))
}

// ErrUnaligned is returned with PaddingNone when the message is empty or not
// a multiple of the block size.
var ErrUnaligned = errors.New("mac: message length is not a non-zero multiple of the block size")

// ErrPadding is returned for a Padding value that is not one of the three
// methods above.
var ErrPadding = errors.New("mac: unknown padding method")

// KeySizeError reports a key of the wrong length; it carries the length only.
type KeySizeError int

// Error implements error; it names the length only.
func (k KeySizeError) Error() string {
	return fmt.Sprintf("mac: invalid key length %d", int(k))
}

// paddedLen returns the length of msgLen bytes after padding p, or an error.
func paddedLen(msgLen, blockSize int, p Padding) (int, error) {
	switch p {
	case PaddingNone:
		if msgLen == 0 || msgLen%blockSize != 0 {
			return 0, ErrUnaligned
		}
		return msgLen, nil
	case PaddingMethod1:
		if msgLen == 0 {
			return blockSize, nil
		}
		return (msgLen + blockSize - 1) / blockSize * blockSize, nil
	case PaddingMethod2:
		return (msgLen/blockSize + 1) * blockSize, nil
	}
	return 0, ErrPadding
}

// Pad appends msg padded with method p to a multiple of blockSize to dst and
// returns the extended slice (ISO/IEC 9797-1:2011 clause 6.3). blockSize
// must be positive.
func Pad(dst, msg []byte, blockSize int, p Padding) ([]byte, error) {
	if blockSize <= 0 {
		return dst, errors.New("mac: block size must be positive")
	}
	n, err := paddedLen(len(msg), blockSize, p)
	if err != nil {
		return dst, err
	}
	dst = append(dst, msg...)
	if p == PaddingMethod2 {
		dst = append(dst, 0x80)
	}
	for range n - len(msg) - btoi(p == PaddingMethod2) {
		dst = append(dst, 0)
	}
	return dst, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// lastBlock splits msg for a CBC-MAC with block size bs under padding p: the
// returned head holds the whole blocks that need no padding and last (of
// length bs, in buf) the final, padded block. It does not allocate.
func lastBlock(buf []byte, msg []byte, bs int, p Padding) (head, last []byte, err error) {
	n, err := paddedLen(len(msg), bs, p)
	if err != nil {
		return nil, nil, err
	}
	cut := n - bs // bytes of msg before the final block
	last = buf[:bs]
	clear(last)
	copy(last, msg[cut:])
	if p == PaddingMethod2 {
		last[len(msg)-cut] = 0x80
	}
	return msg[:cut], last, nil
}
