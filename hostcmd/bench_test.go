package hostcmd

import (
	"bytes"
	"context"
	"net"
	"sync/atomic"
	"testing"
)

// caVector is the ThalesSim CA request (hsm-protocol.md §7.1).
const caVector = "CAU8463435FC4B4DAA0C49025272C29B12CU1EF828AA8F6B80EB83E19FBC373F3A85126428EB94035AF53B0101550000025321"

// loopReader serves the same bytes forever, without allocating.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off += n
	if l.off == len(l.data) {
		l.off = 0
	}
	return n, nil
}

// BenchmarkReadFrame reads one 4-byte-header CA frame and peeks its command
// code: the gateway's per-frame work before dispatch.
func BenchmarkReadFrame(b *testing.B) {
	one := frame("0001", caVector)
	r := NewReader(&loopReader{data: bytes.Repeat(one, 37)}, 4)
	b.SetBytes(int64(len(one)))
	b.ReportAllocs()
	var sink byte
	for b.Loop() {
		f, err := r.ReadFrame()
		if err != nil {
			b.Fatal(err)
		}
		c := f.Code()
		sink ^= c[0] ^ c[1]
	}
	_ = sink
}

// BenchmarkParseCA is the typed parse of a CA request plus its re-encoding
// into a reused buffer (target: under 500 ns/op).
func BenchmarkParseCA(b *testing.B) {
	body := []byte(caVector)
	dst := make([]byte, 0, 256)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req, err := ParseRequest(body)
		if err != nil {
			b.Fatal(err)
		}
		dst = req.AppendBody(dst[:0])
	}
	if string(dst) != caVector {
		b.Fatal("round trip differs")
	}
}

// BenchmarkLookup is the per-frame command-table lookup.
func BenchmarkLookup(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if s, ok := Lookup([2]byte{'C', 'A'}); ok && s.RetrySafe {
			n++
		}
	}
	_ = n
}

// BenchmarkClientRoundTrip is one B2 echo through Client and ServeConn over
// an in-memory net.Pipe: "serial" waits for each answer, "parallel" keeps
// GOMAXPROCS*8 requests in flight on the one connection.
func BenchmarkClientRoundTrip(b *testing.B) {
	body := (&B2{Data: []byte("ping")}).AppendBody(nil)
	setup := func(b *testing.B) *Client {
		a, s := net.Pipe()
		done := make(chan struct{})
		go func() { ServeConn(context.Background(), s, 4, echoHandler); close(done) }()
		c := NewClient(a, 4)
		b.Cleanup(func() { c.Close(); <-done })
		return c
	}
	b.Run("serial", func(b *testing.B) {
		c := setup(b)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.RoundTrip(ctx, body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		c := setup(b)
		ctx := context.Background()
		b.ReportAllocs()
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.RoundTrip(ctx, body); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// countingConn counts the Write calls made on a connection.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// BenchmarkClientLoopback keeps 256 requests in flight on one Client over
// TCP loopback, as the load runner does, and reports the client's writes
// per request: each write costs a system call and, on loopback, the
// receiver's wake-up, so coalescing them is what the client's speed hangs on.
func BenchmarkClientLoopback(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Skip(err)
	}
	defer ln.Close()
	go func() {
		for {
			s, err := ln.Accept()
			if err != nil {
				return
			}
			go ServeConn(context.Background(), s, 4, echoHandler)
		}
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	cc := &countingConn{Conn: nc}
	c := NewClient(cc, 4)
	defer c.Close()
	body := (&B2{Data: []byte("ping")}).AppendBody(nil)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(128)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.RoundTrip(ctx, body); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(cc.writes.Load())/float64(b.N), "writes/req")
}
