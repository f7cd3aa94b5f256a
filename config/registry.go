package config

import (
	"strings"
	"time"

	"github.com/payhsm/payhsm-gw/registry"
)

// Registry says where the key registry lives (ours). With no URL it is the
// embedded bbolt file under Data, for one process; with an etcd:// URL it
// is shared by every replica on that etcd, and the replicas also split the
// HSM licences live (Membership).
type Registry struct {
	// URL is "" for the embedded registry, or etcd://HOST:PORT[,HOST:PORT...]
	// (default "").
	URL string `yaml:"url"`
	// Optional lets serve start when etcd cannot be reached: key writes
	// answer 503 until it can (default false: serve exits 2).
	Optional bool `yaml:"optional"`
	// Prefix is prepended to every etcd key, so that one etcd can hold
	// several gateway clusters (default "/payhsm-gw/").
	Prefix string `yaml:"prefix"`
	// DialTimeout bounds the first connection to etcd (default 5s).
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// RequestTimeout bounds one etcd read or write; past it a key write
	// answers 503 (default 2s).
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// TLS, when set, is used for connections to etcd: the CA of etcd's
	// certificate and the client certificate etcd's --client-cert-auth
	// asks for (default: plain gRPC).
	TLS *ClientTLS `yaml:"tls"`
}

// Membership configures the live licence shares of replicas sharing an
// etcd registry (ours): each replica holds a lease-backed key, and its
// share of every HSM's licensed rate is its weight over the live members'
// total weight.
type Membership struct {
	// Disabled keeps the static pools[].licence_share even on etcd
	// (default false).
	Disabled bool `yaml:"disabled"`
	// Name is this replica's member name, unique in the cluster (default:
	// the host name, which is the pod name in Kubernetes).
	Name string `yaml:"name"`
	// Weight is this replica's weight in the split, in (0, 1000]
	// (default 1: equal shares).
	Weight float64 `yaml:"weight"`
	// TTL is the membership lease: a replica that stops renewing it drops
	// out of the others' split within TTL, 2s..60s (default 5s).
	TTL time.Duration `yaml:"ttl"`
}

// Defaults of the registry and membership sections.
const (
	DefaultRegistryPrefix         = registry.DefaultEtcdPrefix
	DefaultRegistryDialTimeout    = 5 * time.Second
	DefaultRegistryRequestTimeout = 2 * time.Second
	DefaultMembershipWeight       = 1.0
	DefaultMembershipTTL          = 5 * time.Second
)

// Etcd reports whether the registry is on etcd.
func (r *Registry) Etcd() bool { return strings.HasPrefix(r.URL, registry.EtcdScheme) }

func (c *Config) setRegistryDefaults(hostname func() (string, error)) {
	r, m := &c.Registry, &c.Membership
	setStr(&r.Prefix, DefaultRegistryPrefix)
	setDur(&r.DialTimeout, DefaultRegistryDialTimeout)
	setDur(&r.RequestTimeout, DefaultRegistryRequestTimeout)
	if m.Weight == 0 {
		m.Weight = DefaultMembershipWeight
	}
	setDur(&m.TTL, DefaultMembershipTTL)
	if m.Name == "" && r.Etcd() {
		if h, err := hostname(); err == nil {
			m.Name = h
		}
	}
}

func (c *Config) validateRegistry(add addFunc) {
	r, m := &c.Registry, &c.Membership
	if r.URL != "" {
		if _, err := registry.ParseEtcdURL(r.URL); err != nil {
			add("registry.url", "want etcd://HOST:PORT[,HOST:PORT...]")
		}
	}
	if !strings.HasPrefix(r.Prefix, "/") || !strings.HasSuffix(r.Prefix, "/") {
		add("registry.prefix", `must start and end with "/"`)
	}
	if r.DialTimeout < 100*time.Millisecond || r.DialTimeout > time.Minute {
		add("registry.dial_timeout", "must be 100ms..1m")
	}
	if r.RequestTimeout < 50*time.Millisecond || r.RequestTimeout > time.Minute {
		add("registry.request_timeout", "must be 50ms..1m")
	}
	if r.TLS != nil {
		if !r.Etcd() {
			add("registry.tls", "needs an etcd:// registry.url")
		}
		if (r.TLS.Cert == "") != (r.TLS.Key == "") {
			add("registry.tls", "cert and key go together")
		}
	}
	if !(m.Weight > 0 && m.Weight <= 1000) {
		add("membership.weight", "must be in (0, 1000]")
	}
	if m.TTL < 2*time.Second || m.TTL > time.Minute {
		add("membership.ttl", "must be 2s..60s")
	}
	if r.Etcd() && !m.Disabled && !validMemberName(m.Name) {
		add("membership.name", "must be 1 to 64 of A-Z a-z 0-9 . _ - (the host name is the default)")
	}
}

func validMemberName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
