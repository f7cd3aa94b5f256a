package hostcmd

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReadFrame checks that the frame reader never panics, that every frame
// it returns re-encodes to the bytes it was read from, and that it agrees
// with SplitFrame.
func FuzzReadFrame(f *testing.F) {
	f.Add(frame("SSSS", "NC"), 4)
	f.Add(append(frame("0001", "CA0406FBB23A5214DFBAB32D775A38E4AB12AE7A708F877571A90101550000025321"), 0x00), 4)
	f.Add(lenPrefix(MaxFrameLen+1), 4)
	f.Add(lenPrefix(1), 0)
	f.Add(append(frame("", "B20002"), 0x19, ';'), 0)
	f.Fuzz(func(t *testing.T, in []byte, m int) {
		if m < 0 || m > MaxHeaderLen {
			m = ((m % (MaxHeaderLen + 1)) + MaxHeaderLen + 1) % (MaxHeaderLen + 1)
		}
		r := NewReader(bytes.NewReader(in), m)
		rest := in
		for {
			fr, err := r.ReadFrame()
			sf, n, serr := SplitFrame(rest, m)
			if err != nil {
				switch {
				case errors.Is(err, io.EOF):
					if len(rest) != 0 {
						t.Fatalf("io.EOF with %d bytes left", len(rest))
					}
				case errors.Is(err, io.ErrUnexpectedEOF):
					if n != 0 || serr != nil || len(rest) == 0 {
						t.Fatalf("ErrUnexpectedEOF but SplitFrame n=%d err=%v", n, serr)
					}
				case err == ErrFrameTooLarge || err == ErrFrameTooShort:
					if serr != err {
						t.Fatalf("reader %v, SplitFrame %v", err, serr)
					}
				default:
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if serr != nil || n == 0 || !bytes.Equal(sf.Bytes(), fr.Bytes()) {
				t.Fatalf("SplitFrame disagrees: n=%d err=%v", n, serr)
			}
			if re := AppendFrame(nil, fr.Header(), fr.Body()); !bytes.Equal(re, rest[:n]) {
				t.Fatalf("re-encoding differs: have % x want % x", re, rest[:n])
			}
			if len(fr.Header()) != m || fr.Code() != [2]byte{fr.Body()[0], fr.Body()[1]} {
				t.Fatal("header or code wrong")
			}
			rest = rest[n:]
		}
	})
}
