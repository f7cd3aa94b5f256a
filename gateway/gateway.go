package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/payhsm/payhsm-gw/audit"
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/waitctx"
	"github.com/payhsm/payhsm-gw/pool"
)

// NoHeader is the Config.HeaderLen of a front with no message header:
// hostcmd.NoHeader.
const NoHeader = hostcmd.NoHeader

// Backend is what the front relays to: *pool.Pool.
type Backend interface {
	Submit(batch []*pool.Request, s pool.Sink)
}

var _ Backend = (*pool.Pool)(nil)

// Config configures the front. Zero values take the stated defaults.
type Config struct {
	// Addr is the listen address (default "127.0.0.1:1500"); ignored when
	// Listener is set.
	Addr string
	// Listener, if set, is served instead of listening on Addr.
	Listener net.Listener
	// HeaderLen is the message header length, 1..16, or NoHeader (default 4).
	HeaderLen int
	// TLS, if not nil, makes the listener speak TLS (default plain TCP).
	TLS *tls.Config
	// MaxConns is the most client connections open at once (default 1024).
	MaxConns int
	// IdleTimeout closes a connection that sent nothing for this long and
	// has nothing in flight (default 5m).
	IdleTimeout time.Duration
	// FrameTimeout bounds how long one frame may take to arrive: once its
	// first byte is read, the rest must follow within this span, or the
	// connection is closed (cause frame_timeout). The idle timeout counts
	// silence between frames; this closes a client that trickles a frame
	// a byte at a time to hold a connection slot (ours) (default 5s).
	FrameTimeout time.Duration
	// WriteTimeout bounds one write of answers to a client; a client that
	// does not read for that long is disconnected (default 10s).
	WriteTimeout time.Duration
	// MaxPipeline is the most commands in flight per connection; reading
	// pauses beyond it (default 256).
	MaxPipeline int
	// Allow lists command codes relayed beyond the defaults: a clear-PIN
	// command, or a code the command table does not know (default none).
	Allow []string
	// Deny lists command codes answered 68 whatever else says (default none).
	Deny []string
	// AllowClearPIN relays every clear-PIN command (NG, BA) (default false).
	AllowClearPIN bool
	// Logger receives connection-level events (default: discard).
	Logger *slog.Logger
	// Registerer receives the front's metrics (default: not registered).
	Registerer prometheus.Registerer
	// Audit, if not nil, receives one record per command: start time,
	// client address, command code, answering HSM, error code and latency
	// (default: no audit). The front parses no field, so a record holds
	// no PAN (ours).
	Audit *audit.Log
}

const (
	defaultAddr         = "127.0.0.1:1500"
	defaultMaxConns     = 1024
	defaultIdleTimeout  = 5 * time.Minute
	defaultWriteTimeout = 10 * time.Second
	defaultFrameTimeout = 5 * time.Second
	defaultMaxPipeline  = 256
)

// Server is a running host-command front. Start starts it; Shutdown or
// Close stops it and waits for its goroutines.
type Server struct {
	cfg     Config
	hl      int
	backend Backend
	log     *slog.Logger
	ln      net.Listener
	allowed *[1 << 16]bool

	mu       sync.Mutex
	conns    map[*client]struct{}
	stopping atomic.Bool
	wg       sync.WaitGroup
	done     chan struct{}

	received atomic.Uint64
	answered atomic.Uint64
	refused  atomic.Uint64
	accepted atomic.Uint64
	rejected atomic.Uint64
	framing  atomic.Uint64
	// Connections closed by a timeout, by cause.
	frameTimeouts atomic.Uint64
	idleTimeouts  atomic.Uint64
	reg           prometheus.Registerer
	metrics       []prometheus.Collector
}

// Start listens (unless cfg.Listener is set) and serves in the background
// until Shutdown or Close.
func Start(cfg Config, backend Backend) (*Server, error) {
	if backend == nil {
		return nil, errors.New("gateway: no backend")
	}
	if cfg.Addr == "" {
		cfg.Addr = defaultAddr
	}
	hl, err := hostcmd.WireHeaderLen(cfg.HeaderLen)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	cfg.HeaderLen = hl
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = defaultMaxConns
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = defaultIdleTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = defaultWriteTimeout
	}
	if cfg.FrameTimeout <= 0 {
		cfg.FrameTimeout = defaultFrameTimeout
	}
	if cfg.MaxPipeline <= 0 {
		cfg.MaxPipeline = defaultMaxPipeline
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	allowed, err := policy(cfg.Allow, cfg.Deny, cfg.AllowClearPIN)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, hl: cfg.HeaderLen, backend: backend, log: cfg.Logger, allowed: allowed,
		conns: map[*client]struct{}{}, done: make(chan struct{}), reg: cfg.Registerer,
	}
	if err := s.register(); err != nil {
		return nil, err
	}
	ln := cfg.Listener
	if ln == nil {
		ln, err = net.Listen("tcp", cfg.Addr)
		if err != nil {
			s.unregister()
			return nil, fmt.Errorf("gateway: %w", err)
		}
	}
	if cfg.TLS != nil {
		ln = tls.NewListener(ln, cfg.TLS)
	}
	s.ln = ln
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// Addr returns the listener's address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Stats counts what the front has done since Start.
type Stats struct {
	Conns    int    // client connections open now
	Accepted uint64 // connections accepted
	Rejected uint64 // connections refused at MaxConns
	Received uint64 // command frames read
	Answered uint64 // answers written to clients
	Refused  uint64 // commands answered 68 by policy
	Framing  uint64 // connections closed for a framing error
	// FrameTimeouts counts connections closed because a frame did not
	// arrive whole within FrameTimeout.
	FrameTimeouts uint64
	// IdleTimeouts counts connections closed after IdleTimeout of silence.
	IdleTimeouts uint64
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	return Stats{Conns: n, Accepted: s.accepted.Load(), Rejected: s.rejected.Load(),
		Received: s.received.Load(), Answered: s.answered.Load(), Refused: s.refused.Load(),
		Framing: s.framing.Load(), FrameTimeouts: s.frameTimeouts.Load(), IdleTimeouts: s.idleTimeouts.Load()}
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	var delay time.Duration
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if s.stopping.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off and go on.
			s.log.Warn("gateway: accept failed", "err", err)
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			select {
			case <-time.After(delay):
			case <-s.done:
				return
			}
			continue
		}
		delay = 0
		s.mu.Lock()
		if s.stopping.Load() || len(s.conns) >= s.cfg.MaxConns {
			full := !s.stopping.Load()
			s.mu.Unlock()
			if full {
				s.rejected.Add(1) // before the close the client sees
				s.log.Warn("gateway: connection refused: max_conns reached", "remote", nc.RemoteAddr().String())
			}
			nc.Close()
			continue
		}
		c := newClient(s, nc)
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		s.accepted.Add(1)
		go c.serve()
	}
}

// Shutdown stops accepting, stops reading from clients, answers every
// command already read, then closes the connections. If ctx ends first it
// closes what is left at once and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopping.Store(true)
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.stopReading()
	}
	s.mu.Unlock()
	if err := waitctx.Wait(ctx, &s.wg); err != nil {
		s.Close()
		return fmt.Errorf("gateway: shutdown: %w", err)
	}
	s.finish()
	return nil
}

// Close stops the front at once: connections are closed with whatever is
// in flight unanswered. It waits for the goroutines.
func (s *Server) Close() error {
	s.stopping.Store(true)
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.nc.Close()
		c.kill()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.finish()
	return nil
}

func (s *Server) finish() {
	select {
	case <-s.done:
	default:
		close(s.done)
		s.unregister()
	}
}

func (s *Server) removeConn(c *client) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *Server) register() error {
	counter := func(name, help string, v *atomic.Uint64) {
		s.metrics = append(s.metrics, prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(v.Load()) }))
	}
	counter("payhsm_gateway_commands_total", "Command frames read from host-command clients.", &s.received)
	counter("payhsm_gateway_answers_total", "Answers written to host-command clients.", &s.answered)
	counter("payhsm_gateway_refused_total", "Commands answered 68 because they are outside policy.", &s.refused)
	counter("payhsm_gateway_connections_total", "Host-command connections accepted.", &s.accepted)
	counter("payhsm_gateway_connections_rejected_total", "Host-command connections closed at once because max_conns was reached.", &s.rejected)
	counter("payhsm_gateway_framing_errors_total", "Host-command connections closed for a framing error.", &s.framing)
	for cause, v := range map[string]*atomic.Uint64{"frame_timeout": &s.frameTimeouts, "idle_timeout": &s.idleTimeouts} {
		s.metrics = append(s.metrics, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "payhsm_gateway_connections_timed_out_total",
			Help:        "Host-command connections closed by a timeout, by cause: frame_timeout (a frame did not arrive whole in time), idle_timeout (silence).",
			ConstLabels: prometheus.Labels{"cause": cause},
		}, func() float64 { return float64(v.Load()) }))
	}
	s.metrics = append(s.metrics, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "payhsm_gateway_connections", Help: "Host-command connections open now.",
	}, func() float64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		return float64(len(s.conns))
	}))
	if s.reg == nil {
		return nil
	}
	for i, c := range s.metrics {
		if err := s.reg.Register(c); err != nil {
			for _, c := range s.metrics[:i] {
				s.reg.Unregister(c)
			}
			return fmt.Errorf("gateway: registering metrics: %w", err)
		}
	}
	return nil
}

func (s *Server) unregister() {
	if s.reg == nil {
		return
	}
	for _, c := range s.metrics {
		s.reg.Unregister(c)
	}
}

// policy returns the table of command codes the front relays.
func policy(allow, deny []string, allowClearPIN bool) (*[1 << 16]bool, error) {
	var t [1 << 16]bool
	idx := func(code string) (int, error) {
		if len(code) != 2 {
			return 0, fmt.Errorf("gateway: policy: %q is not a 2-character command code", code)
		}
		return int(code[0])<<8 | int(code[1]), nil
	}
	for _, spec := range hostcmd.Commands() {
		if spec.ClearPIN && !allowClearPIN {
			continue
		}
		i, err := idx(spec.Code)
		if err != nil {
			return nil, err
		}
		t[i] = true
	}
	for _, code := range allow {
		i, err := idx(code)
		if err != nil {
			return nil, err
		}
		t[i] = true
	}
	for _, code := range deny {
		i, err := idx(code)
		if err != nil {
			return nil, err
		}
		t[i] = false
	}
	return &t, nil
}
