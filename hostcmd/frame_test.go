package hostcmd

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// frame builds LEN + header + body for tests.
func frame(header, body string) []byte {
	return AppendFrame(nil, []byte(header), []byte(body))
}

// lenPrefix returns a bare 2-byte length prefix.
func lenPrefix(n int) []byte { return binary.BigEndian.AppendUint16(nil, uint16(n)) }

// The pythales README example frame (hsm-protocol.md §1, [PY] README.md):
// 00 06 'SSSS' 'NC' and its answer 00 21 'SSSSND00F4EDC8DEB67F6E280007-E000'.
func TestReadFramePythalesExample(t *testing.T) {
	in := append([]byte{0x00, 0x06}, "SSSSNC"...)
	in = append(in, 0x00, 0x21)
	in = append(in, "SSSSND00F4EDC8DEB67F6E280007-E000"...)
	r := NewReader(bytes.NewReader(in), 4)
	f, err := r.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	if string(f.Header()) != "SSSS" || f.Code() != [2]byte{'N', 'C'} || string(f.Body()) != "NC" || string(f.Bytes()) != "SSSSNC" {
		t.Fatalf("have header %q code %q body %q", f.Header(), f.Code(), f.Body())
	}
	if r.Buffered() != 0x23 {
		t.Fatalf("Buffered: have %d want %d", r.Buffered(), 0x23)
	}
	f, err = r.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	if f.Code() != [2]byte{'N', 'D'} || string(f.Body()) != "ND00F4EDC8DEB67F6E280007-E000" {
		t.Fatalf("have %q", f.Bytes())
	}
	if _, err := r.ReadFrame(); err != io.EOF {
		t.Fatalf("after last frame: have %v want io.EOF", err)
	}
	if got := AppendFrame(nil, []byte("SSSS"), []byte("NC")); !bytes.Equal(got, in[:8]) {
		t.Fatalf("AppendFrame: have % x want % x", got, in[:8])
	}
}

func TestReadFrameErrors(t *testing.T) {
	big := make([]byte, MaxFrameLen+1)
	tests := []struct {
		name      string
		in        []byte
		headerLen int
		frames    int
		err       error
	}{
		{"empty stream", nil, 4, 0, io.EOF},
		{"one byte of length", []byte{0x00}, 4, 0, io.ErrUnexpectedEOF},
		{"zero length", lenPrefix(0), 0, 0, ErrFrameTooShort},
		{"zero length header 4", lenPrefix(0), 4, 0, ErrFrameTooShort},
		{"LEN one short of header+2", append(lenPrefix(5), "HDRNC"...), 4, 0, ErrFrameTooShort},
		{"LEN = header+2", append(lenPrefix(6), "HDRSNC"...), 4, 1, io.EOF},
		{"LEN = 1, no header", append(lenPrefix(1), 'N'), 0, 0, ErrFrameTooShort},
		{"LEN over 32 KiB, body never read", lenPrefix(MaxFrameLen + 1), 4, 0, ErrFrameTooLarge},
		{"LEN 0xFFFF", []byte{0xFF, 0xFF}, 4, 0, ErrFrameTooLarge},
		{"LEN exactly 32 KiB", append(lenPrefix(MaxFrameLen), big[:MaxFrameLen]...), 4, 1, io.EOF},
		{"half a frame then EOF", append(lenPrefix(10), "HDRSNC"...), 4, 0, io.ErrUnexpectedEOF},
		{"frame then half a prefix", append(frame("HDRS", "NC"), 0x00), 4, 1, io.ErrUnexpectedEOF},
		{"good frame then too large", append(frame("HDRS", "NC"), 0x80, 0x01), 4, 1, ErrFrameTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, half := range []bool{false, true} {
				var src io.Reader = bytes.NewReader(tt.in)
				if half {
					src = iotest.OneByteReader(src)
				}
				r := NewReader(src, tt.headerLen)
				n := 0
				var err error
				for {
					if _, err = r.ReadFrame(); err != nil {
						break
					}
					n++
				}
				if n != tt.frames || err != tt.err {
					t.Fatalf("one byte at a time %v: have %d frames, %v; want %d frames, %v", half, n, err, tt.frames, tt.err)
				}
			}
		})
	}
}

// A framing error is reported from the prefix alone: the reader must not
// wait for (or read) the declared body.
func TestReadFrameRejectsBeforeReadingBody(t *testing.T) {
	for _, tt := range []struct {
		prefix []byte
		want   error
	}{
		{lenPrefix(MaxFrameLen + 1), ErrFrameTooLarge},
		{lenPrefix(3), ErrFrameTooShort},
	} {
		// The reader gives the prefix, then blocks forever on a second read.
		pr, pw := io.Pipe()
		go func() { pw.Write(tt.prefix) }()
		r := NewReader(pr, 4)
		if _, err := r.ReadFrame(); err != tt.want {
			t.Fatalf("have %v want %v", err, tt.want)
		}
		pw.Close()
	}
}

func TestReadFrameHeaderLengths(t *testing.T) {
	for m := 0; m <= MaxHeaderLen; m++ {
		header := strings.Repeat("H", m)
		var in []byte
		bodies := []string{"NC", "CAU8463435FC4B4DAA0C49025272C29B12C", "B20003abc"}
		for _, b := range bodies {
			in = append(in, frame(header, b)...)
		}
		r := NewReader(iotest.HalfReader(bytes.NewReader(in)), m)
		for _, b := range bodies {
			f, err := r.ReadFrame()
			if err != nil {
				t.Fatalf("header %d: %v", m, err)
			}
			if string(f.Header()) != header || string(f.Body()) != b || f.Code() != [2]byte{b[0], b[1]} || f.HeaderLen() != m {
				t.Fatalf("header %d: have header %q body %q", m, f.Header(), f.Body())
			}
		}
		if _, err := r.ReadFrame(); err != io.EOF {
			t.Fatalf("header %d: have %v want io.EOF", m, err)
		}
	}
}

// Binary frames carry 0x19 and ';' inside KQ data: the frame layer must not
// care (hostcmd.md §1).
func TestReadFrameBinaryBody(t *testing.T) {
	body := []byte("KQ00U7475636CC30B93B493CF5EA53799EBCC")
	body = append(body, 0x19, ';', 0x00, 0xFF, 0x19, 0x19, ';', '%', '0', '0')
	in := AppendFrame(nil, []byte{0x00, 0x19, ';', 0xFF}, body)
	in = append(in, in...)
	r := NewReader(bytes.NewReader(in), 4)
	for range 2 {
		f, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f.Body(), body) || !bytes.Equal(f.Header(), []byte{0x00, 0x19, ';', 0xFF}) {
			t.Fatalf("have % x", f.Bytes())
		}
	}
}

// Frames larger than the initial buffer, mixed with small ones.
func TestReadFrameLargeFrames(t *testing.T) {
	sizes := []int{10, defaultBufSize - 2, defaultBufSize, defaultBufSize + 1, MaxFrameLen, 7, MaxFrameLen - 1, 3000, 3000}
	var in []byte
	var want [][]byte
	for i, n := range sizes {
		b := bytes.Repeat([]byte{byte('A' + i)}, n-4)
		want = append(want, b)
		in = append(in, AppendFrame(nil, []byte("0000"), b)...)
	}
	for _, name := range []string{"whole", "half", "onebyte"} {
		var src io.Reader = bytes.NewReader(in)
		switch name {
		case "half":
			src = iotest.HalfReader(src)
		case "onebyte":
			src = iotest.OneByteReader(src)
		}
		r := NewReader(src, 4)
		for i, w := range want {
			f, err := r.ReadFrame()
			if err != nil {
				t.Fatalf("%s frame %d: %v", name, i, err)
			}
			if !bytes.Equal(f.Body(), w) {
				t.Fatalf("%s frame %d: body differs (len %d want %d)", name, i, len(f.Body()), len(w))
			}
		}
		if _, err := r.ReadFrame(); err != io.EOF {
			t.Fatalf("%s: have %v want io.EOF", name, err)
		}
	}
}

func TestReadFrameReadError(t *testing.T) {
	boom := errors.New("boom")
	// Data and an error in the same Read: the complete frame comes first.
	src := iotest.DataErrReader(io.MultiReader(bytes.NewReader(frame("HHHH", "NC")), iotest.ErrReader(boom)))
	r := NewReader(src, 4)
	if _, err := r.ReadFrame(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadFrame(); err != boom {
		t.Fatalf("have %v want %v", err, boom)
	}
	// A reader that never makes progress.
	r = NewReader(zeroReader{}, 4)
	if _, err := r.ReadFrame(); err != io.ErrNoProgress {
		t.Fatalf("have %v want io.ErrNoProgress", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestSplitFrame(t *testing.T) {
	two := append(frame("HHHH", "NC"), frame("HHHH", "B20001x")...)
	tests := []struct {
		name string
		in   []byte
		n    int
		body string
		err  error
	}{
		{"empty", nil, 0, "", nil},
		{"one byte", []byte{0}, 0, "", nil},
		{"prefix only", lenPrefix(6), 0, "", nil},
		{"incomplete", two[:7], 0, "", nil},
		{"first of two", two, 8, "NC", nil},
		{"too short", lenPrefix(5), 0, "", ErrFrameTooShort},
		{"too large", lenPrefix(MaxFrameLen + 1), 0, "", ErrFrameTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, n, err := SplitFrame(tt.in, 4)
			if n != tt.n || err != tt.err || string(f.Body()) != tt.body {
				t.Fatalf("have n=%d body %q err %v; want n=%d body %q err %v", n, f.Body(), err, tt.n, tt.body, tt.err)
			}
		})
	}
	// Walk a buffer of frames.
	buf := two
	var got []string
	for {
		f, n, err := SplitFrame(buf, 4)
		if err != nil || n == 0 {
			break
		}
		got = append(got, string(f.Body()))
		buf = buf[n:]
	}
	if strings.Join(got, ",") != "NC,B20001x" || len(buf) != 0 {
		t.Fatalf("have %q, %d left", got, len(buf))
	}
}

func TestResponseCode(t *testing.T) {
	// hsm-protocol.md §1 response-code list.
	pairs := "NCND NONP A0A1 BUBV CACB CCCD JEJF JGJH BABB NGNH DADB DCDD EAEB ECED CWCX CYCZ KQKR KWKX M6M7 M8M9 B2B3"
	for _, p := range strings.Fields(pairs) {
		if got := ResponseCode([2]byte{p[0], p[1]}); got != [2]byte{p[2], p[3]} {
			t.Errorf("ResponseCode(%s): have %s want %s", p[:2], got[:], p[2:])
		}
	}
}

func TestAppendFrame(t *testing.T) {
	got := AppendFrame([]byte("x"), []byte("ab"), []byte("NC%00"))
	want := append([]byte("x"), 0x00, 0x07)
	want = append(want, "abNC%00"...)
	if !bytes.Equal(got, want) {
		t.Fatalf("have % x want % x", got, want)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("AppendFrame over MaxFrameLen did not panic")
		}
	}()
	AppendFrame(nil, []byte("hd"), make([]byte, MaxFrameLen-1))
}

func TestFrameFits(t *testing.T) {
	if !FrameFits(4, MaxFrameLen-4) || FrameFits(4, MaxFrameLen-3) || FrameFits(-1, 2) {
		t.Fatal("FrameFits boundary wrong")
	}
}

func TestNewReaderPanicsOnBadHeaderLen(t *testing.T) {
	for _, m := range []int{-1, MaxHeaderLen + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewReader(%d) did not panic", m)
				}
			}()
			NewReader(bytes.NewReader(nil), m)
		}()
	}
}

func TestReadFrameDoesNotAllocate(t *testing.T) {
	in := bytes.Repeat(frame("0001", "CAU8463435FC4B4DAA0C49025272C29B12CU1EF828AA8F6B80EB83E19FBC373F3A85126428EB94035AF53B0101550000025321"), 64)
	src := bytes.NewReader(in)
	r := NewReader(src, 4)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := r.ReadFrame(); err != nil {
			src.Reset(in)
			r.start, r.end, r.err = 0, 0, nil
		}
	})
	if allocs != 0 {
		t.Fatalf("ReadFrame allocates %v times per frame", allocs)
	}
}
