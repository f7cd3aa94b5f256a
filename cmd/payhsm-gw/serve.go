package main

import (
	"context"
	"errors"
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

	"github.com/payhsm/payhsm-gw/config"
	"github.com/payhsm/payhsm-gw/gateway"
	"github.com/payhsm/payhsm-gw/pool"
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

// runServe is the entry point of 'payhsm-gw serve' (docs/spec/cli.md).
func runServe(ctx context.Context, args []string, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "", "YAML configuration `FILE` (pools, pairs, HSMs, TLS, limits); flags override it")
	listen := fs.String("listen", config.DefaultListen, "host-command listener `ADDR`")
	httpAddr := fs.String("http", config.DefaultHTTP, "`ADDR` of the REST API, /metrics, /healthz, /readyz")
	headerLen := fs.Int("header-len", config.DefaultHeaderLen, "message header length `N` on the host-command front (0..16)")
	var hsms hsmFlags
	fs.Var(&hsms, "hsm", "an HSM, repeatable: `NAME=HOST:PORT[,pair=P][,cps=N][,conns=N][,header-len=N]`")
	data := fs.String("data", config.DefaultData, "`DIR` of durable state (the key registry)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: payhsm-gw serve [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Runs the gateway: host-command front for switches, REST API, Prometheus metrics.")
		fmt.Fprintln(stderr, "With no --config and no --hsm it starts an embedded simulated HA pair (test LMK).")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "payhsm-gw serve: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}

	cfg := &config.Config{}
	if *configFile != "" {
		var err error
		if cfg, err = config.Load(*configFile); err != nil {
			fmt.Fprintf(stderr, "payhsm-gw serve: %v\n", err)
			return exitUsage
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
	if len(hsms) > 0 {
		if len(cfg.Pools) == 0 {
			cfg.Pools = []config.Pool{{}}
		}
		cfg.Pools[0].HSMs = hsms
	}
	cfg.SetDefaults()
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "payhsm-gw serve: invalid configuration:\n%v\n", err)
		return exitUsage
	}
	if *configFile != "" && len(cfg.Pools) == 0 {
		// The embedded pair is for a bare 'serve' only: a configuration
		// without HSMs is a mistake, not a request for simulators.
		fmt.Fprintln(stderr, "payhsm-gw serve: invalid configuration:\nconfig: pools: at least one pool with HSMs is required (or give --hsm)")
		return exitUsage
	}

	log := slog.New(slog.NewTextHandler(stderr, nil))
	var sims []*simulator.Server
	defer func() {
		for _, s := range sims {
			s.Close()
		}
	}()
	if len(cfg.Pools) == 0 {
		var err error
		if sims, err = startEmbeddedPair(cfg, log); err != nil {
			log.Error("serve: starting the embedded simulated pair", "err", err)
			return exitFailed
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	pcfg, err := poolConfig(cfg.Pools[0], log, reg)
	if err != nil {
		fmt.Fprintf(stderr, "payhsm-gw serve: %v\n", err)
		return exitUsage
	}
	// The pool outlives the signal: it must keep answering while the
	// front drains, and is closed explicitly after it.
	p, err := pool.New(context.WithoutCancel(ctx), pcfg)
	if err != nil {
		fmt.Fprintf(stderr, "payhsm-gw serve: %v\n", err)
		return exitUsage
	}
	defer p.Close()
	// Give the first probe round a moment so that the first commands find
	// an HSM; serving starts either way (commands get 41 until one is Up).
	readyCtx, cancel := context.WithTimeout(ctx, pcfg.ProbeTimeout+time.Second)
	if err := p.WaitReady(readyCtx); err != nil && ctx.Err() == nil {
		log.Warn("serve: no HSM is up yet; commands are answered 41 until one is")
	}
	cancel()

	gcfg, err := gatewayConfig(cfg, log, reg)
	if err != nil {
		fmt.Fprintf(stderr, "payhsm-gw serve: %v\n", err)
		return exitUsage
	}
	g, err := gateway.Start(gcfg, p)
	if err != nil {
		log.Error("serve: host-command front", "err", err)
		return exitFailed
	}
	log.Info("serve: host-command front listening", "addr", g.Addr(), "header_len", *cfg.HeaderLen)

	handler, err := httpHandler(serveDeps{Config: cfg, Pool: p, Registry: reg, Logger: log})
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
	hsrv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	httpDone := make(chan error, 1)
	go func() { httpDone <- hsrv.Serve(hln) }()
	log.Info("serve: HTTP listening", "addr", hln.Addr().String(), "paths", "/metrics /healthz /readyz")

	code := exitOK
	select {
	case <-ctx.Done():
		log.Info("serve: shutting down: answering what is in flight")
	case err := <-httpDone:
		log.Error("serve: HTTP server stopped", "err", err)
		code = exitFailed
	}
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
	return code
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
		Logger:         log.With("pool", c.Name),
		Registerer:     reg,
	}
	for i, h := range c.HSMs {
		hc := pool.HSMConfig{Name: h.Name, Addr: h.Addr, Pair: h.Pair, CPS: h.CPS, Conns: h.Conns, HeaderLen: *h.HeaderLen}
		if hc.HeaderLen == 0 {
			hc.HeaderLen = pool.NoHeader
		}
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
		HeaderLen:     *c.HeaderLen,
		MaxConns:      c.Limits.MaxConns,
		IdleTimeout:   c.Limits.IdleTimeout,
		MaxPipeline:   c.Limits.MaxPipeline,
		Allow:         c.Policy.Allow,
		Deny:          c.Policy.Deny,
		AllowClearPIN: c.Policy.AllowClearPIN,
		Logger:        log,
		Registerer:    reg,
	}
	if gc.HeaderLen == 0 {
		gc.HeaderLen = gateway.NoHeader
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

// serveDeps is what the HTTP side of serve is built from.
type serveDeps struct {
	Config   *config.Config
	Pool     *pool.Pool
	Registry *prometheus.Registry
	Logger   *slog.Logger
}

// httpHandler returns the handler served on --http. This is the one place
// where the HTTP side is mounted: the REST API (package rest) goes here.
func httpHandler(d serveDeps) (http.Handler, error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !d.Pool.Status().Ready {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "no HSM is up\n")
			return
		}
		io.WriteString(w, "ready\n")
	})
	return mux, nil
}
