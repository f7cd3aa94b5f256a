package hostcmd

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// listen starts a loopback listener whose first connection is handed to
// serve in a goroutine; the listener and goroutine end with the test.
func listen(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		serve(c)
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

func dial(t *testing.T, addr string, headerLen int) *Client {
	t.Helper()
	c, err := Dial(context.Background(), addr, ClientOptions{HeaderLen: headerLen})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// echoAnswer answers B2 with B3 and its data, anything else with 68.
func echoAnswer(dst []byte, body []byte) []byte {
	req, err := ParseRequest(body)
	if err != nil {
		var he *Error
		errors.As(err, &he)
		return AppendErrorResponse(dst, [2]byte{body[0], body[1]}, he.Code)
	}
	if b2, ok := req.(*B2); ok {
		return (&B3{Data: b2.Data, Status: Status{Trailer: b2.Trailer}}).AppendBody(dst)
	}
	return AppendErrorResponse(dst, [2]byte{body[0], body[1]}, CommandDisabled)
}

// echoHandler serves echoAnswer.
var echoHandler = HandlerFunc(func(dst []byte, f Frame) []byte { return echoAnswer(dst, f.Body()) })

func b2(data string) []byte { return (&B2{Data: []byte(data)}).AppendBody(nil) }

// TestClientPipelinesAndMatchesOutOfOrderAnswers: 1000 concurrent requests on
// one connection; the server answers each pair of requests in reverse order,
// so every second answer arrives before its predecessor's.
func TestClientPipelinesAndMatchesOutOfOrderAnswers(t *testing.T) {
	addr := listen(t, func(c net.Conn) {
		r := NewReader(c, 4)
		var held []byte
		for {
			f, err := r.ReadFrame()
			if err != nil {
				return
			}
			ans := AppendFrame(nil, f.Header(), echoAnswer(nil, f.Body()))
			if held == nil {
				held = ans
				continue
			}
			c.Write(append(ans, held...))
			held = nil
		}
	})
	c := dial(t, addr, 4)
	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := "request-" + strconv.Itoa(i)
			resp, err := c.RoundTrip(context.Background(), b2(data))
			if err != nil {
				errs <- err
				return
			}
			if string(resp) != "B300"+data {
				errs <- fmt.Errorf("request %d: have %q", i, resp)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if c.InFlight() != 0 {
		t.Fatalf("InFlight after all answers: %d", c.InFlight())
	}
}

// gateConn holds the first Write until released and records every write.
type gateConn struct {
	net.Conn
	gate   chan struct{}
	mu     sync.Mutex
	writes [][]byte
}

func (g *gateConn) Write(p []byte) (int, error) {
	g.mu.Lock()
	first := len(g.writes) == 0
	g.writes = append(g.writes, append([]byte(nil), p...))
	g.mu.Unlock()
	if first {
		<-g.gate
	}
	return g.Conn.Write(p)
}

// TestClientCoalescesQueuedFrames: frames queued while the writer is busy go
// out in one write.
func TestClientCoalescesQueuedFrames(t *testing.T) {
	addr := listen(t, func(c net.Conn) { ServeConn(context.Background(), c, 4, echoHandler) })
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	g := &gateConn{Conn: raw, gate: make(chan struct{})}
	c := NewClient(g, 4)
	defer c.Close()

	const n = 10
	var wg sync.WaitGroup
	start := func(i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := strconv.Itoa(i)
			if resp, err := c.RoundTrip(context.Background(), b2(data)); err != nil || string(resp) != "B300"+data {
				t.Errorf("request %d: %q, %v", i, resp, err)
			}
		}()
	}
	start(0)
	for { // the writer is now blocked in the first Write
		g.mu.Lock()
		w := len(g.writes)
		g.mu.Unlock()
		if w == 1 {
			break
		}
		runtime.Gosched()
	}
	for i := 1; i < n; i++ {
		start(i)
	}
	for c.InFlight() != n {
		runtime.Gosched()
	}
	close(g.gate)
	wg.Wait()
	if len(g.writes) != 2 {
		t.Fatalf("have %d writes, want 2", len(g.writes))
	}
	frames := 0
	for rest := g.writes[1]; len(rest) > 0; frames++ {
		_, k, err := SplitFrame(rest, 4)
		if err != nil || k == 0 {
			t.Fatalf("second write: %v", err)
		}
		rest = rest[k:]
	}
	if frames != n-1 {
		t.Fatalf("second write holds %d frames, want %d", frames, n-1)
	}
}

// scriptServer hands each received frame to the test and writes what the
// test tells it to (nil: close the connection).
type scriptServer struct {
	frames chan Frame
	out    chan []byte
	quit   chan struct{}
}

func newScriptServer(t *testing.T, headerLen int) (*scriptServer, string) {
	s := &scriptServer{frames: make(chan Frame, 16), out: make(chan []byte), quit: make(chan struct{})}
	addr := listen(t, func(c net.Conn) {
		go func() {
			for {
				select {
				case b := <-s.out:
					if b == nil {
						c.Close()
						return
					}
					c.Write(b)
				case <-s.quit:
					c.Close()
					return
				}
			}
		}()
		r := NewReader(c, headerLen)
		for {
			f, err := r.ReadFrame()
			if err != nil {
				return
			}
			select {
			case s.frames <- Frame{raw: append([]byte(nil), f.Bytes()...), headerLen: headerLen}:
			case <-s.quit:
				return
			}
		}
	})
	t.Cleanup(func() { close(s.quit) })
	return s, addr
}

func (s *scriptServer) answer(f Frame) {
	s.out <- AppendFrame(nil, f.Header(), echoAnswer(nil, f.Body()))
}

func TestClientCancelledRequestIsRemovedAndItsLateAnswerDropped(t *testing.T) {
	for _, m := range []int{4, 0} {
		t.Run(fmt.Sprintf("header%d", m), func(t *testing.T) {
			s, addr := newScriptServer(t, m)
			c := dial(t, addr, m)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() {
				_, err := c.RoundTrip(ctx, b2("first"))
				done <- err
			}()
			first := <-s.frames
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("have %v want context.Canceled", err)
			}
			if c.InFlight() != 0 {
				t.Fatalf("InFlight %d after cancel", c.InFlight())
			}
			go func() {
				second := <-s.frames
				s.answer(first) // late: must be dropped
				s.answer(second)
			}()
			resp, err := c.RoundTrip(context.Background(), b2("second"))
			if err != nil || string(resp) != "B300second" {
				t.Fatalf("have %q, %v", resp, err)
			}
		})
	}
}

func TestClientDeadline(t *testing.T) {
	s, addr := newScriptServer(t, 4)
	c := dial(t, addr, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := c.RoundTrip(ctx, b2("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("have %v", err)
	}
	<-s.frames
	if _, err := c.RoundTrip(ctx, b2("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("expired context: have %v", err)
	}
}

// sendWaiting sends n requests on c from n goroutines and returns once s
// has read them all; each request's error arrives on the channel.
func sendWaiting(c *Client, s *scriptServer, n int) <-chan error {
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := c.RoundTrip(context.Background(), b2(strconv.Itoa(i)))
			errs <- err
		}()
	}
	for range n {
		<-s.frames
	}
	return errs
}

func TestClientServerCloseFailsInFlight(t *testing.T) {
	s, addr := newScriptServer(t, 4)
	c := dial(t, addr, 4)
	const n = 5
	errs := sendWaiting(c, s, n)
	s.out <- nil // close the server side
	for range n {
		err := <-errs
		var pe *ProtocolError
		if !errors.As(err, &pe) || !errors.Is(err, io.EOF) {
			t.Fatalf("have %v, want *ProtocolError wrapping io.EOF", err)
		}
	}
	if _, err := c.RoundTrip(context.Background(), b2("later")); err == nil {
		t.Fatal("request after the connection broke succeeded")
	}
}

func TestClientFramingErrorFailsInFlight(t *testing.T) {
	s, addr := newScriptServer(t, 4)
	c := dial(t, addr, 4)
	errs := make(chan error, 1)
	go func() {
		_, err := c.RoundTrip(context.Background(), b2("x"))
		errs <- err
	}()
	<-s.frames
	s.out <- []byte{0xFF, 0xFF}
	if err := <-errs; !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("have %v", err)
	}
}

func TestClientCloseFailsInFlightAndWaits(t *testing.T) {
	s, addr := newScriptServer(t, 4)
	c := dial(t, addr, 4)
	const n = 5
	errs := sendWaiting(c, s, n)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errs; err != ErrClientClosed {
			t.Fatalf("have %v want ErrClientClosed", err)
		}
	}
	if _, err := c.RoundTrip(context.Background(), b2("x")); err != ErrClientClosed {
		t.Fatalf("after Close: %v", err)
	}
	c.Close() // idempotent
}

func TestClientRejectsBadBodies(t *testing.T) {
	s, addr := newScriptServer(t, 4)
	_ = s
	c := dial(t, addr, 4)
	for _, body := range [][]byte{nil, []byte("N"), make([]byte, MaxFrameLen-3)} {
		if _, err := c.RoundTrip(context.Background(), body); err == nil {
			t.Errorf("body of %d bytes accepted", len(body))
		}
	}
	if _, err := Dial(context.Background(), "127.0.0.1:1", ClientOptions{HeaderLen: 17}); err == nil {
		t.Fatal("header length 17 accepted")
	}
}

// typedHandler answers CA, CY and NC like a simulator would (fixed values).
func typedHandler(dst []byte, f Frame) []byte {
	req, err := ParseRequest(f.Body())
	code := f.Code()
	if err != nil {
		var he *Error
		errors.As(err, &he)
		return AppendErrorResponse(dst, code, he.Code)
	}
	switch r := req.(type) {
	case *CA:
		return (&CB{PINLen: 4, PINBlock: "91DDDA0A7C12CFAA", DestinationFormat: r.DestinationFormat, Status: Status{Trailer: r.Trailer}}).AppendBody(dst)
	case *CY:
		st := Status{Err: OK, Trailer: r.Trailer}
		if r.CVV.Reveal() != "561" {
			st.Err = VerifyFailed
		}
		return (&CZ{Status: st}).AppendBody(dst)
	case *KQ:
		return (&KR{ARPC: []byte{0x19, 1, 2, 3, 4, 5, 6, 7}, Status: Status{Trailer: r.Trailer}}).AppendBody(dst)
	}
	return AppendErrorResponse(dst, code, CommandDisabled)
}

func TestClientDo(t *testing.T) {
	addr := listen(t, func(c net.Conn) { ServeConn(context.Background(), c, 4, HandlerFunc(typedHandler)) })
	c := dial(t, addr, 4)
	ctx := context.Background()

	req, _ := ParseRequest([]byte(join(caParts...) + trl))
	resp, err := c.Do(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	cb, ok := resp.(*CB)
	if !ok || cb.PINLen != 4 || cb.PINBlock != "91DDDA0A7C12CFAA" || cb.DestinationFormat != "01" || cb.Trailer != trl {
		t.Fatalf("have %#v", resp)
	}

	// 01 is an outcome, not an error.
	cy, _ := ParseRequest([]byte(with(cyParts, 2, "562")))
	resp, err = c.Do(ctx, cy)
	if err != nil || resp.ErrorCode() != VerifyFailed {
		t.Fatalf("CY wrong CVV: %v, %v", resp, err)
	}
	cy, _ = ParseRequest([]byte(join(cyParts...)))
	if resp, err = c.Do(ctx, cy); err != nil || resp.ErrorCode() != OK {
		t.Fatalf("CY: %v, %v", resp, err)
	}

	// Any other code is an *Error as well as a response.
	bad := &CA{TPK: KeyField{Scheme: SchemeU, Hex: tpkU[1:]}, ZPK: KeyField{Scheme: SchemeU, Hex: zpkU[1:]},
		MaxPINLen: 12, PINBlock: block, SourceFormat: "02", DestinationFormat: "01", Account: acct}
	resp, err = c.Do(ctx, bad)
	var he *Error
	if !errors.As(err, &he) || he.Code != InvalidPINFormat || he.Cmd != "CA" || resp.ErrorCode() != InvalidPINFormat {
		t.Fatalf("have %v, %v", resp, err)
	}

	// A binary answer whose first ARPC byte is 0x19 is parsed by the
	// request's mode, not mistaken for a trailer.
	kq, _ := ParseRequest([]byte(join(kqParts...)))
	resp, err = c.Do(ctx, kq)
	if err != nil || len(resp.(*KR).ARPC) != 8 || resp.(*KR).ARPC[0] != 0x19 {
		t.Fatalf("KQ: %v, %v", resp, err)
	}

	if _, err = c.Do(ctx, &NC{}); !errors.As(err, &he) || he.Code != CommandDisabled {
		t.Fatalf("NC: %v", err)
	}
}

func TestDialTLS(t *testing.T) {
	cert := selfSigned(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		ServeConn(context.Background(), conn, 2, echoHandler)
	}()
	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	pool.AddCert(leaf)
	c, err := Dial(context.Background(), ln.Addr().String(), ClientOptions{HeaderLen: 2, TLS: &tls.Config{RootCAs: pool, ServerName: "hsm.test"}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.RoundTrip(context.Background(), b2("over tls"))
	if err != nil || string(resp) != "B300over tls" {
		t.Fatalf("have %q, %v", resp, err)
	}
	c.Close()
	wg.Wait()
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{"hsm.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestHeaderEncoding(t *testing.T) {
	for _, m := range []int{1, 2, 4, 10, 11, 16} {
		ids := NewHeaderIDs(m)
		space, want := ids.Space(), uint64(1)
		for range min(m, maxIDChars) {
			want *= 62
		}
		if space != want {
			t.Errorf("m=%d: %d ids, want %d", m, space, want)
		}
		for _, id := range []uint64{0, 1, 61, 62 % space, space - 1, 12345 % space} {
			h := make([]byte, m)
			ids.Put(h, id)
			got, ok := ids.ID(h)
			if !ok || got != id {
				t.Errorf("m=%d id=%d: header %q decodes to %d %v", m, id, h, got, ok)
			}
		}
		if _, ok := ids.ID(bytes.Repeat([]byte{'-'}, m)); ok {
			t.Errorf("m=%d: foreign header accepted", m)
		}
	}
}

// With a 1-character header only 32 requests can be in flight: the
// Window's ids are the largest power of two within the 62 header values.
func TestClientTooManyInFlight(t *testing.T) {
	s, addr := newScriptServer(t, 1)
	c := dial(t, addr, 1)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() { defer wg.Done(); c.RoundTrip(ctx, b2("x")) }()
	}
	for c.InFlight() != 32 {
		runtime.Gosched()
	}
	if _, err := c.RoundTrip(ctx, b2("x")); err != ErrTooManyInFlight {
		t.Fatalf("have %v", err)
	}
	cancel()
	wg.Wait()
	_ = s
}

// resetConn is a connection whose peer answers the first request, takes no
// more (the second write fails, as after a reset), and whose answer the
// client reads only after that failed write: the order a reset can give.
type resetConn struct {
	net.Conn   // nil: only the methods below are used
	first      chan []byte
	failed     chan struct{}
	answer     []byte
	writes     int
	readCalled bool
}

func (r *resetConn) Write(b []byte) (int, error) {
	r.writes++
	if r.writes == 1 {
		r.first <- append([]byte(nil), b...)
		return len(b), nil
	}
	close(r.failed)
	return 0, syscall.ECONNRESET
}

func (r *resetConn) Read(b []byte) (int, error) {
	<-r.failed
	if !r.readCalled {
		r.readCalled = true
		return copy(b, r.answer), nil
	}
	return 0, syscall.ECONNRESET
}

func (r *resetConn) SetReadDeadline(time.Time) error { return nil }
func (r *resetConn) Close() error                    { return nil }

// A failed write must not fail a request whose answer is already on its
// way: the answer is delivered, the request not written fails with the
// write error, and no new request is taken.
func TestClientWriteFailureKeepsAnswersAlreadySent(t *testing.T) {
	rc := &resetConn{first: make(chan []byte, 1), failed: make(chan struct{})}
	c := NewClient(rc, 4)
	defer c.Close()
	type result struct {
		resp []byte
		err  error
	}
	a := make(chan result, 1)
	go func() {
		resp, err := c.RoundTrip(context.Background(), b2("first"))
		a <- result{resp, err}
	}()
	req := <-rc.first
	f, _, err := SplitFrame(req, 4)
	if err != nil {
		t.Fatal(err)
	}
	rc.answer = AppendFrame(nil, f.Header(), []byte("B300first"))

	_, err = c.RoundTrip(context.Background(), b2("second"))
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Msg != "write failed" || !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("second request: %v, want the write failure", err)
	}
	got := <-a
	if got.err != nil || string(got.resp) != "B300first" {
		t.Errorf("first request: %q, %v; want its answer, sent before the reset", got.resp, got.err)
	}
	if _, err := c.RoundTrip(context.Background(), b2("third")); !errors.As(err, &pe) {
		t.Errorf("request after the failed write: %v, want the write failure", err)
	}
}
