//go:build !norawio

package rawio

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"testing"
	"time"
)

// pair returns the two ends of a loopback TCP connection.
func pair(t *testing.T) (*net.TCPConn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a.(*net.TCPConn), b.(*net.TCPConn)
}

// A write far larger than the socket buffers must wait for the reader
// (EAGAIN, then the poller) and arrive whole and in order; reads return
// what the peer wrote, then EOF.
func TestConnLargeWriteAndRead(t *testing.T) {
	a, b := pair(t)
	ra, rb := New(a), New(b)
	if ra == nil || rb == nil {
		t.Fatal("New returned nil for a TCP connection")
	}
	want := make([]byte, 8<<20)
	for i := range want {
		want[i] = byte(rand.Uint32())
	}
	got := make(chan []byte, 1)
	go func() {
		var buf bytes.Buffer
		p := make([]byte, 1000) // small reads, so the writer waits
		for buf.Len() < len(want) {
			n, err := rb.Read(p)
			if err != nil {
				break
			}
			buf.Write(p[:n])
		}
		got <- buf.Bytes()
	}()
	n, err := ra.Write(want)
	if n != len(want) || err != nil {
		t.Fatalf("Write: %d, %v", n, err)
	}
	if g := <-got; !bytes.Equal(g, want) {
		t.Fatalf("read %d bytes, not the %d written", len(g), len(want))
	}

	if _, err := b.Write([]byte("answer")); err != nil {
		t.Fatal(err)
	}
	b.Close()
	var all []byte
	p := make([]byte, 4)
	for {
		n, err := ra.Read(p)
		all = append(all, p[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if string(all) != "answer" {
		t.Errorf("read %q after the peer closed, want %q", all, "answer")
	}
	if n, err := ra.Read(nil); n != 0 || err != nil {
		t.Errorf("empty read: %d, %v", n, err)
	}
}

// Deadlines work as on the connection: a read with nothing to read and a
// write the peer does not take end with a timeout error.
func TestConnDeadlines(t *testing.T) {
	a, _ := pair(t)
	r := New(a)
	a.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	start := time.Now()
	_, err := r.Read(make([]byte, 10))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read past its deadline: %v, want a timeout", err)
	}
	if d := time.Since(start); d < 40*time.Millisecond || d > 2*time.Second {
		t.Errorf("the read took %v against a 50 ms deadline", d)
	}

	a.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	big := make([]byte, 64<<20)
	n, err := r.Write(big)
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("write to a peer that does not read: %d, %v, want a timeout", n, err)
	}
	if n <= 0 || n >= len(big) {
		t.Errorf("wrote %d of %d bytes before the deadline, want some and not all", n, len(big))
	}
}

func TestNewNeedsTCP(t *testing.T) {
	p, q := net.Pipe()
	defer p.Close()
	defer q.Close()
	if New(p) != nil {
		t.Error("New made a Conn of a pipe")
	}
}

// Recvmsg reads what is there, reports EAGAIN on an empty socket (it is
// non-blocking), and returns 0 at end of stream.
func TestRecvmsg(t *testing.T) {
	a, b := pair(t)
	rc, err := a.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	recv := func(p []byte) (n int, err error) {
		cerr := rc.Control(func(fd uintptr) { n, _, err = Recvmsg(fd, p, make([]byte, 32)) })
		if cerr != nil {
			t.Fatal(cerr)
		}
		return n, err
	}
	if _, err := recv(make([]byte, 8)); err != syscall.EAGAIN {
		t.Errorf("empty socket: %v, want EAGAIN", err)
	}
	b.Write([]byte("hello"))
	b.Close()
	p := make([]byte, 8)
	deadline := time.Now().Add(2 * time.Second)
	var got []byte
	for time.Now().Before(deadline) {
		n, err := recv(p)
		if err == syscall.EAGAIN {
			time.Sleep(time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		got = append(got, p[:n]...)
	}
	if string(got) != "hello" {
		t.Errorf("read %q, want %q then end of stream", got, "hello")
	}
}

// The point of the package is a cheap hot path: no allocation per call.
func TestNoAllocations(t *testing.T) {
	a, b := pair(t)
	ra, rb := New(a), New(b)
	msg := []byte("0001NC")
	p := make([]byte, 64)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ra.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := rb.Read(p); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per write and read, want 0", allocs)
	}
	rc, _ := b.SyscallConn()
	oob := make([]byte, 32)
	allocs = testing.AllocsPerRun(100, func() {
		rc.Control(func(fd uintptr) { Recvmsg(fd, p, oob) })
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per Recvmsg, want 0", allocs)
	}
}
