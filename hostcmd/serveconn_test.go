package hostcmd

// A plain in-order host-command server for this package's tests of Client.
// The simulator and the gateway front answer in order with writers of their
// own (answer-time latency and licence, and Flush of relayed answers), so
// this one is not part of the package's API.

import (
	"context"
	"errors"
	"io"
	"net"
)

// Handler answers host commands. ServeHostCmd appends the response body
// (from the response code on) for the request frame req to dst and returns
// it. req and its bytes are valid only during the call. A malformed field
// inside a well-framed command is the handler's to answer, with the
// response code and error code (AppendErrorResponse); the connection stays
// open.
type Handler interface {
	ServeHostCmd(dst []byte, req Frame) []byte
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(dst []byte, req Frame) []byte

// ServeHostCmd calls f(dst, req).
func (f HandlerFunc) ServeHostCmd(dst []byte, req Frame) []byte { return f(dst, req) }

// maxServeBatch is where ServeConn writes its answers even if more requests
// are already read, so a long pipeline does not build one huge write.
const maxServeBatch = 64 << 10

// ServeConn serves one connection: it reads frames, calls h for each in
// order, and writes each answer with the request's header copied back
// unchanged, in request order (hostcmd.md §1, ours). Answers are batched:
// one write per batch of requests read together (it writes when no more
// input is buffered). A framing error closes the connection and is
// returned; a clean end of stream returns nil; when ctx is done the
// connection is closed and ctx.Err() returned. ServeConn closes conn in every
// case. A handler answer shorter than RCODE+ERR, or too large for a frame, is
// replaced by RCODE + 41 (internal error).
func ServeConn(ctx context.Context, conn net.Conn, headerLen int, h Handler) error {
	checkHeaderLen(headerLen)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()

	r := NewReader(conn, headerLen)
	var out, body []byte
	for {
		f, err := r.ReadFrame()
		if err != nil {
			if len(out) > 0 && ctx.Err() == nil {
				conn.Write(out) // answers to the complete frames before the error
			}
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case errors.Is(err, io.EOF):
				return nil
			}
			return err
		}
		body = h.ServeHostCmd(body[:0], f)
		if len(body) < 4 || !FrameFits(headerLen, len(body)) {
			body = AppendErrorResponse(body[:0], f.Code(), InternalError)
		}
		out = AppendFrame(out, f.Header(), body)
		if r.Buffered() == 0 || len(out) >= maxServeBatch {
			if _, err := conn.Write(out); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return err
			}
			out = out[:0]
		}
	}
}
