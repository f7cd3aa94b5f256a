package pool

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// NoHeader is the HSMConfig.HeaderLen of an HSM configured with no message
// header (hostcmd.NoHeader); responses on its connections are then matched
// in order.
const NoHeader = hostcmd.NoHeader

// HSMConfig describes one HSM of a pool.
type HSMConfig struct {
	// Name identifies the HSM in logs, metrics and Status (required, unique).
	Name string
	// Addr is its host-command address, HOST:PORT (required).
	Addr string
	// Pair names its HA pair (default: Name).
	Pair string
	// CPS is its licensed commands per second; 0 means unlimited (default 0).
	CPS int
	// Conns is the number of persistent connections (default 2).
	Conns int
	// HeaderLen is its message header length, 1..16, or NoHeader (default 4).
	HeaderLen int
	// TLS, if not nil, is used for its connections (default plain TCP).
	TLS *tls.Config
	// Probes is the health-probe command set (default ProbeNC|ProbeNO).
	// NC is always sent: it carries the LMK check value.
	Probes ProbeSet
	// MaxInFlight bounds the commands in flight on each of its connections,
	// probes included, 1..256 (default 0: the connection's full window,
	// with a few slots kept for probes).
	MaxInFlight int
}

// ProbeSet is a set of health-probe commands.
type ProbeSet uint8

// The probe commands. NC (diagnostics) returns the LMK check value; NO (HSM
// status) asks whether the HSM is able to work. An HSM that does not
// implement NO is probed with ProbeNC alone.
const (
	ProbeNC ProbeSet = 1 << iota
	ProbeNO
)

// String returns the set as the configuration writes it ("NC+NO").
func (s ProbeSet) String() string {
	switch s {
	case ProbeNC:
		return "NC"
	case ProbeNC | ProbeNO:
		return "NC+NO"
	case 0:
		return "default"
	}
	return fmt.Sprintf("ProbeSet(%d)", uint8(s))
}

// Config configures a Pool. Zero values take the stated defaults.
type Config struct {
	// HSMs are the members in configuration order (1..64).
	HSMs []HSMConfig
	// LMKCheckValue is the pool's LMK check value, 16H as NC reports it
	// (default: adopted from the first HSM in configuration order that
	// answers a probe round).
	LMKCheckValue string
	// HealthInterval is the time between probe rounds (default 1s).
	HealthInterval time.Duration
	// ProbeTimeout bounds one probe, dialling included (default 1s).
	ProbeTimeout time.Duration
	// Passes is the consecutive passed probes that bring an HSM Up (default 1).
	Passes int
	// Fails is the consecutive failed probes that take an HSM Down (default 2).
	Fails int
	// CommandTimeout is how long an HSM has to answer a written command
	// before it is judged failed (default 2s).
	CommandTimeout time.Duration
	// QueueTimeout is how long a command may wait for capacity before it is
	// answered 41 (default 250ms).
	QueueTimeout time.Duration
	// QueueSize bounds the commands waiting for capacity (default 4096).
	QueueSize int
	// MaxAttempts bounds the HSMs one command is written to (default 2).
	MaxAttempts int
	// LicenceShare is the share of each licence this pool may use, (0, 1]
	// (default 1); 1/N for N gateway replicas in front of the same HSMs.
	LicenceShare float64
	// Hedge configures hedged requests (default: on, see HedgeConfig).
	Hedge HedgeConfig
	// Logger receives state changes (default: discard).
	Logger *slog.Logger
	// Registerer receives the pool's metrics (default: not registered).
	Registerer prometheus.Registerer

	// dial, when set (by this package's tests), replaces the TCP dialer.
	dial func(ctx context.Context, addr string) (net.Conn, error)
}

const (
	defaultConns          = 2
	defaultHealthInterval = time.Second
	defaultProbeTimeout   = time.Second
	defaultPasses         = 1
	defaultFails          = 2
	defaultCommandTimeout = 2 * time.Second
	defaultQueueTimeout   = 250 * time.Millisecond
	defaultQueueSize      = 4096
	defaultMaxAttempts    = 2
	maxHSMs               = 64
)

// withDefaults returns a copy of c with defaults applied, or the joined
// problems of c.
func (c Config) withDefaults() (Config, error) {
	c.HSMs = append([]HSMConfig(nil), c.HSMs...)
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	defInt := func(d *int, v int) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.HealthInterval, defaultHealthInterval)
	def(&c.ProbeTimeout, defaultProbeTimeout)
	def(&c.CommandTimeout, defaultCommandTimeout)
	def(&c.QueueTimeout, defaultQueueTimeout)
	defInt(&c.Passes, defaultPasses)
	defInt(&c.Fails, defaultFails)
	defInt(&c.QueueSize, defaultQueueSize)
	defInt(&c.MaxAttempts, defaultMaxAttempts)
	if c.LicenceShare == 0 {
		c.LicenceShare = 1
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("pool: "+format, args...)) }
	if len(c.HSMs) == 0 || len(c.HSMs) > maxHSMs {
		bad("hsms: want 1..%d, have %d", maxHSMs, len(c.HSMs))
	}
	if c.LMKCheckValue != "" && len(c.LMKCheckValue) != 16 {
		bad("lmk check value: want 16 hex digits")
	}
	if c.HealthInterval < 0 || c.ProbeTimeout < 0 || c.CommandTimeout < 0 || c.QueueTimeout < 0 {
		bad("durations must not be negative")
	}
	if c.Passes < 1 || c.Fails < 1 || c.QueueSize < 1 || c.MaxAttempts < 1 {
		bad("passes, fails, queue size and max attempts must be at least 1")
	}
	if !(c.LicenceShare > 0 && c.LicenceShare <= 1) {
		bad("licence share: want (0, 1]")
	}
	c.Hedge.withDefaults(bad)
	seen := map[string]bool{}
	for i := range c.HSMs {
		h := &c.HSMs[i]
		if h.Name == "" || seen[h.Name] {
			bad("hsms[%d].name: missing or duplicate", i)
		}
		seen[h.Name] = true
		if h.Addr == "" {
			bad("hsms[%d].addr: missing", i)
		}
		if h.Pair == "" {
			h.Pair = h.Name
		}
		defInt(&h.Conns, defaultConns)
		hl, err := hostcmd.WireHeaderLen(h.HeaderLen)
		if err != nil {
			bad("hsms[%d]: %w", i, err)
		}
		h.HeaderLen = hl
		if h.Conns < 1 || h.Conns > 64 || h.CPS < 0 {
			bad("hsms[%d]: conns want 1..64, cps not negative", i)
		}
		if h.Probes == 0 {
			h.Probes = ProbeNC | ProbeNO
		}
		if h.Probes != ProbeNC && h.Probes != ProbeNC|ProbeNO {
			bad("hsms[%d].probes: want NC or NC+NO", i)
		}
		if h.MaxInFlight < 0 || h.MaxInFlight > maxWindow {
			bad("hsms[%d].max in flight: want 0..%d", i, maxWindow)
		}
	}
	return c, errors.Join(errs...)
}
