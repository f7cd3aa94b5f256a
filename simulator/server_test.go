package simulator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

func TestServerListensOnFreePortAndAnswers(t *testing.T) {
	s := startServer(t, Config{})
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") || strings.HasSuffix(s.Addr(), ":0") {
		t.Fatalf("Addr() = %q, want a chosen loopback port", s.Addr())
	}
	c := dial(t, s.Addr(), 4)
	want := "ND00" + s.HSM().CheckValue() + Firmware
	if have := string(c.do([]byte("NC"))); have != want {
		t.Fatalf("NC: have %q, want %q", have, want)
	}
}

func TestServerHeaderLengths(t *testing.T) {
	for _, tt := range []struct {
		cfg  int
		wire int
	}{{0, 4}, {NoHeader, 0}, {2, 2}, {16, 16}} {
		t.Run(fmt.Sprint(tt.cfg), func(t *testing.T) {
			s := startServer(t, Config{HeaderLen: tt.cfg})
			c := dial(t, s.Addr(), tt.wire)
			if have := string(c.do([]byte("B20003abc"))); have != "B300abc" {
				t.Fatalf("B2: have %q, want %q", have, "B300abc")
			}
		})
	}
}

func TestStartRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{HeaderLen: 17}, {HeaderLen: -2}, {CPS: -1}, {Latency: -time.Second}, {MaxInFlight: -1},
		{Addr: "256.0.0.1:99999"},
	} {
		if s, err := Start(cfg); err == nil {
			s.Close()
			t.Errorf("Start(%+v): no error", cfg)
		}
	}
}

// TestPipelinedAnswersComeBackInOrder writes many requests in one write
// (a mix of commands, some failing) and checks that the answers come back
// in request order with their headers (hostcmd.md §1).
func TestPipelinedAnswersComeBackInOrder(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s.Addr(), 4)
	const n = 2000
	var buf []byte
	want := make([]string, n)
	for i := range n {
		hdr := fmt.Sprintf("%04d", i)
		var body, resp string
		switch i % 4 {
		case 0:
			body, resp = "NC", "ND00"+s.HSM().CheckValue()+Firmware
		case 1:
			data := fmt.Sprintf("data-%d", i)
			body, resp = fmt.Sprintf("B2%04X%s", len(data), data), "B300"+data
		case 2:
			body, resp = "ZZ", "Z["+"68"
		case 3:
			body, resp = "NO01", "NP15"
		}
		buf = hostcmd.AppendFrame(buf, []byte(hdr), []byte(body))
		want[i] = hdr + resp
	}
	go c.nc.Write(buf)
	have := readAnswers(t, c, n, 30*time.Second)
	for i := range n {
		if have[i] != want[i] {
			t.Fatalf("answer %d: have %q, want %q", i, have[i], want[i])
		}
	}
}

// TestMalformedFieldKeepsConnectionOpen: a field error is answered with its
// code and the connection serves the next command.
func TestMalformedFieldKeepsConnectionOpen(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s.Addr(), 4)
	for _, tt := range []struct{ req, want string }{
		{"NOx", "NP15"},
		{"XX", "XY68"},
		{"NC%01", "ND13"},
		{"NC%0", "ND13"},
		{"B2000", "B315"},
		{"B20005abc", "B315"},
		{"NC", "ND00" + s.HSM().CheckValue() + Firmware},
	} {
		if have := string(c.do([]byte(tt.req))); have != tt.want {
			t.Errorf("%q: have %q, want %q", tt.req, have, tt.want)
		}
	}
}

func TestFramingErrorClosesConnection(t *testing.T) {
	s := startServer(t, Config{})
	for name, raw := range map[string][]byte{
		"too large": {0x80, 0x01, 'H', 'H', 'H', 'H', 'N', 'C'},
		"too short": {0x00, 0x05, 'H', 'H', 'H', 'H', 'N'},
	} {
		t.Run(name, func(t *testing.T) {
			c := dial(t, s.Addr(), 4)
			if _, err := c.nc.Write(raw); err != nil {
				t.Fatal(err)
			}
			expectClosed(t, c)
		})
	}
	// The server itself is unaffected.
	c := dial(t, s.Addr(), 4)
	if have := string(c.do([]byte("NC")))[:4]; have != "ND00" {
		t.Fatalf("NC after framing errors: %q", have)
	}
}

// TestTrailerEchoedOnlyIfSent checks hostcmd.md §1: the trailer after 0x19
// comes back only if it was sent, after an error code too.
func TestTrailerEchoedOnlyIfSent(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s.Addr(), 4)
	ck := s.HSM().CheckValue()
	for _, tt := range []struct{ req, want string }{
		{"NC\x19trailer", "ND00" + ck + Firmware + "\x19trailer"},
		{"NC%00\x19t", "ND00" + ck + Firmware + "\x19t"},
		{"NC\x19", "ND00" + ck + Firmware + "\x19"},
		{"NO00\x19abc", "NP00" + "3164" + Firmware + "0" + "0001" + "\x19abc"},
		{"NC\x19" + strings.Repeat("x", 33), "ND15"},
		{"NCjunk", "ND15"},
	} {
		if have := string(c.do([]byte(tt.req))); have != tt.want {
			t.Errorf("%q: have %q, want %q", tt.req, have, tt.want)
		}
	}
}

func TestThousandsOfConcurrentConnections(t *testing.T) {
	s := startServer(t, Config{})
	const n = 2000
	conns := make([]*client, n)
	for i := range conns {
		conns[i] = dial(t, s.Addr(), 4)
	}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i, c := range conns {
		wg.Go(func() {
			body := fmt.Appendf(nil, "B20004%04d", i)
			hdr := fmt.Sprintf("%04d", i%10000)
			if _, err := c.nc.Write(frame(hdr, body)); err != nil {
				failed.Add(1)
				return
			}
			c.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
			f, err := c.r.ReadFrame()
			if err != nil || string(f.Bytes()) != hdr+fmt.Sprintf("B300%04d", i) {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if f := failed.Load(); f != 0 {
		t.Fatalf("%d of %d connections failed", f, n)
	}
	if st := s.Stats(); st.Conns != n || st.Accepted != n || st.Commands != n {
		t.Fatalf("stats %+v, want %d open connections, %d accepted, %d commands", st, n, n, n)
	}
}

// inBubble runs f under testing/synctest with a server on an in-memory
// listener, so that latency and the licence run on the fake clock.
func inBubble(t *testing.T, cfg Config, f func(t *testing.T, s *Server, ln *pipeListener)) {
	synctest.Test(t, func(t *testing.T) {
		ln := newPipeListener()
		cfg.Listener = ln
		s := startServer(t, cfg)
		f(t, s, ln)
	})
}

// async reads answers on c in the background and reports each with the
// fake time it arrived.
type arrival struct {
	frame string
	at    time.Time
}

func collect(c *client) <-chan arrival {
	ch := make(chan arrival, 1<<16)
	go func() {
		defer close(ch)
		for {
			f, err := c.r.ReadFrame()
			if err != nil {
				return
			}
			ch <- arrival{string(f.Bytes()), time.Now()}
		}
	}()
	return ch
}

func TestLatencyDelaysEachAnswer(t *testing.T) {
	inBubble(t, Config{Latency: 30 * time.Millisecond}, func(t *testing.T, s *Server, ln *pipeListener) {
		c := newClient(t, ln.dial(), 4)
		got := collect(c)
		t0 := time.Now()
		c.send("0001", []byte("NC"))
		c.send("0002", []byte("NC"))
		for i, want := range []time.Duration{30 * time.Millisecond, 30 * time.Millisecond} {
			a := <-got
			if d := a.at.Sub(t0); d != want {
				t.Errorf("answer %d after %v, want %v", i, d, want)
			}
		}
		s.SetLatency(0)
		t1 := time.Now()
		c.send("0003", []byte("NC"))
		if a := <-got; a.at != t1 {
			t.Errorf("answer after SetLatency(0) came %v late", a.at.Sub(t1))
		}
		s.SetLatency(time.Second)
		t2 := time.Now()
		c.send("0004", []byte("NC"))
		if a := <-got; a.at.Sub(t2) != time.Second {
			t.Errorf("answer after SetLatency(1s) came after %v", a.at.Sub(t2))
		}
		c.nc.Close()
	})
}

// TestThrottleHoldsLicensedRate drives 8 connections as fast as the server
// reads them and checks, on the fake clock, that the long-run answer rate is
// the licensed rate within 1% for each licence tier, and that no command is
// refused.
func TestThrottleHoldsLicensedRate(t *testing.T) {
	for _, cps := range []int{60, 250, 1000, 2500} {
		t.Run(fmt.Sprint(cps), func(t *testing.T) {
			inBubble(t, Config{CPS: cps, MaxInFlight: 64}, func(t *testing.T, s *Server, ln *pipeListener) {
				const conns = 8
				var answered, bad atomic.Int64
				var wg sync.WaitGroup
				for range conns {
					c := newClient(t, ln.dial(), 4)
					wg.Go(func() {
						req := frame("0000", []byte("NC"))
						for {
							if _, err := c.nc.Write(req); err != nil {
								return
							}
						}
					})
					wg.Go(func() {
						for {
							f, err := c.r.ReadFrame()
							if err != nil {
								return
							}
							if !bytes.HasPrefix(f.Body(), []byte("ND00")) {
								bad.Add(1)
							}
							answered.Add(1)
						}
					})
					t.Cleanup(func() { c.nc.Close() })
				}
				time.Sleep(2 * time.Second) // warm-up: queues fill
				synctest.Wait()
				n0 := answered.Load()
				const window = 20 * time.Second
				time.Sleep(window)
				synctest.Wait()
				rate := float64(answered.Load()-n0) / window.Seconds()
				if d := (rate - float64(cps)) / float64(cps); d > 0.01 || d < -0.01 {
					t.Errorf("answered %.1f commands/s, want %d within 1%%", rate, cps)
				}
				if b := bad.Load(); b != 0 {
					t.Errorf("%d answers were not ND00", b)
				}
				if st := s.Stats(); st.InFlight == 0 {
					t.Errorf("no command was waiting for the licence: the load did not exceed it")
				}
				s.Close()
				wg.Wait()
			})
		})
	}
}

// TestThrottleQueuesOverTCP is the same property over real sockets, as a
// lower bound only (a loaded machine can only make it slower): 200 commands
// at 1000 licensed commands/s cannot all be answered in under 199 ms, and
// none is refused.
func TestThrottleQueuesOverTCP(t *testing.T) {
	s := startServer(t, Config{CPS: 1000})
	c := dial(t, s.Addr(), 4)
	const n = 200
	var buf []byte
	for range n {
		buf = hostcmd.AppendFrame(buf, []byte("0000"), []byte("NC"))
	}
	start := time.Now()
	go c.nc.Write(buf)
	answers := readAnswers(t, c, n, 60*time.Second)
	if el := time.Since(start); el < 199*time.Millisecond {
		t.Errorf("%d commands answered in %v at 1000/s, want at least 199ms", n, el)
	}
	for i, a := range answers {
		if !strings.HasPrefix(a, "0000ND00") {
			t.Fatalf("answer %d: %q", i, a)
		}
	}
}

// TestShutdownAnswersEverythingRead: commands already read (here held back
// by latency and the licence) are answered before the connection closes;
// new connections are refused.
func TestShutdownAnswersEverythingRead(t *testing.T) {
	inBubble(t, Config{Latency: 50 * time.Millisecond, CPS: 100}, func(t *testing.T, s *Server, ln *pipeListener) {
		c := newClient(t, ln.dial(), 4)
		const n = 40
		var buf []byte
		for i := range n {
			buf = hostcmd.AppendFrame(buf, fmt.Appendf(nil, "%04d", i), []byte("NC"))
		}
		if _, err := c.nc.Write(buf); err != nil {
			t.Fatal(err)
		}
		synctest.Wait() // every frame has been read
		if st := s.Stats(); st.InFlight != n {
			t.Fatalf("in flight %d, want %d", st.InFlight, n)
		}
		done := make(chan error)
		go func() { done <- s.Shutdown(context.Background()) }()
		for i := range n {
			f, err := c.r.ReadFrame()
			if err != nil {
				t.Fatalf("answer %d: %v", i, err)
			}
			if want := fmt.Sprintf("%04dND00", i); !strings.HasPrefix(string(f.Bytes()), want) {
				t.Fatalf("answer %d: %q, want %s...", i, f.Bytes(), want)
			}
		}
		if _, err := c.r.ReadFrame(); err == nil {
			t.Fatal("connection still open after everything was answered")
		}
		if err := <-done; err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		if st := s.Stats(); st.Commands != n || st.Conns != 0 || st.InFlight != 0 {
			t.Fatalf("after Shutdown: %+v", st)
		}
	})
}

// TestShutdownOverTCPStopsAcceptingAndFinishes checks the same over real
// sockets with an idle connection and a context deadline that is not hit.
func TestShutdownOverTCPStopsAccepting(t *testing.T) {
	s := startServer(t, Config{})
	idle := dial(t, s.Addr(), 4)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	expectClosed(t, idle)
	if nc, err := net.Dial("tcp", s.Addr()); err == nil {
		nc.Close()
		t.Fatal("dial after Shutdown succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close after Shutdown: %v", err)
	}
}

// TestShutdownContextExpiryCloses: a client that never reads its answers
// cannot hold Shutdown past its context.
func TestShutdownContextExpiryCloses(t *testing.T) {
	inBubble(t, Config{Latency: time.Hour}, func(t *testing.T, s *Server, ln *pipeListener) {
		c := newClient(t, ln.dial(), 4)
		c.send("0001", []byte("NC"))
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown: %v, want deadline exceeded", err)
		}
		if _, err := c.r.ReadFrame(); err == nil {
			t.Fatal("answer after forced close")
		}
	})
}

func TestCloseStopsEverything(t *testing.T) {
	inBubble(t, Config{Latency: time.Hour}, func(t *testing.T, s *Server, ln *pipeListener) {
		c := newClient(t, ln.dial(), 4)
		c.send("0001", []byte("NC"))
		synctest.Wait()
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if _, err := c.r.ReadFrame(); err == nil {
			t.Fatal("answer after Close")
		}
		// synctest.Test fails if any server goroutine is still running.
	})
}

func TestDropConnections(t *testing.T) {
	s := startServer(t, Config{})
	a, b := dial(t, s.Addr(), 4), dial(t, s.Addr(), 4)
	a.do([]byte("NC"))
	b.do([]byte("NC"))
	s.DropConnections()
	expectClosed(t, a)
	expectClosed(t, b)
	c := dial(t, s.Addr(), 4)
	if have := string(c.do([]byte("NC")))[:4]; have != "ND00" {
		t.Fatalf("NC after reconnect: %q", have)
	}
	if st := s.Stats(); st.Dropped != 2 || st.Accepted != 3 {
		t.Fatalf("stats %+v, want 2 dropped, 3 accepted", st)
	}
}

func TestBlackholeReadsButNeverAnswers(t *testing.T) {
	inBubble(t, Config{}, func(t *testing.T, s *Server, ln *pipeListener) {
		c := newClient(t, ln.dial(), 4)
		got := collect(c)
		s.SetBlackhole(true)
		c.send("0001", []byte("NC")) // returns: the server reads it
		c.send("0002", []byte("NC"))
		time.Sleep(time.Hour)
		synctest.Wait()
		select {
		case a := <-got:
			t.Fatalf("answer %q while black-holed", a.frame)
		default:
		}
		// A new connection is accepted, and black-holed too.
		c2 := newClient(t, ln.dial(), 4)
		c2.send("0003", []byte("NC"))
		synctest.Wait()
		s.SetBlackhole(false)
		c.send("0004", []byte("NC"))
		if a := <-got; !strings.HasPrefix(a.frame, "0004ND00") {
			t.Fatalf("after the black hole: %q", a.frame)
		}
		if st := s.Stats(); st.Blackholed != 3 || st.Conns != 2 {
			t.Fatalf("stats %+v, want 3 black-holed, 2 connections", st)
		}
		c.nc.Close()
		c2.nc.Close()
	})
}

func TestForcedError(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s.Addr(), 4)
	s.SetForcedError(hostcmd.InternalError)
	for _, tt := range []struct{ req, want string }{
		{"NC", "ND41"}, {"B20001x", "B341"}, {"ZZ", "Z[41"},
	} {
		if have := string(c.do([]byte(tt.req))); have != tt.want {
			t.Errorf("%q forced 41: have %q, want %q", tt.req, have, tt.want)
		}
	}
	s.SetForcedError("")
	if have := string(c.do([]byte("B20001x"))); have != "B300x" {
		t.Errorf("after SetForcedError(\"\"): %q", have)
	}
	if st := s.Stats(); st.Errors[hostcmd.InternalError] != 3 {
		t.Errorf("stats errors %v, want 3 of 41", st.Errors)
	}
}

func TestInFlightBoundAppliesBackPressure(t *testing.T) {
	inBubble(t, Config{Latency: time.Minute, MaxInFlight: 8}, func(t *testing.T, s *Server, ln *pipeListener) {
		c := newClient(t, ln.dial(), 4)
		var sent atomic.Int64
		go func() {
			req := frame("0000", []byte("NC"))
			for {
				if _, err := c.nc.Write(req); err != nil {
					return
				}
				sent.Add(1)
			}
		}()
		synctest.Wait()
		// 8 queued for the writer, one in the writer's hands, one in the
		// reader's hands waiting to queue.
		if n := s.Stats().InFlight; n > 10 {
			t.Fatalf("in flight %d with MaxInFlight 8", n)
		}
		c.nc.Close()
	})
}

func TestStatsCountsAnswers(t *testing.T) {
	s := startServer(t, Config{})
	c := dial(t, s.Addr(), 4)
	for range 5 {
		c.do([]byte("NC"))
	}
	c.do([]byte("QQ"))
	st := s.Stats()
	if st.Commands != 6 || st.Errors[hostcmd.CommandDisabled] != 1 || st.Conns != 1 {
		t.Fatalf("stats %+v", st)
	}
}
