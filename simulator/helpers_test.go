package simulator

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/testvec"
)

// startServer starts a simulator for one test and closes it at the end.
func startServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// client is a raw host-command connection for tests: it writes frames and
// reads answers without any client-side logic.
type client struct {
	t         testing.TB
	nc        net.Conn
	r         *hostcmd.Reader
	headerLen int
}

func dial(t testing.TB, addr string, headerLen int) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	return newClient(t, nc, headerLen)
}

func newClient(t testing.TB, nc net.Conn, headerLen int) *client {
	return &client{t: t, nc: nc, r: hostcmd.NewReader(nc, headerLen), headerLen: headerLen}
}

// frame returns LEN + header + body.
func frame(header string, body []byte) []byte {
	return hostcmd.AppendFrame(nil, []byte(header), body)
}

// send writes one request frame.
func (c *client) send(header string, body []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(frame(header, body)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// recv reads one answer and returns its header and body.
func (c *client) recv() (header string, body []byte) {
	c.t.Helper()
	f, err := c.r.ReadFrame()
	if err != nil {
		c.t.Fatalf("read answer: %v", err)
	}
	return string(f.Header()), bytes.Clone(f.Body())
}

// do sends body with header "0001" and returns the answer body, checking
// that the header came back unchanged.
func (c *client) do(body []byte) []byte {
	c.t.Helper()
	hdr := strings.Repeat("H", c.headerLen)
	c.send(hdr, body)
	h, resp := c.recv()
	if h != hdr {
		c.t.Fatalf("answer header %q, want %q", h, hdr)
	}
	return resp
}

// pipeListener is an in-memory net.Listener over net.Pipe, for tests that
// run the server under testing/synctest's fake clock.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

// dial returns the client end of a new in-memory connection.
func (l *pipeListener) dial() net.Conn {
	c1, c2 := net.Pipe()
	l.conns <- c2
	return c1
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// unhex decodes a hex test vector or fails the test.
func unhex(t testing.TB, s string) []byte { return testvec.Unhex(t, s) }

// readAll reads n answers from c, failing on timeout.
func readAnswers(t testing.TB, c *client, n int, timeout time.Duration) []string {
	t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(timeout))
	defer c.nc.SetReadDeadline(time.Time{})
	out := make([]string, 0, n)
	for range n {
		f, err := c.r.ReadFrame()
		if err != nil {
			t.Fatalf("answer %d of %d: %v", len(out)+1, n, err)
		}
		out = append(out, string(f.Bytes()))
	}
	return out
}

// expectClosed checks that the server closes c without answering.
func expectClosed(t testing.TB, c *client) {
	t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	f, err := c.r.ReadFrame()
	if err == nil {
		t.Fatalf("got answer %q, want the connection closed", f.Bytes())
	}
	if err != io.EOF && !isConnReset(err) {
		t.Fatalf("read: %v, want EOF (connection closed)", err)
	}
}

// badAnswer says what is wrong with resp as HSM.Execute's answer to body,
// or returns nil: an answer is the command's response code and a valid
// error code, after an error other than 00 nothing but the echoed trailer,
// and no longer than a frame holds. The fuzz targets check every answer
// with it.
func badAnswer(body, resp []byte) error {
	if len(resp) < 4 {
		return fmt.Errorf("answer %q shorter than response and error codes", resp)
	}
	if len(body) >= 2 {
		rc := hostcmd.ResponseCode([2]byte{body[0], body[1]})
		if resp[0] != rc[0] || resp[1] != rc[1] {
			return fmt.Errorf("answer code %q for command %q", resp[:2], body[:2])
		}
	}
	code := hostcmd.Code(resp[2:4])
	if !code.Valid() {
		return fmt.Errorf("invalid error code %q", resp[2:4])
	}
	if code != hostcmd.OK && len(resp) > 4 && resp[4] != 0x19 {
		return fmt.Errorf("error %s answer carries fields", code)
	}
	if len(resp) > hostcmd.MaxFrameLen {
		return fmt.Errorf("answer of %d bytes", len(resp))
	}
	return nil
}

// benchExecute runs each request body through HSM.Execute of an HSM from
// newHSM as a sub-benchmark named by name, failing on any answer but 00.
func benchExecute(b *testing.B, newHSM func(testing.TB) *HSM, bodies []struct{ name, body string }) {
	for _, bc := range bodies {
		h := newHSM(b)
		body := []byte(bc.body)
		dst := make([]byte, 0, 64)
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				dst = h.Execute(dst[:0], body)
				if string(dst[2:4]) != "00" {
					b.Fatalf("answer %q", dst)
				}
			}
		})
	}
}

func isConnReset(err error) bool {
	return strings.Contains(fmt.Sprint(err), "connection reset")
}
