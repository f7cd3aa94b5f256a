package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/payhsm/payhsm-gw/audit"
	"github.com/payhsm/payhsm-gw/cluster"
	"github.com/payhsm/payhsm-gw/config"
	"github.com/payhsm/payhsm-gw/gateway"
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/pool"
	"github.com/payhsm/payhsm-gw/rest"
	"github.com/payhsm/payhsm-gw/simulator"
)

// shutdownGrace bounds the graceful shutdown on SIGINT/SIGTERM: answering
// what is in flight, then closing.
const shutdownGrace = 30 * time.Second

// hsmFlags collects repeated --hsm flags.
type hsmFlags []config.HSM

func (f *hsmFlags) String() string { return fmt.Sprint(len(*f), " HSMs") }

func (f *hsmFlags) Set(s string) error {
	h, err := config.ParseHSMSpec(s)
	if err != nil {
		return err
	}
	*f = append(*f, h)
	return nil
}

// runServe is the entry point of 'payhsm-gw serve' (docs/spec/cli.md): it
// starts, in order, durable state, the pool, the host-command front and the
// HTTP server, waits for a signal or a failure, then shuts down front first.
func runServe(ctx context.Context, args []string, _, stderr io.Writer) int {
	cfg, code, done := serveConfig(args, stderr)
	if done {
		return code
	}

	log := slog.New(slog.NewTextHandler(stderr, nil))
	embedded := len(cfg.Pools) == 0
	auth, err := restAuth(cfg, embedded, log)
	if err != nil {
		fmt.Fprintf(stderr, "payhsm-gw serve: %v\n", err)
		return exitUsage
	}
	var restTLS *tls.Config
	if cfg.REST.TLS != nil {
		if restTLS, err = cfg.REST.TLS.LoadREST(); err != nil {
			fmt.Fprintf(stderr, "payhsm-gw serve: rest.tls: %v\n", err)
			return exitUsage
		}
	}

	var sims []*simulator.Server
	defer func() {
		for _, s := range sims {
			s.Close()
		}
	}()
	if embedded {
		if sims, err = startEmbeddedPair(cfg, log); err != nil {
			log.Error("serve: starting the embedded simulated pair", "err", err)
			return exitFailed
		}
	}

	promReg := prometheus.NewRegistry()
	promReg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	// Durable state first: a second serve on the same --data fails here,
	// before it listens anywhere.
	keyReg, etcdReg, regCode, err := openRegistry(cfg, log)
	if err != nil {
		log.Error("serve: key registry", "err", err)
		return regCode
	}
	defer keyReg.Close()
	al, err := audit.Open(cfg.Audit.Path, audit.Options{Logger: log, Registerer: promReg})
	if err != nil {
		log.Error("serve: audit log", "path", cfg.Audit.Path, "err", err)
		return exitFailed
	}
	defer al.Close()
	reopenOnHangup(ctx, al, log)
	log.Info("serve: durable state", "data", cfg.Data, "audit", cfg.Audit.Path)

	pcfg, err := poolConfig(cfg.Pools[0], log, promReg)
	if err != nil {
		fmt.Fprintf(stderr, "payhsm-gw serve: %v\n", err)
		return exitUsage
	}
	// The pool outlives the signal: it must keep answering while the
	// front drains, and is closed explicitly after it.
	p, err := pool.New(ctx, pcfg)
	if err != nil {
		fmt.Fprintf(stderr, "payhsm-gw serve: %v\n", err)
		return exitUsage
	}
	defer p.Close()
	member, err := startMembership(ctx, cfg, etcdReg, p, log, promReg)
	if err == nil {
		err = cluster.RegisterShareMetric(promReg, p.LicenceShare)
	}
	if err != nil {
		fmt.Fprintf(stderr, "payhsm-gw serve: %v\n", err)
		return exitUsage
	}
	if member != nil {
		defer member.Close()
	}
	// Give the first probe round a moment so that the first commands find
	// an HSM; serving starts either way (commands get 41 until one is Up).
	readyCtx, cancel := context.WithTimeout(ctx, pcfg.ProbeTimeout+time.Second)
	if err := p.WaitReady(readyCtx); err != nil && ctx.Err() == nil {
		log.Warn("serve: no HSM is up yet; commands are answered 41 until one is")
	}
	cancel()

	gcfg, err := gatewayConfig(cfg, log, promReg)
	if err != nil {
		fmt.Fprintf(stderr, "payhsm-gw serve: %v\n", err)
		return exitUsage
	}
	gcfg.Audit = al
	g, err := gateway.Start(gcfg, p)
	if err != nil {
		log.Error("serve: host-command front", "err", err)
		return exitFailed
	}
	log.Info("serve: host-command front listening", "addr", g.Addr(), "header_len", *cfg.HeaderLen)

	h, err := rest.New(rest.Config{
		Executor:         p,
		Status:           clusterStatus(p, member),
		Registry:         keyReg,
		Audit:            al,
		Logger:           log,
		Registerer:       promReg,
		Metrics:          promhttp.HandlerFor(promReg, promhttp.HandlerOpts{}),
		Auth:             auth,
		OperationTimeout: cfg.REST.OperationTimeout,
		KCVCacheSize:     cfg.REST.KCVCacheSize,
	})
	if err != nil {
		g.Close()
		fmt.Fprintf(stderr, "payhsm-gw serve: %v\n", err)
		return exitUsage
	}
	hln, err := net.Listen("tcp", cfg.HTTP)
	if err != nil {
		g.Close()
		log.Error("serve: HTTP listener", "err", err)
		return exitFailed
	}
	hsrv, httpDone := serveHTTP(cfg, h, hln, restTLS, log)

	code = exitOK
	select {
	case <-ctx.Done():
		log.Info("serve: shutting down: answering what is in flight")
	case err := <-httpDone:
		log.Error("serve: HTTP server stopped", "err", err)
		code = exitFailed
	}
	shutdown(g, hsrv, p, log)
	return code
}

// serveConfig parses serve's flags and configuration file into a checked
// configuration with its defaults applied. done is true when serve must
// exit with code at once (help, or a usage error already printed).
func serveConfig(args []string, stderr io.Writer) (cfg *config.Config, code int, done bool) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "", "YAML configuration `FILE` (pools, pairs, HSMs, TLS, limits); flags override it")
	listen := fs.String("listen", config.DefaultListen, "host-command listener `ADDR`")
	httpAddr := fs.String("http", config.DefaultHTTP, "`ADDR` of the REST API, /metrics, /healthz, /readyz")
	headerLen := fs.Int("header-len", config.DefaultHeaderLen, "message header length `N` on the host-command front (0..16)")
	var hsms hsmFlags
	fs.Var(&hsms, "hsm", "an HSM, repeatable: `NAME=HOST:PORT[,pair=P][,cps=N][,conns=N][,header-len=N][,inflight=N][,probes=NC|NC+NO]`")
	lmkCheck := fs.String("lmk-check", "", "the LMK check value `HEX` (16H, as NC reports it) every HSM of the pool must report (default: the pool's configuration, else adopted from the first HSM that answers)")
	data := fs.String("data", config.DefaultData, "`DIR` of durable state: the key registry and, by default, the audit log (created if missing)")
	regFlags := addRegistryFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: payhsm-gw serve [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Runs the gateway: host-command front for switches, REST API, Prometheus metrics.")
		fmt.Fprintln(stderr, "With no --config and no --hsm it starts an embedded simulated HA pair (test LMK).")
		fmt.Fprintln(stderr, "The REST API runs without authentication only on a loopback --http or with the")
		fmt.Fprintln(stderr, "embedded pair; elsewhere configure rest.auth (API keys or client certificates).")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args); done {
		return nil, code, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "payhsm-gw serve: unexpected argument %q\n", fs.Arg(0))
		return nil, exitUsage, true
	}

	cfg = &config.Config{}
	if *configFile != "" {
		var err error
		if cfg, err = config.Load(*configFile); err != nil {
			fmt.Fprintf(stderr, "payhsm-gw serve: %v\n", err)
			return nil, exitUsage, true
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["listen"] {
		cfg.Listen = *listen
	}
	if set["http"] {
		cfg.HTTP = *httpAddr
	}
	if set["header-len"] {
		cfg.HeaderLen = config.Int(*headerLen)
	}
	if set["data"] {
		cfg.Data = *data
	}
	regFlags.apply(cfg, set)
	if len(hsms) > 0 {
		if len(cfg.Pools) == 0 {
			cfg.Pools = []config.Pool{{}}
		}
		cfg.Pools[0].HSMs = hsms
	}
	if set["lmk-check"] {
		if len(cfg.Pools) == 0 {
			fmt.Fprintln(stderr, "payhsm-gw serve: --lmk-check needs HSMs (--hsm or --config)")
			return nil, exitUsage, true
		}
		cfg.Pools[0].LMKCheckValue = *lmkCheck
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "payhsm-gw serve: invalid configuration:\n%v\n", err)
		return nil, exitUsage, true
	}
	if *configFile != "" && len(cfg.Pools) == 0 {
		// The embedded pair is for a bare 'serve' only: a configuration
		// without HSMs is a mistake, not a request for simulators.
		fmt.Fprintln(stderr, "payhsm-gw serve: invalid configuration:\nconfig: pools: at least one pool with HSMs is required (or give --hsm)")
		return nil, exitUsage, true
	}
	return cfg, exitOK, false
}

// serveHTTP starts the REST API, /metrics and the probes on hln, over TLS
// when restTLS is set. The channel receives the server's error if it stops.
func serveHTTP(cfg *config.Config, h http.Handler, hln net.Listener, restTLS *tls.Config, log *slog.Logger) (*http.Server, <-chan error) {
	hsrv := rest.NewServer(cfg.HTTP, h, restTLS, log)
	// An operation may take its whole timeout: leave time to write its 503.
	hsrv.WriteTimeout = max(hsrv.WriteTimeout, cfg.REST.OperationTimeout+5*time.Second)
	httpDone := make(chan error, 1)
	scheme := "http"
	if restTLS != nil {
		scheme = "https"
		go func() { httpDone <- hsrv.ServeTLS(hln, "", "") }()
	} else {
		go func() { httpDone <- hsrv.Serve(hln) }()
	}
	log.Info("serve: HTTP listening", "addr", hln.Addr().String(), "scheme", scheme, "paths", "/v1 /metrics /healthz /readyz /openapi.json")

	return hsrv, httpDone
}

// shutdown stops serving in the order that loses nothing: the front
// answers what it has read, the HTTP server finishes its requests, and the
// pool, still up until then, closes last.
func shutdown(g *gateway.Server, hsrv *http.Server, p *pool.Pool, log *slog.Logger) {
	sctx, scancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer scancel()
	if err := g.Shutdown(sctx); err != nil {
		log.Warn("serve: host-command front", "err", err)
	}
	if err := hsrv.Shutdown(sctx); err != nil {
		log.Warn("serve: HTTP", "err", err)
	}
	p.Close()
	st := g.Stats()
	log.Info("serve: stopped", "commands", st.Received, "answered", st.Answered)
}

// restAuth decides the REST API's authentication (ours): the configured
// API keys and client certificates; with none, authentication is off only
// when the REST listener is on a loopback address or the pool is the
// embedded simulated pair, and serve refuses to start otherwise. The choice
// is logged.
func restAuth(cfg *config.Config, embedded bool, log *slog.Logger) (rest.Auth, error) {
	a := cfg.REST.Auth
	var auth rest.Auth
	for _, k := range a.APIKeys {
		auth.APIKeys = append(auth.APIKeys, rest.APIKey{ID: k.ID, SHA256: k.SHA256, ManageKeys: k.ManageKeys})
	}
	for _, c := range a.ClientCerts {
		auth.ClientCerts = append(auth.ClientCerts, rest.ClientCert{Name: c.Name, ManageKeys: c.ManageKeys})
	}
	if len(auth.APIKeys) > 0 || len(auth.ClientCerts) > 0 {
		log.Info("serve: REST authentication on", "api_keys", len(auth.APIKeys), "client_certs", len(auth.ClientCerts))
		return auth, nil
	}
	switch {
	case config.Loopback(cfg.HTTP):
		log.Warn("serve: REST authentication OFF: no API keys or client certificates, and --http is a loopback address", "http", cfg.HTTP)
	case embedded:
		log.Warn("serve: REST authentication OFF: no API keys or client certificates, and the pool is the embedded simulated pair", "http", cfg.HTTP)
	default:
		return auth, fmt.Errorf("--http %s is not a loopback address: configure rest.auth.api_keys or rest.auth.client_certs (rest.auth.disabled is only allowed on loopback or with the embedded simulated pair)", cfg.HTTP)
	}
	auth.Disabled = true
	return auth, nil
}

// startEmbeddedPair starts two simulated HSMs under the test LMK on
// loopback and makes them the configuration's only pool.
func startEmbeddedPair(cfg *config.Config, log *slog.Logger) ([]*simulator.Server, error) {
	var sims []*simulator.Server
	var hsms []config.HSM
	for _, name := range []string{"sim-a", "sim-b"} {
		s, err := simulator.Start(simulator.Config{Addr: "127.0.0.1:0", Logger: log.With("sim", name)})
		if err != nil {
			for _, s := range sims {
				s.Close()
			}
			return nil, err
		}
		sims = append(sims, s)
		hsms = append(hsms, config.HSM{Name: name, Addr: s.Addr(), Pair: "embedded"})
	}
	cfg.Pools = []config.Pool{{Name: "embedded", HSMs: hsms}}
	cfg.SetDefaults()
	log.Warn("serve: no --config and no --hsm: started an EMBEDDED SIMULATED HA PAIR under the public test LMK (not for production)",
		"sim-a", sims[0].Addr(), "sim-b", sims[1].Addr())
	return sims, nil
}

// poolConfig turns a validated config.Pool into a pool.Config.
func poolConfig(c config.Pool, log *slog.Logger, reg prometheus.Registerer) (pool.Config, error) {
	pc := pool.Config{
		LMKCheckValue:  strings.ToUpper(c.LMKCheckValue),
		HealthInterval: c.Health.Interval,
		ProbeTimeout:   c.Health.Timeout,
		Passes:         c.Health.Passes,
		Fails:          c.Health.Fails,
		CommandTimeout: c.CommandTimeout,
		QueueTimeout:   c.QueueTimeout,
		QueueSize:      c.QueueSize,
		MaxAttempts:    c.MaxAttempts,
		LicenceShare:   c.LicenceShare,
		Hedge: pool.HedgeConfig{
			Off:        c.Hedge.Disabled,
			Multiplier: c.Hedge.Multiplier,
			MinDelay:   c.Hedge.MinDelay,
			MaxDelay:   c.Hedge.MaxDelay,
			Budget:     c.Hedge.Budget,
		},
		Logger:     log.With("pool", c.Name),
		Registerer: reg,
	}
	for i, h := range c.HSMs {
		hc := pool.HSMConfig{Name: h.Name, Addr: h.Addr, Pair: h.Pair, CPS: h.CPS, Conns: h.Conns, HeaderLen: hostcmd.ConfigHeaderLen(*h.HeaderLen),
			MaxInFlight: h.MaxInFlight, Probes: probeSet(h.Probes)}
		if h.TLS != nil {
			t, err := h.TLS.Load(h.Addr)
			if err != nil {
				return pool.Config{}, fmt.Errorf("pools[0].hsms[%d].tls: %w", i, err)
			}
			hc.TLS = t
		}
		pc.HSMs = append(pc.HSMs, hc)
	}
	return pc, nil
}

// gatewayConfig turns the validated configuration into the front's.
func gatewayConfig(c *config.Config, log *slog.Logger, reg prometheus.Registerer) (gateway.Config, error) {
	gc := gateway.Config{
		Addr:          c.Listen,
		HeaderLen:     hostcmd.ConfigHeaderLen(*c.HeaderLen),
		MaxConns:      c.Limits.MaxConns,
		IdleTimeout:   c.Limits.IdleTimeout,
		FrameTimeout:  c.Limits.FrameTimeout,
		MaxPipeline:   c.Limits.MaxPipeline,
		Allow:         c.Policy.Allow,
		Deny:          c.Policy.Deny,
		AllowClearPIN: c.Policy.AllowClearPIN,
		Logger:        log,
		Registerer:    reg,
	}
	if c.TLS != nil {
		t, err := c.TLS.Load()
		if err != nil {
			return gateway.Config{}, err
		}
		gc.TLS = t
	}
	return gc, nil
}

// probeSet turns a validated probes list into the pool's set.
func probeSet(probes []string) pool.ProbeSet {
	var s pool.ProbeSet
	for _, p := range probes {
		switch p {
		case config.ProbeNC:
			s |= pool.ProbeNC
		case config.ProbeNO:
			s |= pool.ProbeNO
		}
	}
	return s // 0, from an empty list, is the pool's default
}
