package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// MaxHSMs is the most HSMs one pool may hold (ours).
const MaxHSMs = 64

// Validate checks the whole configuration after SetDefaults and returns
// every problem at once, joined with errors.Join, each naming its path in the
// file, e.g. "pools[0].hsms[1].addr: missing port". It never quotes a value
// that could be secret; this file holds none, but paths are enough.
func (c *Config) Validate() error {
	var errs []error
	add := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: "+format, append([]any{path}, args...)...))
	}
	if err := checkAddr(c.Listen); err != nil {
		add("listen", "%v", err)
	}
	checkHeaderLen(add, "header_len", c.HeaderLen)
	if c.TLS != nil {
		c.TLS.validate(add, "tls")
	}
	if err := checkAddr(c.HTTP); err != nil {
		add("http", "%v", err)
	}
	if c.Data == "" {
		add("data", "missing")
	}
	c.REST.validate(add, "rest")
	c.validateRegistry(add)
	if c.Audit.Path == "" {
		add("audit.path", "missing")
	}
	if c.Limits.MaxConns < 1 {
		add("limits.max_conns", "must be at least 1")
	}
	if c.Limits.IdleTimeout < 0 {
		add("limits.idle_timeout", "must not be negative")
	}
	if c.Limits.FrameTimeout < 10*time.Millisecond || c.Limits.FrameTimeout > time.Hour {
		add("limits.frame_timeout", "must be 10ms..1h")
	}
	if c.Limits.MaxPipeline < 1 || c.Limits.MaxPipeline > 4096 {
		add("limits.max_pipeline", "must be 1..4096")
	}
	for i, code := range c.Policy.Allow {
		if !validCode(code) {
			add(fmt.Sprintf("policy.allow[%d]", i), "not a command code (2 characters, A-Z or 0-9)")
		}
	}
	for i, code := range c.Policy.Deny {
		if !validCode(code) {
			add(fmt.Sprintf("policy.deny[%d]", i), "not a command code (2 characters, A-Z or 0-9)")
		}
	}
	if len(c.Pools) > 1 {
		add("pools", "this version serves one pool, have %d", len(c.Pools))
	}
	for i := range c.Pools {
		c.Pools[i].validate(add, fmt.Sprintf("pools[%d]", i))
	}
	return errors.Join(errs...)
}

type addFunc func(path, format string, args ...any)

func (p *Pool) validate(add addFunc, path string) {
	if p.LMKCheckValue != "" {
		if len(p.LMKCheckValue) != 16 {
			add(path+".lmk_check_value", "must be 16 hex digits")
		} else if _, err := hex.DecodeString(p.LMKCheckValue); err != nil {
			add(path+".lmk_check_value", "must be 16 hex digits")
		}
	}
	if p.Health.Interval <= 0 {
		add(path+".health.interval", "must be positive")
	}
	if p.Health.Timeout <= 0 {
		add(path+".health.timeout", "must be positive")
	}
	if p.Health.Passes < 1 {
		add(path+".health.passes", "must be at least 1")
	}
	if p.Health.Fails < 1 {
		add(path+".health.fails", "must be at least 1")
	}
	if p.CommandTimeout <= 0 {
		add(path+".command_timeout", "must be positive")
	}
	if p.QueueTimeout <= 0 {
		add(path+".queue_timeout", "must be positive")
	}
	if p.QueueSize < 1 {
		add(path+".queue_size", "must be at least 1")
	}
	if p.MaxAttempts < 1 || p.MaxAttempts > 8 {
		add(path+".max_attempts", "must be 1..8")
	}
	if !(p.LicenceShare > 0 && p.LicenceShare <= 1) {
		add(path+".licence_share", "must be in (0, 1]")
	}
	if !(p.Hedge.Multiplier > 0) {
		add(path+".hedge.multiplier", "must be positive")
	}
	if p.Hedge.MinDelay < 0 {
		add(path+".hedge.min_delay", "must not be negative")
	}
	if p.Hedge.MaxDelay < p.Hedge.MinDelay {
		add(path+".hedge.max_delay", "must not be below hedge.min_delay")
	}
	if p.Hedge.MaxDelay >= p.CommandTimeout && p.CommandTimeout > 0 {
		add(path+".hedge.max_delay", "must be below command_timeout")
	}
	if !(p.Hedge.Budget > 0 && p.Hedge.Budget <= 1) {
		add(path+".hedge.budget", "must be in (0, 1]")
	}
	if len(p.HSMs) == 0 {
		add(path+".hsms", "at least one HSM is required")
	}
	if len(p.HSMs) > MaxHSMs {
		add(path+".hsms", "at most %d HSMs, have %d", MaxHSMs, len(p.HSMs))
	}
	seen := make(map[string]int)
	for j := range p.HSMs {
		h := &p.HSMs[j]
		hp := fmt.Sprintf("%s.hsms[%d]", path, j)
		switch {
		case h.Name == "":
			add(hp+".name", "missing")
		case !validName(h.Name):
			add(hp+".name", "use only letters, digits, '.', '_' and '-' (at most 64)")
		default:
			if k, dup := seen[h.Name]; dup {
				add(hp+".name", "duplicate of %s.hsms[%d].name", path, k)
			}
			seen[h.Name] = j
		}
		if err := checkAddr(h.Addr); err != nil {
			add(hp+".addr", "%v", err)
		}
		if h.Pair != "" && !validName(h.Pair) {
			add(hp+".pair", "use only letters, digits, '.', '_' and '-' (at most 64)")
		}
		if h.CPS < 0 {
			add(hp+".cps", "must not be negative")
		}
		if h.Conns < 1 || h.Conns > 64 {
			add(hp+".conns", "must be 1..64")
		}
		checkHeaderLen(add, hp+".header_len", h.HeaderLen)
		if err := CheckProbes(h.Probes); err != nil {
			add(hp+".probes", "%v", err)
		}
		if h.MaxInFlight < 0 || h.MaxInFlight > MaxInFlight {
			add(hp+".max_in_flight", "must be 0..%d", MaxInFlight)
		}
		if h.TLS != nil && (h.TLS.Cert == "") != (h.TLS.Key == "") {
			add(hp+".tls", "cert and key go together")
		}
	}
}

func (r *REST) validate(add addFunc, path string) {
	if r.TLS != nil {
		r.TLS.validate(add, path+".tls")
	}
	if r.OperationTimeout <= 0 {
		add(path+".operation_timeout", "must be positive")
	}
	if r.KCVCacheSize < 1 {
		add(path+".kcv_cache_size", "must be at least 1")
	}
	a := &r.Auth
	if a.Disabled && (len(a.APIKeys) > 0 || len(a.ClientCerts) > 0) {
		add(path+".auth.disabled", "cannot be set with api_keys or client_certs")
	}
	ids := make(map[string]int)
	for i, k := range a.APIKeys {
		kp := fmt.Sprintf("%s.auth.api_keys[%d]", path, i)
		switch {
		case k.ID == "":
			add(kp+".id", "missing")
		case !validName(k.ID):
			add(kp+".id", "use only letters, digits, '.', '_' and '-' (at most 64)")
		default:
			if j, dup := ids[k.ID]; dup {
				add(kp+".id", "duplicate of %s.auth.api_keys[%d].id", path, j)
			}
			ids[k.ID] = i
		}
		if len(k.SHA256) != 64 {
			add(kp+".sha256", "must be 64 hex digits (the SHA-256 of the key)")
		} else if _, err := hex.DecodeString(k.SHA256); err != nil {
			add(kp+".sha256", "must be 64 hex digits (the SHA-256 of the key)")
		}
	}
	names := make(map[string]int)
	for i, c := range a.ClientCerts {
		cp := fmt.Sprintf("%s.auth.client_certs[%d].name", path, i)
		switch {
		case c.Name == "":
			add(cp, "missing")
		case len(c.Name) > 255 || strings.ContainsAny(c.Name, "\x00\n\r"):
			add(cp, "not a certificate name")
		default:
			if j, dup := names[c.Name]; dup {
				add(cp, "duplicate of %s.auth.client_certs[%d].name", path, j)
			}
			names[c.Name] = i
		}
	}
	if len(a.ClientCerts) > 0 && (r.TLS == nil || r.TLS.ClientCA == "") {
		add(path+".auth.client_certs", "need %s.tls.client_ca", path)
	}
}

// Loopback reports whether addr's host is a loopback address
// ("localhost" included); such a REST listener may run without
// authentication (ours).
func Loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (t *ServerTLS) validate(add addFunc, path string) {
	if t.Cert == "" {
		add(path+".cert", "missing")
	}
	if t.Key == "" {
		add(path+".key", "missing")
	}
}

func checkHeaderLen(add addFunc, path string, n *int) {
	if n != nil && (*n < 0 || *n > 16) {
		add(path, "must be 0..16")
	}
}

// checkAddr checks a HOST:PORT address without resolving it.
func checkAddr(addr string) error {
	if addr == "" {
		return errors.New("missing")
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) && ae.Err == "missing port in address" {
			return errors.New("missing port")
		}
		return errors.New("not HOST:PORT")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return errors.New("port must be a number 0..65535")
	}
	return nil
}

func validCode(s string) bool {
	if len(s) != 2 {
		return false
	}
	for i := 0; i < 2; i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// MaxInFlight is the largest HSM max_in_flight: a pool connection's window.
const MaxInFlight = 256

// Probe commands an HSM's probes list may name.
const (
	ProbeNC = "NC" // diagnostics: the LMK check value; always probed
	ProbeNO = "NO" // HSM status; leave it out for an HSM without NO
)

// CheckProbes checks an HSM's probes list: NC is required (it carries the
// LMK check value), NO is optional, nothing else is known, nothing
// repeats. An empty list is the default, NC and NO.
func CheckProbes(probes []string) error {
	seen := map[string]bool{}
	for _, p := range probes {
		switch p {
		case ProbeNC, ProbeNO:
		default:
			return fmt.Errorf("unknown probe %q: want NC or NO", p)
		}
		if seen[p] {
			return fmt.Errorf("probe %s given twice", p)
		}
		seen[p] = true
	}
	if len(probes) > 0 && !seen[ProbeNC] {
		return errors.New("NC is required: it carries the LMK check value")
	}
	return nil
}
