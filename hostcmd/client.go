package hostcmd

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/payhsm/payhsm-gw/internal/rawio"
)

// ErrClientClosed is the error of every request in flight, and of every
// later request, once Client.Close has been called.
var ErrClientClosed = errors.New("hostcmd: client closed")

// ErrTooManyInFlight is returned when MaxClientInFlight requests are
// waiting for their answers, or with a short header every header value the
// client can generate is taken (32 with a 1-character header, 2048 with 2:
// see Window).
var ErrTooManyInFlight = errors.New("hostcmd: too many requests in flight for the header length")

// MaxClientInFlight is the most requests a Client has in flight at once.
const MaxClientInFlight = 1 << 16

// ClientOptions configures Dial.
type ClientOptions struct {
	// HeaderLen is the message-header length on the wire, 0..16; 0 (or
	// NoHeader) is no header, and answers are then matched to requests by
	// order (hostcmd.md §1). Unlike the servers' configurations it has no
	// default: a client must match its peer.
	HeaderLen int
	// TLS, when set, makes Dial use TLS with this configuration.
	TLS *tls.Config
	// DialTimeout bounds the connection set-up (default 5s); the context's
	// deadline applies too.
	DialTimeout time.Duration
}

// Client sends host commands on one connection. Any number of goroutines
// may call RoundTrip and Do at once: requests are pipelined, each gets a
// header the client generates, and answers are matched to requests by that
// header (in order when the header length is 0), all kept by a Window. A
// single writer goroutine (WriteLoop) sends the queued frames, coalescing
// all that are waiting into one write.
// When a write fails the client takes no new request, but answers already
// on their way are still delivered before the rest fail.
type Client struct {
	conn      net.Conn
	rw        io.ReadWriter // conn, or on Linux its descriptor through rawio
	headerLen int

	mu   sync.Mutex
	wbuf []byte         // frames queued for the writer
	win  *Window[*call] // requests in flight
	// abandoned counts the requests in win whose caller gave up; only
	// with header length 0, where their answers must still be taken in
	// order.
	abandoned int
	err       error // set once: the reason the client stopped
	werr      error // a write failed: no new requests; the reader drains answers

	wake chan struct{} // cap 1: frames are queued
	done chan struct{} // closed when the client stops
	wg   sync.WaitGroup
}

type call struct {
	abandoned bool // headerLen 0: the caller gave up; drop the answer
	taken     bool // out of the window: resp/err are being set
	resp      []byte
	err       error
	ready     chan struct{} // closed when resp/err is set
}

// Dial connects to an HSM (or gateway) at addr and returns a Client.
func Dial(ctx context.Context, addr string, opts ClientOptions) (*Client, error) {
	hl := max(opts.HeaderLen, 0) // NoHeader is 0 here
	if opts.HeaderLen < NoHeader || hl > MaxHeaderLen {
		return nil, errors.New("hostcmd: header length outside 0..16")
	}
	timeout := opts.DialTimeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	nd := &net.Dialer{Timeout: timeout}
	var conn net.Conn
	var err error
	if opts.TLS != nil {
		td := &tls.Dialer{NetDialer: nd, Config: opts.TLS}
		conn, err = td.DialContext(ctx, "tcp", addr)
	} else {
		conn, err = nd.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, err
	}
	return NewClient(conn, hl), nil
}

// NewClient returns a Client over conn, which it owns from then on, and
// starts its reader and writer goroutines; Close stops them. It panics if
// headerLen is outside 0..MaxHeaderLen.
func NewClient(conn net.Conn, headerLen int) *Client {
	checkHeaderLen(headerLen)
	c := &Client{
		conn:      conn,
		rw:        conn,
		headerLen: headerLen,
		win:       NewWindow[*call](headerLen, 16, MaxClientInFlight),
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	if r := rawio.New(conn); r != nil {
		c.rw = r
	}
	c.wg.Add(2)
	go c.readLoop()
	go c.writeLoop()
	return c
}

// RoundTrip sends one request body (from the command code on, no header) and
// returns the response body (from the response code on). The returned
// slice is the caller's. If ctx ends first, the request is forgotten, its
// answer discarded when it comes, and ctx.Err() returned. A lost
// connection gives a *ProtocolError; a closed client ErrClientClosed.
func (c *Client) RoundTrip(ctx context.Context, body []byte) ([]byte, error) {
	if len(body) < 2 || !FrameFits(c.headerLen, len(body)) {
		return nil, errors.New("hostcmd: request body shorter than a command code or larger than a frame")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cl := &call{ready: make(chan struct{})}
	c.mu.Lock()
	if c.err != nil || c.werr != nil {
		err := c.err
		if err == nil {
			err = c.werr
		}
		c.mu.Unlock()
		return nil, err
	}
	var hdr [MaxHeaderLen]byte
	seq, ok := c.win.Add(hdr[:c.headerLen], cl)
	if !ok {
		c.mu.Unlock()
		return nil, ErrTooManyInFlight
	}
	c.wbuf = AppendFrame(c.wbuf, hdr[:c.headerLen], body)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}

	select {
	case <-cl.ready:
		return cl.resp, cl.err
	case <-ctx.Done():
		c.mu.Lock()
		if cl.taken { // answered (or failed) meanwhile: that wins
			c.mu.Unlock()
			<-cl.ready
			return cl.resp, cl.err
		}
		if !c.win.Remove(seq) {
			// No header: the answer still comes in its turn.
			cl.abandoned = true
			c.abandoned++
		}
		c.mu.Unlock()
		return nil, ctx.Err()
	}
}

// Do sends a typed request and returns its typed response. An answer with
// an error code other than 00 or 01 also returns an *Error carrying it; a
// verification failure (01) is an outcome, reported by the response's
// ErrorCode with a nil error.
func (c *Client) Do(ctx context.Context, req Request) (Response, error) {
	resp, err := c.RoundTrip(ctx, req.AppendBody(nil))
	if err != nil {
		return nil, err
	}
	r, err := ParseResponseFor(req, resp)
	if err != nil {
		return nil, err
	}
	if code := r.ErrorCode(); code != OK && code != VerifyFailed {
		return r, &Error{Cmd: req.Code(), Code: code}
	}
	return r, nil
}

// Close fails every request in flight with ErrClientClosed, closes the
// connection and waits for the client's goroutines to end.
func (c *Client) Close() error {
	c.fail(ErrClientClosed)
	c.wg.Wait()
	return nil
}

// InFlight returns the number of requests waiting for an answer.
func (c *Client) InFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.win.Len() - c.abandoned
}

func (c *Client) readLoop() {
	defer c.wg.Done()
	r := NewReader(c.rw, c.headerLen)
	for {
		f, err := r.ReadFrame()
		if err != nil {
			c.mu.Lock()
			werr := c.werr
			c.mu.Unlock()
			if werr == nil {
				werr = &ProtocolError{Msg: "connection lost", Err: err}
			}
			c.fail(werr)
			return
		}
		c.deliver(f)
	}
}

// deliver hands an answer to its request, or drops it if the request was
// abandoned (or never made).
func (c *Client) deliver(f Frame) {
	c.mu.Lock()
	cl, _, _ := c.win.Match(f.Header())
	if cl != nil {
		cl.taken = true
		if cl.abandoned {
			c.abandoned--
			cl = nil
		}
	}
	c.mu.Unlock()
	if cl != nil {
		cl.resp = append([]byte(nil), f.Body()...)
		close(cl.ready)
	}
}

func (c *Client) writeLoop() {
	defer c.wg.Done()
	err := WriteLoop(c.rw, c.wake, c.done, func(buf []byte) []byte {
		c.mu.Lock()
		defer c.mu.Unlock()
		buf, c.wbuf = c.wbuf, buf
		return buf
	})
	if err != nil {
		c.writeFailed(&ProtocolError{Msg: "write failed", Err: err})
	}
}

// writeFailed stops new requests after a failed write, but does not fail
// the requests in flight: their answers may already be in the socket. A
// peer that answers and then closes with later requests unread resets the
// connection, and the reset can fail a write before the reader has taken
// the answers that came before it. The reader goes on until the stream
// ends, for at most WriteFailDrain, and then fails what is left with err.
func (c *Client) writeFailed(err error) {
	c.mu.Lock()
	if c.err == nil && c.werr == nil {
		c.werr = err
		c.wbuf = nil
	}
	c.mu.Unlock()
	c.conn.SetReadDeadline(time.Now().Add(WriteFailDrain))
}

// fail stops the client once: it records err, closes the connection and
// fails every request in flight with err.
func (c *Client) fail(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	calls := c.win.TakeAll(nil)
	for _, cl := range calls {
		cl.taken = true
	}
	c.abandoned = 0
	c.wbuf = nil
	close(c.done)
	c.mu.Unlock()
	c.conn.Close()
	for _, cl := range calls {
		if !cl.abandoned {
			cl.err = err
			close(cl.ready)
		}
	}
}
