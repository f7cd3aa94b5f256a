package hostcmd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

// countConn records the server's writes.
type countConn struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
}

func (c *countConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes = append(c.writes, append([]byte(nil), p...))
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *countConn) nWrites() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.writes)
}

// serve runs ServeConn over a net.Pipe and returns the host's end.
func serve(t *testing.T, headerLen int, h Handler) (host net.Conn, sc *countConn, done chan error) {
	t.Helper()
	a, b := net.Pipe()
	sc = &countConn{Conn: b}
	done = make(chan error, 1)
	go func() { done <- ServeConn(context.Background(), sc, headerLen, h) }()
	t.Cleanup(func() { a.Close(); <-done })
	return a, sc, done
}

// readAll reads n frames from the host end.
func readFrames(t *testing.T, r *Reader, n int) []string {
	t.Helper()
	var out []string
	for range n {
		f, err := r.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(f.Bytes()))
	}
	return out
}

// TestServeConnAnswersInOrderOneWritePerBatch: three pipelined requests sent
// in one write are answered in request order, headers copied back, in a
// single write; a malformed field is answered and the connection stays open.
func TestServeConnAnswersInOrderOneWritePerBatch(t *testing.T) {
	var order []string
	h := HandlerFunc(func(dst []byte, f Frame) []byte {
		order = append(order, string(f.Header()))
		return typedHandler(dst, f)
	})
	host, sc, _ := serve(t, 4, h)
	r := NewReader(host, 4)

	var in []byte
	in = AppendFrame(in, []byte("0001"), []byte(join(caParts...)))
	in = AppendFrame(in, []byte{0x19, ';', 0, 0xFF}, []byte(with(caParts, 5, "02")))
	in = AppendFrame(in, []byte("0003"), []byte("CY"+join(cyParts[1:]...)+trl))
	go host.Write(in)
	got := readFrames(t, r, 3)
	want := []string{"0001CB000491DDDA0A7C12CFAA01", "\x19;\x00\xffCB23", "0003CZ00" + trl}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("answer %d: have %q want %q", i, got[i], want[i])
		}
	}
	if sc.nWrites() != 1 {
		t.Fatalf("have %d writes for one batch, want 1", sc.nWrites())
	}
	if order[0] != "0001" || order[2] != "0003" {
		t.Fatalf("handler order %q", order)
	}
	// Still open after the 23.
	go host.Write(AppendFrame(nil, []byte("0004"), []byte("NC")))
	if got := readFrames(t, r, 1); got[0] != "0004ND68" {
		t.Fatalf("have %q", got[0])
	}
	if sc.nWrites() != 2 {
		t.Fatalf("have %d writes, want 2", sc.nWrites())
	}
}

func TestServeConnFramingErrorClosesConnection(t *testing.T) {
	for _, tt := range []struct {
		in   []byte
		want error
	}{
		{[]byte{0xFF, 0xFF}, ErrFrameTooLarge},
		{[]byte{0x00, 0x03, 'H', 'H', 'N'}, ErrFrameTooShort},
	} {
		host, _, done := serve(t, 2, HandlerFunc(typedHandler))
		// A good frame first: its answer is written before the close.
		go host.Write(append(AppendFrame(nil, []byte("HH"), []byte("NC")), tt.in...))
		r := NewReader(host, 2)
		if got := readFrames(t, r, 1); got[0] != "HHND68" {
			t.Fatalf("have %q", got[0])
		}
		if err := <-done; err != tt.want {
			t.Fatalf("ServeConn: have %v want %v", err, tt.want)
		}
		done <- nil // for the cleanup
		if _, err := r.ReadFrame(); err != io.EOF {
			t.Fatalf("host read after close: %v", err)
		}
	}
}

func TestServeConnEndOfStream(t *testing.T) {
	host, _, done := serve(t, 4, HandlerFunc(typedHandler))
	host.Close()
	if err := <-done; err != nil {
		t.Fatalf("clean EOF: %v", err)
	}
	done <- nil

	host, _, done = serve(t, 4, HandlerFunc(typedHandler))
	host.Write([]byte{0x00, 0x10, 'H'})
	host.Close()
	if err := <-done; err != io.ErrUnexpectedEOF {
		t.Fatalf("half frame: %v", err)
	}
	done <- nil
}

func TestServeConnStopsWithContext(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- ServeConn(ctx, b, 4, HandlerFunc(typedHandler)) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("have %v", err)
	}
	if _, err := a.Write([]byte("x")); err == nil {
		t.Fatal("connection still open")
	}
}

// A handler answer that is too short or too large for a frame is replaced
// by RCODE + 41.
func TestServeConnReplacesBadHandlerAnswers(t *testing.T) {
	big := bytes.Repeat([]byte("x"), MaxFrameLen)
	h := HandlerFunc(func(dst []byte, f Frame) []byte {
		if f.Code() == [2]byte{'N', 'C'} {
			return append(dst, "ND"...)
		}
		return append(dst, big...)
	})
	host, _, _ := serve(t, 4, h)
	go host.Write(append(AppendFrame(nil, []byte("0001"), []byte("NC")), AppendFrame(nil, []byte("0002"), []byte("B20000"))...))
	got := readFrames(t, NewReader(host, 4), 2)
	if got[0] != "0001ND41" || got[1] != "0002B341" {
		t.Fatalf("have %q", got)
	}
}

// Client and ServeConn together with a 0-length header: answers matched by
// order.
func TestClientAndServeConnWithoutHeader(t *testing.T) {
	addr := listen(t, func(c net.Conn) { ServeConn(context.Background(), c, 0, echoHandler) })
	c := dial(t, addr, 0)
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := string(rune('A'+i%26)) + string(rune('a'+i/26))
			if resp, err := c.RoundTrip(context.Background(), b2(data)); err != nil || string(resp) != "B300"+data {
				t.Errorf("%d: %q %v", i, resp, err)
			}
		}()
	}
	wg.Wait()
}
