package simulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/waitctx"
	"github.com/payhsm/payhsm-gw/keys"
)

// NoHeader is the Config.HeaderLen value for a zero-length message header
// (a zero HeaderLen means the default, 4): hostcmd.NoHeader.
const NoHeader = hostcmd.NoHeader

// Defaults of Config.
const (
	DefaultAddr        = "127.0.0.1:0"
	DefaultHeaderLen   = hostcmd.DefaultHeaderLen
	DefaultMaxInFlight = 256
)

// Config configures a simulated HSM server. The zero value is a server on a
// free loopback port under the public test LMK with no licence limit.
type Config struct {
	// Addr is the TCP address to listen on (default "127.0.0.1:0": a free
	// loopback port; Server.Addr reports the one chosen).
	Addr string
	// Listener, if set, is served instead of listening on Addr, for example an
	// in-memory listener in tests. The server closes it when it stops.
	Listener net.Listener
	// HeaderLen is the message header length m of hostcmd.md §1 (default 4;
	// NoHeader for none; at most hostcmd.MaxHeaderLen).
	HeaderLen int
	// LMK is the variant LMK (default: the public Thales test LMK, unless
	// KeyBlockLMK is set).
	LMK *keys.LMK
	// KeyBlockLMK, if set, is the key-block LMK the simulator holds instead
	// of a variant LMK (docs/spec/hostcmd-keyblocks.md §1). At most one of LMK and
	// KeyBlockLMK may be set.
	KeyBlockLMK *keys.KeyBlockLMK
	// CPS is the licensed throughput in commands per second, shared by all
	// connections (default 0: unlimited). Commands over the licence wait in a
	// queue, as on a payment HSM; they are not refused.
	CPS int
	// Latency is service time added to every command (default 0): an
	// answer is released Latency after its command is admitted by the
	// licence. Commands are serviced in parallel, so latency does not lower
	// throughput (ours).
	Latency time.Duration
	// Logger receives the server's log (default: discarded). No clear PIN,
	// clear key, full PAN, CVV or cryptogram is ever logged.
	Logger *slog.Logger
	// MaxInFlight bounds the batches of answers waiting to be written on
	// one connection (default 256); an answer held back by the licence or
	// the latency is a batch of its own, so it bounds those commands too.
	// A connection at the bound is not read further until answers go out,
	// so a client pipelining without limit meets TCP back-pressure instead
	// of growing the server's memory.
	MaxInFlight int
}

// withDefaults returns c with its defaults applied, or the joined list of
// its problems.
func (c Config) withDefaults() (Config, error) {
	var errs []error
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	hl, err := hostcmd.WireHeaderLen(c.HeaderLen)
	if err != nil {
		errs = append(errs, fmt.Errorf("simulator: %w", err))
	}
	c.HeaderLen = hl
	switch {
	case c.LMK != nil && c.KeyBlockLMK != nil:
		errs = append(errs, errors.New("simulator: both a variant LMK and a key-block LMK given"))
	case c.LMK == nil && c.KeyBlockLMK == nil:
		c.LMK = keys.TestLMK()
	}
	if c.CPS < 0 {
		errs = append(errs, fmt.Errorf("simulator: cps %d is negative", c.CPS))
	}
	if c.Latency < 0 {
		errs = append(errs, fmt.Errorf("simulator: latency %v is negative", c.Latency))
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	} else if c.MaxInFlight < 0 {
		errs = append(errs, fmt.Errorf("simulator: max in-flight %d is negative", c.MaxInFlight))
	}
	return c, errors.Join(errs...)
}

// Server is a simulated payment HSM serving host commands (hostcmd.md) on a
// TCP listener. Every method is safe for concurrent use.
type Server struct {
	cfg       Config
	hsm       *HSM
	ln        net.Listener
	log       *slog.Logger
	headerLen int
	throttle  *throttle // nil: no licence limit

	latency   atomic.Int64  // time.Duration
	blackhole atomic.Bool   // read, never answer
	forced    atomic.Uint32 // 0: off; else the two code bytes

	mu       sync.Mutex
	conns    map[*conn]struct{}
	draining bool // Shutdown was called
	closed   bool // Close was called
	done     chan struct{}
	wg       sync.WaitGroup // accept loop and connections
	nextID   uint64

	stats counters
	rate  rateWindow // commands received per second (counters.go)
}

// Start starts a simulated HSM: it listens on cfg.Addr (or serves
// cfg.Listener) and is answering commands when it returns.
func Start(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	hsm, err := newHSMFor(cfg)
	if err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	ln := cfg.Listener
	if ln == nil {
		ln, err = net.Listen("tcp", cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("simulator: %w", err)
		}
	}
	s := &Server{
		cfg:       cfg,
		hsm:       hsm,
		ln:        ln,
		log:       cfg.Logger,
		headerLen: cfg.HeaderLen,
		conns:     make(map[*conn]struct{}),
		done:      make(chan struct{}),
	}
	if cfg.CPS > 0 {
		s.throttle = newThrottle(cfg.CPS)
	}
	s.latency.Store(int64(cfg.Latency))
	s.log.Info("simulator listening",
		"addr", ln.Addr().String(), "header_len", cfg.HeaderLen,
		"cps", cfg.CPS, "latency", cfg.Latency, "lmk_check", s.hsm.CheckValue(), "lmk_kind", s.hsm.LMKKind())
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// Addr returns the address the server listens on, e.g. "127.0.0.1:41234".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// HSM returns the command engine the server runs.
func (s *Server) HSM() *HSM { return s.hsm }

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if s.stopping() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors and the like: wait and retry, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed", "err", err, "retry_in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-s.done:
				t.Stop()
				return
			}
			continue
		}
		backoff = 0
		s.mu.Lock()
		if s.draining || s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.nextID++
		c := newConn(s, nc, s.nextID)
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		s.stats.accepted.Add(1)
		go c.serve()
	}
}

func (s *Server) stopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining || s.closed
}

func (s *Server) removeConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Close stops the server now: it closes the listener and every connection
// (commands not yet answered are lost) and returns when every goroutine of
// the server has ended.
func (s *Server) Close() error {
	s.mu.Lock()
	first := !s.closed
	s.closed = true
	var err error
	if first {
		close(s.done)
		if e := s.ln.Close(); e != nil && !errors.Is(e, net.ErrClosed) {
			err = e
		}
	}
	for c := range s.conns {
		c.kill()
	}
	s.mu.Unlock()
	s.wg.Wait()
	if first {
		s.log.Info("simulator stopped", "addr", s.Addr())
	}
	return err
}

// Shutdown stops the server gracefully: it stops accepting connections and
// reading commands, answers every command already read (including those
// waiting for the licence throttle or the added latency), then closes the
// connections. A command is read when its whole frame has reached the
// server; bytes still in the kernel's socket buffer are not read (ours). If
// ctx ends first, Shutdown closes what remains as Close does and returns
// ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	var err error
	if !s.draining && !s.closed {
		s.draining = true
		if e := s.ln.Close(); e != nil && !errors.Is(e, net.ErrClosed) {
			err = e
		}
		s.log.Info("simulator shutting down", "addr", s.Addr(), "conns", len(s.conns))
	}
	for c := range s.conns {
		c.stopReading()
	}
	s.mu.Unlock()

	if werr := waitctx.Wait(ctx, &s.wg); werr != nil {
		s.Close()
		return werr
	}
	s.mu.Lock()
	s.closed = true
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.mu.Unlock()
	s.log.Info("simulator stopped", "addr", s.Addr())
	return err
}

// DropConnections closes every open connection at once, as a crashed or
// rebooted HSM would; commands not yet answered are lost. The listener stays
// open, so clients can reconnect. Fault injection for tests.
func (s *Server) DropConnections() {
	s.mu.Lock()
	n := len(s.conns)
	for c := range s.conns {
		c.kill()
	}
	s.mu.Unlock()
	s.stats.dropped.Add(uint64(n))
	s.log.Info("fault: connections dropped", "conns", n)
}

// SetBlackhole turns the black hole on or off. While it is on, the server
// keeps connections open and reads commands but never answers them (those
// read meanwhile are discarded, as are answers not yet written); new
// connections are still accepted. Fault injection for tests.
func (s *Server) SetBlackhole(on bool) {
	if s.blackhole.Swap(on) != on {
		s.log.Info("fault: black hole", "on", on)
	}
}

// SetForcedError makes the server answer every command with its response
// code and the error code code, and nothing else (no trailer); "" turns it
// off. code
// must be valid (hostcmd.Code.Valid); SetForcedError panics otherwise.
// Fault injection for tests.
func (s *Server) SetForcedError(code hostcmd.Code) {
	var v uint32
	if code != "" {
		if !code.Valid() {
			panic("simulator: forced error code must be two code characters")
		}
		v = 1<<16 | uint32(code[0])<<8 | uint32(code[1])
	}
	if s.forced.Swap(v) != v {
		s.log.Info("fault: forced error", "code", string(code))
	}
}

// SetLatency sets the service time added to every command read from now on.
// Fault injection for tests; the initial value is Config.Latency.
func (s *Server) SetLatency(d time.Duration) {
	if d < 0 {
		d = 0
	}
	if time.Duration(s.latency.Swap(int64(d))) != d {
		s.log.Info("fault: latency", "latency", d)
	}
}

// Stats is a snapshot of a server's counters.
type Stats struct {
	Commands   uint64                  // commands answered (responses written)
	Errors     map[hostcmd.Code]uint64 // answers by error code, for codes other than 00 and 01
	Conns      int                     // connections open now
	Accepted   uint64                  // connections accepted since Start
	Dropped    uint64                  // connections closed by DropConnections
	InFlight   int                     // commands read and not yet answered
	Blackholed uint64                  // commands read and discarded by the black hole
	// Received counts the commands read and executed since Start, and
	// MaxPerSecond the most of them in any one second (counters.go).
	Received, MaxPerSecond uint64
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	received, perSec := s.rate.read()
	return Stats{
		Received:     received,
		MaxPerSecond: perSec,
		Commands:     s.stats.commands.Load(),
		Errors:       s.stats.errorCounts(),
		Conns:        n,
		Accepted:     s.stats.accepted.Load(),
		Dropped:      s.stats.dropped.Load(),
		InFlight:     int(s.stats.inFlight.Load()),
		Blackholed:   s.stats.blackholed.Load(),
	}
}

// counters are the server's live statistics.
type counters struct {
	commands   atomic.Uint64
	accepted   atomic.Uint64
	dropped    atomic.Uint64
	inFlight   atomic.Int64
	blackholed atomic.Uint64

	mu     sync.Mutex
	errors map[hostcmd.Code]uint64
}

func (c *counters) countError(code hostcmd.Code) {
	c.mu.Lock()
	if c.errors == nil {
		c.errors = make(map[hostcmd.Code]uint64)
	}
	c.errors[code]++
	c.mu.Unlock()
}

func (c *counters) errorCounts() map[hostcmd.Code]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[hostcmd.Code]uint64, len(c.errors))
	for k, v := range c.errors {
		m[k] = v
	}
	return m
}
