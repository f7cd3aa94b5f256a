package hostcmd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxFrameLen is the largest LEN value accepted: the bytes after the 2-byte
// length prefix (header, code, fields, LMK identifier, trailer) are limited to
// 32 KiB (hostcmd.md §1).
const MaxFrameLen = 32 * 1024

// MaxHeaderLen is the largest configurable message-header length
// (hostcmd.md §1: 0..16).
const MaxHeaderLen = 16

// Header lengths in the server-side configurations of this module
// (gateway.Config, pool.HSMConfig, simulator.Config): zero means
// DefaultHeaderLen and NoHeader means no header, so that a zero-valued
// struct gets the contract's default (hostcmd.md §1). Everywhere else a
// header length is the wire's, 0..MaxHeaderLen with 0 for none: NewClient,
// NewReader, SplitFrame, ClientOptions (which takes NoHeader too), and the
// header_len setting and --header-len flags.
const (
	NoHeader         = -1
	DefaultHeaderLen = 4
)

// ConfigHeaderLen returns the configured form of a wire header length: 0
// (no header) becomes NoHeader; other lengths are kept. WireHeaderLen
// reverses it.
func ConfigHeaderLen(wire int) int {
	if wire == 0 {
		return NoHeader
	}
	return wire
}

// WireHeaderLen returns the wire header length of a configured one: 0 gives
// DefaultHeaderLen, NoHeader gives 0, 1..MaxHeaderLen is kept; anything
// else is an error.
func WireHeaderLen(configured int) (int, error) {
	switch {
	case configured == 0:
		return DefaultHeaderLen, nil
	case configured == NoHeader:
		return 0, nil
	case configured < 0 || configured > MaxHeaderLen:
		return 0, fmt.Errorf("hostcmd: header length %d: want 1..%d, or NoHeader", configured, MaxHeaderLen)
	}
	return configured, nil
}

// Framing errors. After either one the stream is out of step and the
// connection must be closed: there is nothing to answer (hostcmd.md §1).
var (
	// ErrFrameTooLarge reports a declared LEN over MaxFrameLen.
	ErrFrameTooLarge = errors.New("hostcmd: frame too large")
	// ErrFrameTooShort reports a declared LEN shorter than the header plus
	// the 2-character command code.
	ErrFrameTooShort = errors.New("hostcmd: frame too short")
)

// Frame is one frame without its 2-byte length prefix: header, command (or
// response) code, and the rest. A Frame returned by Reader.ReadFrame or
// SplitFrame refers to the caller's or reader's buffer and does not copy it.
// The zero Frame is empty.
type Frame struct {
	raw       []byte
	headerLen int
}

// MakeFrame returns the Frame over raw (header + body, no length prefix)
// with the given header length. It does not copy raw. It panics if raw is
// shorter than headerLen+2 or headerLen is outside 0..MaxHeaderLen: callers
// pass frames they have already checked (ours).
func MakeFrame(raw []byte, headerLen int) Frame {
	checkHeaderLen(headerLen)
	if len(raw) < headerLen+2 {
		panic("hostcmd: MakeFrame: frame shorter than header and code")
	}
	return Frame{raw: raw, headerLen: headerLen}
}

// Header returns the message header: returned unchanged in the response
// (hostcmd.md §1).
func (f Frame) Header() []byte { return f.raw[:f.headerLen:f.headerLen] }

// Code returns the 2-character command (or response) code after the header.
// It does not allocate; the zero Frame gives a zero code.
func (f Frame) Code() [2]byte {
	if len(f.raw) < f.headerLen+2 {
		return [2]byte{}
	}
	return [2]byte{f.raw[f.headerLen], f.raw[f.headerLen+1]}
}

// Body returns the frame from the code on: code, fields, optional %nn LMK
// identifier and optional 0x19 trailer.
func (f Frame) Body() []byte { return f.raw[f.headerLen:] }

// Bytes returns header + body (the frame without its length prefix).
func (f Frame) Bytes() []byte { return f.raw }

// HeaderLen returns the header length the frame was read with.
func (f Frame) HeaderLen() int { return f.headerLen }

// defaultBufSize is the Reader's initial buffer; it grows once, to the
// largest frame, if a frame needs it.
const defaultBufSize = 4096

// maxEmptyReads bounds successive (0, nil) reads, as bufio does.
const maxEmptyReads = 100

// Reader reads frames from a stream into its own reusable buffer. It reads
// ahead: one Read may bring several pipelined frames, and Buffered tells a
// server whether more are already waiting. Not safe for concurrent use.
type Reader struct {
	r          io.Reader
	headerLen  int
	buf        []byte
	start, end int   // unread bytes are buf[start:end]
	err        error // sticky read error, returned once buffered frames are spent
}

// NewReader returns a Reader of frames with a headerLen-byte message header.
// It panics if headerLen is outside 0..MaxHeaderLen (a configuration bug,
// checked by callers at configuration time).
func NewReader(r io.Reader, headerLen int) *Reader {
	checkHeaderLen(headerLen)
	return &Reader{r: r, headerLen: headerLen, buf: make([]byte, defaultBufSize)}
}

// ReadFrame reads the next frame. The Frame stays valid until the next call.
// The declared length is checked before the body is read: over MaxFrameLen
// gives ErrFrameTooLarge, under headerLen+2 ErrFrameTooShort. It returns
// io.EOF only when the stream ends at a frame boundary and
// io.ErrUnexpectedEOF when it ends inside a frame (io.ReadFull semantics).
// It does not allocate once the buffer has grown to the largest frame seen.
func (r *Reader) ReadFrame() (Frame, error) {
	if err := r.fill(2); err != nil {
		return Frame{}, err
	}
	n := int(binary.BigEndian.Uint16(r.buf[r.start:]))
	if n > MaxFrameLen {
		return Frame{}, ErrFrameTooLarge
	}
	if n < r.headerLen+2 {
		return Frame{}, ErrFrameTooShort
	}
	if err := r.fill(2 + n); err != nil {
		return Frame{}, err
	}
	s := r.start + 2
	r.start = s + n
	if r.start == r.end {
		r.start, r.end = 0, 0
	}
	return Frame{raw: r.buf[s : s+n : s+n], headerLen: r.headerLen}, nil
}

// Buffered returns the number of bytes already read from the stream and not
// yet returned as frames. A server flushes its answers when it is zero.
func (r *Reader) Buffered() int { return r.end - r.start }

// fill makes at least need bytes available in buf[start:end].
func (r *Reader) fill(need int) error {
	if r.end-r.start >= need {
		return nil
	}
	if r.start+need > len(r.buf) {
		// The previous frame is spent: move the unread bytes to the front,
		// growing the buffer if the frame cannot fit at all.
		if need > len(r.buf) {
			nb := make([]byte, max(need, MaxFrameLen+2))
			r.end = copy(nb, r.buf[r.start:r.end])
			r.buf = nb
		} else {
			r.end = copy(r.buf, r.buf[r.start:r.end])
		}
		r.start = 0
	}
	empty := 0
	for r.end-r.start < need {
		if r.err != nil {
			if r.err == io.EOF && r.end-r.start > 0 {
				return io.ErrUnexpectedEOF
			}
			return r.err
		}
		m, err := r.r.Read(r.buf[r.end:])
		if m < 0 || m > len(r.buf)-r.end {
			panic("hostcmd: reader returned an invalid count")
		}
		r.end += m
		if err != nil {
			r.err = err
		} else if m == 0 {
			if empty++; empty >= maxEmptyReads {
				r.err = io.ErrNoProgress
			}
		} else {
			empty = 0
		}
	}
	return nil
}

// SplitFrame cuts the first complete frame off buf without copying. n is the
// number of bytes consumed (length prefix included); n == 0 with a nil error
// means buf does not hold a complete frame yet. A bad declared length gives
// ErrFrameTooLarge or ErrFrameTooShort as soon as the prefix is seen.
// It panics if headerLen is outside 0..MaxHeaderLen.
func SplitFrame(buf []byte, headerLen int) (f Frame, n int, err error) {
	checkHeaderLen(headerLen)
	if len(buf) < 2 {
		return Frame{}, 0, nil
	}
	l := int(binary.BigEndian.Uint16(buf))
	if l > MaxFrameLen {
		return Frame{}, 0, ErrFrameTooLarge
	}
	if l < headerLen+2 {
		return Frame{}, 0, ErrFrameTooShort
	}
	if len(buf) < 2+l {
		return Frame{}, 0, nil
	}
	return Frame{raw: buf[2 : 2+l : 2+l], headerLen: headerLen}, 2 + l, nil
}

// AppendFrame appends LEN + header + body to dst. It panics if
// len(header)+len(body) exceeds MaxFrameLen: encoders check sizes first
// (FrameFits), so wire data never reaches this panic.
func AppendFrame(dst, header, body []byte) []byte {
	n := len(header) + len(body)
	if n > MaxFrameLen {
		panic("hostcmd: AppendFrame: frame larger than MaxFrameLen")
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	dst = append(dst, header...)
	return append(dst, body...)
}

// FrameFits reports whether a frame with the given header and body lengths
// is within MaxFrameLen (ours: a helper so callers never reach the
// AppendFrame panic).
func FrameFits(headerLen, bodyLen int) bool {
	return headerLen >= 0 && bodyLen >= 0 && headerLen+bodyLen <= MaxFrameLen
}

// ResponseCode returns the response code for a command code: the second
// character incremented by one (NC->ND, CA->CB, KQ->KR; payShield host
// command convention, hostcmd.md §1).
func ResponseCode(cmd [2]byte) [2]byte { return [2]byte{cmd[0], cmd[1] + 1} }

func checkHeaderLen(n int) {
	if n < 0 || n > MaxHeaderLen {
		panic("hostcmd: header length outside 0..16")
	}
}
