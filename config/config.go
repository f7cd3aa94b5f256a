package config

import (
	"os"
	"path/filepath"
	"time"
)

// Config is the whole configuration of 'payhsm-gw serve'. Zero values mean
// "use the default" stated on each field; SetDefaults fills them in.
type Config struct {
	// Listen is the host-command listener address (default "127.0.0.1:1500").
	Listen string `yaml:"listen"`
	// HeaderLen is the message header length on the host-command front,
	// 0..16 (default 4). A nil pointer means unset, so that 0 can be chosen.
	HeaderLen *int `yaml:"header_len"`
	// TLS, when set, makes the host-command listener speak TLS (default: plain TCP).
	TLS *ServerTLS `yaml:"tls"`
	// HTTP is the address of the REST API, /metrics, /healthz and /readyz
	// (default "127.0.0.1:8080").
	HTTP string `yaml:"http"`
	// Data is the directory of durable state, the key registry (default "./payhsm-data").
	Data string `yaml:"data"`
	// Limits bound what clients of the host-command front may use.
	Limits Limits `yaml:"limits"`
	// Policy says which host commands the front relays.
	Policy Policy `yaml:"policy"`
	// REST configures the REST API on HTTP: TLS, authentication, limits.
	REST REST `yaml:"rest"`
	// Audit configures the audit log of host commands and REST operations.
	Audit Audit `yaml:"audit"`
	// Registry says where the key registry lives: under Data, or on etcd.
	Registry Registry `yaml:"registry"`
	// Membership configures live licence shares among replicas on etcd.
	Membership Membership `yaml:"membership"`
	// Pools are the HSM pools; this version serves exactly one. With no pool
	// (and no --hsm flag), serve starts an embedded simulated HA pair.
	Pools []Pool `yaml:"pools"`
}

// REST configures the REST API (docs/spec/rest.md).
type REST struct {
	// TLS, when set, makes the REST listener speak HTTPS; with ClientCA
	// set, a client certificate is asked for and verified when given, and
	// authenticates a client listed in Auth.ClientCerts (default: plain HTTP).
	TLS *ServerTLS `yaml:"tls"`
	// Auth configures authentication of the /v1 operations.
	Auth RESTAuth `yaml:"auth"`
	// OperationTimeout bounds one REST operation, all its host commands
	// included; past it the answer is 503 (default 5s).
	OperationTimeout time.Duration `yaml:"operation_timeout"`
	// KCVCacheSize bounds the key check values cached per inline key
	// cryptogram (default 4096).
	KCVCacheSize int `yaml:"kcv_cache_size"`
}

// RESTAuth configures authentication of the REST API (rest.md "Security").
// With no API key and no client certificate, serve turns authentication
// off only when the REST listener is on a loopback address or the pool is
// the embedded simulated pair, and refuses to start otherwise (ours).
type RESTAuth struct {
	// Disabled turns authentication off; only allowed when the REST
	// listener is on a loopback address or the pool is the embedded
	// simulated pair (default false).
	Disabled bool `yaml:"disabled"`
	// APIKeys are the accepted API keys, by SHA-256 (default none).
	APIKeys []APIKey `yaml:"api_keys"`
	// ClientCerts are the accepted TLS client certificate names; they need
	// rest.tls.client_ca (default none).
	ClientCerts []ClientCert `yaml:"client_certs"`
}

// APIKey is one accepted REST API key. The file holds only its SHA-256.
type APIKey struct {
	// ID names the key in audit records and logs (required, unique).
	ID string `yaml:"id"`
	// SHA256 is the hex SHA-256 of the key, 64 hex digits, e.g. the output
	// of `printf %s "$KEY" | sha256sum` (required).
	SHA256 string `yaml:"sha256"`
	// ManageKeys allows creating and deleting registry keys (default false).
	ManageKeys bool `yaml:"manage_keys"`
}

// ClientCert is one accepted TLS client certificate name, matched against
// the subject CN and DNS SANs of a verified certificate.
type ClientCert struct {
	// Name is the accepted CN or DNS SAN (required, unique).
	Name string `yaml:"name"`
	// ManageKeys allows creating and deleting registry keys (default false).
	ManageKeys bool `yaml:"manage_keys"`
}

// Audit configures the audit log (ours).
type Audit struct {
	// Path is the audit file, appended to (default "<data>/audit.log").
	Path string `yaml:"path"`
}

// Limits bound the host-command front (ours).
type Limits struct {
	// MaxConns is the most client connections open at once; further ones are
	// closed on accept (default 1024).
	MaxConns int `yaml:"max_conns"`
	// IdleTimeout closes a client connection that sends nothing for this long
	// while it has no command in flight (default 5m).
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// FrameTimeout is how long one frame may take to arrive once its first
	// byte has: a client that does not complete a frame within it is
	// closed, however often it sends a byte (default 5s). The idle timeout
	// counts silence between frames; this one closes slow-loris clients.
	FrameTimeout time.Duration `yaml:"frame_timeout"`
	// MaxPipeline is the most commands one client connection may have in
	// flight; reading pauses beyond it (default 256).
	MaxPipeline int `yaml:"max_pipeline"`
}

// Policy decides which commands the front relays (ours). A command outside
// policy is answered with error 68 and never reaches an HSM.
type Policy struct {
	// Allow lists commands to relay in addition to the defaults, e.g. a
	// clear-PIN command an operator has decided to permit (default none).
	Allow []string `yaml:"allow"`
	// Deny lists commands never to relay (default none beyond the clear-PIN
	// commands, which need AllowClearPIN or Allow).
	Deny []string `yaml:"deny"`
	// AllowClearPIN relays every command that handles a clear PIN (NG, BA)
	// (default false).
	AllowClearPIN bool `yaml:"allow_clear_pin"`
}

// Pool is one pool of HSMs that share one LMK, grouped in HA pairs.
type Pool struct {
	// Name names the pool in logs (default "default").
	Name string `yaml:"name"`
	// LMKCheckValue is the LMK check value (16H, as NC reports it) every HSM
	// must have (default: the value of the first HSM in configuration order
	// that answers NC).
	LMKCheckValue string `yaml:"lmk_check_value"`
	// Health configures the active probes.
	Health Health `yaml:"health"`
	// CommandTimeout is how long one HSM has to answer one written command
	// before it is judged failed and the command fails over (default 2s).
	CommandTimeout time.Duration `yaml:"command_timeout"`
	// QueueTimeout is how long a command may wait for an HSM with capacity
	// before it is answered 41 (default 250ms).
	QueueTimeout time.Duration `yaml:"queue_timeout"`
	// QueueSize is the most commands waiting for capacity; beyond it a
	// command is answered 41 at once (default 4096).
	QueueSize int `yaml:"queue_size"`
	// MaxAttempts is how many HSMs one command may be tried on (default 2).
	MaxAttempts int `yaml:"max_attempts"`
	// LicenceShare is the share of each HSM's licensed rate this gateway may
	// use, in (0, 1]; set it to 1/N when N gateway replicas share HSMs (default 1).
	LicenceShare float64 `yaml:"licence_share"`
	// Hedge configures hedged requests (docs/reliability.md, Hedged requests).
	Hedge Hedge `yaml:"hedge"`
	// HSMs are the pool's members in configuration order (at least one).
	HSMs []HSM `yaml:"hsms"`
}

// Health configures the active health probes (NC and NO) of a pool.
type Health struct {
	// Interval is the time between probe rounds (default 1s).
	Interval time.Duration `yaml:"interval"`
	// Timeout bounds one probe, connection included (default 1s).
	Timeout time.Duration `yaml:"timeout"`
	// Passes is the consecutive passed probes that bring a Down HSM Up (default 1).
	Passes int `yaml:"passes"`
	// Fails is the consecutive failed probes that take an Up HSM Down (default 2).
	Fails int `yaml:"fails"`
}

// Hedge configures hedged requests (ours): a retry-safe command still
// unanswered after its HSM's hedge delay is also sent to another Up HSM,
// the HA pair partner first, and the first answer wins.
type Hedge struct {
	// Disabled turns hedging off: a command waits for its HSM or the
	// command timeout (default false).
	Disabled bool `yaml:"disabled"`
	// Multiplier times the HSM's p99 latency over the last seconds is its
	// hedge delay (default 2).
	Multiplier float64 `yaml:"multiplier"`
	// MinDelay and MaxDelay bound the hedge delay (defaults 10ms and 100ms).
	MinDelay time.Duration `yaml:"min_delay"`
	MaxDelay time.Duration `yaml:"max_delay"`
	// Budget is the most hedges as a share of commands, in (0, 1]
	// (default 0.05). Hedges take licence like any command.
	Budget float64 `yaml:"budget"`
}

// HSM is one payment HSM of a pool.
type HSM struct {
	// Name identifies the HSM in logs, metrics and status (required, unique).
	Name string `yaml:"name"`
	// Addr is its host-command address, HOST:PORT (required).
	Addr string `yaml:"addr"`
	// Pair names its HA pair (default: its own name, a pair of one).
	Pair string `yaml:"pair"`
	// CPS is its licensed commands per second; 0 means unlimited (default 0).
	CPS int `yaml:"cps"`
	// Conns is the number of persistent connections to it (default 2).
	Conns int `yaml:"conns"`
	// HeaderLen is the message header length it is configured with, 0..16
	// (default 4). A nil pointer means unset.
	HeaderLen *int `yaml:"header_len"`
	// TLS, when set, makes connections to it use TLS (default plain TCP).
	TLS *ClientTLS `yaml:"tls"`
	// Probes is its health-probe command set: [NC, NO] (the default) or
	// [NC] for an HSM that does not implement NO.
	Probes []string `yaml:"probes"`
	// MaxInFlight bounds the commands in flight on each connection to it,
	// 1..256, for an HSM that takes fewer pipelined commands than the
	// window (default 0: no bound but the window).
	MaxInFlight int `yaml:"max_in_flight"`
}

// ServerTLS is the TLS configuration of a listener, by file name.
type ServerTLS struct {
	// Cert is the PEM certificate chain file (required).
	Cert string `yaml:"cert"`
	// Key is the PEM private key file (required).
	Key string `yaml:"key"`
	// ClientCA, when set, requires clients to present a certificate signed
	// by a CA in this PEM file (mutual TLS) (default: no client certificate).
	ClientCA string `yaml:"client_ca"`
}

// ClientTLS is the TLS configuration of connections to an HSM, by file name.
type ClientTLS struct {
	// CA is the PEM file of CAs that sign the HSM's certificate (default:
	// the system roots).
	CA string `yaml:"ca"`
	// Cert and Key are the gateway's client certificate and key, for HSMs
	// that require one (default none; both or neither).
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
	// ServerName overrides the name checked in the HSM's certificate
	// (default: the host part of Addr).
	ServerName string `yaml:"server_name"`
}

// Defaults, as stated on the fields.
const (
	DefaultListen          = "127.0.0.1:1500"
	DefaultHeaderLen       = 4
	DefaultHTTP            = "127.0.0.1:8080"
	DefaultData            = "./payhsm-data"
	DefaultMaxConns        = 1024
	DefaultIdleTimeout     = 5 * time.Minute
	DefaultFrameTimeout    = 5 * time.Second
	DefaultMaxPipeline     = 256
	DefaultPoolName        = "default"
	DefaultInterval        = time.Second
	DefaultProbeTimeout    = time.Second
	DefaultPasses          = 1
	DefaultFails           = 2
	DefaultCommandTimeout  = 2 * time.Second
	DefaultQueueTimeout    = 250 * time.Millisecond
	DefaultQueueSize       = 4096
	DefaultMaxAttempts     = 2
	DefaultLicenceShare    = 1.0
	DefaultHedgeMultiplier = 2.0
	DefaultHedgeMinDelay   = 10 * time.Millisecond
	DefaultHedgeMaxDelay   = 100 * time.Millisecond
	DefaultHedgeBudget     = 0.05
	DefaultConns           = 2
	// DefaultOperationTimeout is rest.operation_timeout's default.
	DefaultOperationTimeout = 5 * time.Second
	// DefaultKCVCacheSize is rest.kcv_cache_size's default.
	DefaultKCVCacheSize = 4096
	// AuditFileName is the audit file's name under the data directory.
	AuditFileName = "audit.log"
)

// SetDefaults fills every unset field with its default. Call it once, after
// the file is loaded and flags are applied, before Validate.
func (c *Config) SetDefaults() {
	setStr(&c.Listen, DefaultListen)
	setIntPtr(&c.HeaderLen, DefaultHeaderLen)
	setStr(&c.HTTP, DefaultHTTP)
	setStr(&c.Data, DefaultData)
	setDur(&c.REST.OperationTimeout, DefaultOperationTimeout)
	setInt(&c.REST.KCVCacheSize, DefaultKCVCacheSize)
	setStr(&c.Audit.Path, filepath.Join(c.Data, AuditFileName))
	setInt(&c.Limits.MaxConns, DefaultMaxConns)
	setDur(&c.Limits.IdleTimeout, DefaultIdleTimeout)
	setDur(&c.Limits.FrameTimeout, DefaultFrameTimeout)
	setInt(&c.Limits.MaxPipeline, DefaultMaxPipeline)
	c.setRegistryDefaults(os.Hostname)
	for i := range c.Pools {
		p := &c.Pools[i]
		setStr(&p.Name, DefaultPoolName)
		setDur(&p.Health.Interval, DefaultInterval)
		setDur(&p.Health.Timeout, DefaultProbeTimeout)
		setInt(&p.Health.Passes, DefaultPasses)
		setInt(&p.Health.Fails, DefaultFails)
		setDur(&p.CommandTimeout, DefaultCommandTimeout)
		setDur(&p.QueueTimeout, DefaultQueueTimeout)
		setInt(&p.QueueSize, DefaultQueueSize)
		setInt(&p.MaxAttempts, DefaultMaxAttempts)
		if p.LicenceShare == 0 {
			p.LicenceShare = DefaultLicenceShare
		}
		if p.Hedge.Multiplier == 0 {
			p.Hedge.Multiplier = DefaultHedgeMultiplier
		}
		setDur(&p.Hedge.MinDelay, DefaultHedgeMinDelay)
		setDur(&p.Hedge.MaxDelay, max(DefaultHedgeMaxDelay, p.Hedge.MinDelay))
		if p.Hedge.Budget == 0 {
			p.Hedge.Budget = DefaultHedgeBudget
		}
		for j := range p.HSMs {
			h := &p.HSMs[j]
			setStr(&h.Pair, h.Name)
			setInt(&h.Conns, DefaultConns)
			setIntPtr(&h.HeaderLen, DefaultHeaderLen)
		}
	}
}

func setStr(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func setInt(p *int, v int) {
	if *p == 0 {
		*p = v
	}
}

func setIntPtr(p **int, v int) {
	if *p == nil {
		*p = &v
	}
}

func setDur(p *time.Duration, v time.Duration) {
	if *p == 0 {
		*p = v
	}
}

// Int returns a pointer to v, for the optional integer fields.
func Int(v int) *int { return &v }
