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

// FuzzParseRequest checks that ParseRequest never panics, that a rejected
// body gives an *Error, and that an accepted one re-encodes to the same
// bytes modulo hex case and parses again to the same encoding.
func FuzzParseRequest(f *testing.F) {
	for _, b := range validRequests {
		f.Add([]byte(b))
	}
	for _, v := range loadVectors(f) {
		if b := v.request(f); b != nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := ParseRequest(body)
		if err != nil {
			var he *Error
			if !errors.As(err, &he) || !he.Code.Valid() {
				t.Fatalf("not an *Error: %v", err)
			}
			return
		}
		out := req.AppendBody(nil)
		if !equalModHexCase(out, body) {
			t.Fatalf("re-encoding differs:\nhave %q\nwant %q", out, body)
		}
		again, err := ParseRequest(out)
		if err != nil {
			t.Fatalf("re-encoded body rejected: %v", err)
		}
		if !bytes.Equal(again.AppendBody(nil), out) {
			t.Fatal("second round trip differs")
		}
	})
}

// FuzzParseResponse checks that ParseResponse never panics and that an
// accepted response re-encodes to the same bytes modulo hex case.
func FuzzParseResponse(f *testing.F) {
	for _, v := range loadVectors(f) {
		if b := v.response(f); b != nil {
			f.Add(b)
		}
	}
	f.Add([]byte("KX00\x01\x02\x03\x04\x19ab"))
	f.Add([]byte("B300\x19\x19"))
	f.Add([]byte("NH001234F550000025321\x19t"))
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) < 2 {
			return
		}
		cmd := [2]byte{body[0], body[1] - 1}
		r, err := ParseResponse(cmd, body)
		if err != nil {
			var pe *ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("not a *ProtocolError: %v", err)
			}
			return
		}
		out := r.AppendBody(nil)
		if !equalModHexCase(out, body) {
			t.Fatalf("re-encoding differs:\nhave %q\nwant %q", out, body)
		}
	})
}

// equalModHexCase reports whether have equals want except that a lower-case
// hex letter in want may be upper case in have (encoders upper-case hex).
func equalModHexCase(have, want []byte) bool {
	if len(have) != len(want) {
		return false
	}
	for i := range have {
		if have[i] != want[i] && !(want[i] >= 'a' && want[i] <= 'f' && have[i] == want[i]-('a'-'A')) {
			return false
		}
	}
	return true
}
