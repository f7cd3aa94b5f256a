package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/simulator"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// simShutdownTimeout bounds the graceful stop of 'payhsm-gw sim' after
// SIGINT/SIGTERM: commands already read are answered within it.
const simShutdownTimeout = 30 * time.Second

// runSim is the entry point of 'payhsm-gw sim': a standalone simulated
// payment HSM (docs/spec/cli.md). It serves until ctx is cancelled (SIGINT or
// SIGTERM), then stops gracefully and exits 0.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("payhsm-gw sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:1500", "host-command listener `ADDR` (:0 picks a free port; the chosen address is logged)")
	headerLen := fs.Int("header-len", 4, "message header length `N` (0..16)")
	lmkFlag := fs.String("lmk", "test", "the LMK `test|keyblock-test|keyblock-test-tdes|FILE`: the public variant test LMK, a test key-block LMK (AES or TDES), or a file of either kind (20 lines 'PP-PP LEFT16H RIGHT16H', or one line 'key-block AES|TDES KEYHEX')")
	cps := fs.Int("cps", 0, "licensed commands per second `N`, enforced like an HSM licence (excess waits); 0 is unlimited")
	latency := fs.Duration("latency", 0, "added service time per command `D`, e.g. 1ms")
	logLevel := fs.String("log-level", "info", "log `LEVEL`: debug, info, warn or error")
	metricsAddr := fs.String("metrics", "", "serve the simulator's own counters (payhsm_sim_*) at /metrics on `ADDR` (:0 picks a free port; the chosen address is logged); off when empty")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintln(w, "Usage: payhsm-gw sim [flags]")
		fmt.Fprintln(w, "\nRun a standalone simulated payment HSM speaking the host-command protocol.")
		fmt.Fprintln(w, "Stops gracefully on SIGINT or SIGTERM (commands already read are answered).")
		fmt.Fprintln(w, "\nFlags:")
		printFlags(w, fs)
	}
	if code, done := parseFlags(fs, args); done {
		return code
	}
	if code, done := checkNoArgs(fs, stderr); done {
		return code
	}
	if code, done := checkHeaderLen(fs, stderr, *headerLen); done {
		return code
	}
	usageErr := func(format string, a ...any) int { return usageError(fs, stderr, format, a...) }
	if *cps < 0 {
		return usageErr("--cps %d is negative", *cps)
	}
	if *latency < 0 {
		return usageErr("--latency %v is negative", *latency)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return usageErr("--log-level %q: want debug, info, warn or error", *logLevel)
	}
	lmk, err := loadAnyLMK(*lmkFlag)
	if err != nil {
		return usageErr("--lmk: %v", err)
	}
	hl := hostcmd.ConfigHeaderLen(*headerLen)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	srv, err := simulator.Start(simulator.Config{
		Addr:        *listen,
		HeaderLen:   hl,
		LMK:         lmk.Variant,
		KeyBlockLMK: lmk.KeyBlock,
		CPS:         *cps,
		Latency:     *latency,
		Logger:      log,
	})
	if err != nil {
		fmt.Fprintf(stderr, "payhsm-gw sim: %v\n", err)
		return exitFailed
	}
	if *metricsAddr != "" {
		stop, err := serveSimMetrics(*metricsAddr, srv, log)
		if err != nil {
			srv.Close()
			fmt.Fprintf(stderr, "payhsm-gw sim: --metrics: %v\n", err)
			return exitFailed
		}
		defer stop()
	}
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), simShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown did not finish in time; connections closed", "err", err)
	}
	return exitOK
}

// serveSimMetrics serves srv's counters (simulator.Server.Metrics) at
// /metrics on addr until the returned stop is called.
func serveSimMetrics(addr string, srv *simulator.Server, log *slog.Logger) (stop func(), err error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(srv.Metrics()); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	log.Info("simulator metrics listening", "addr", ln.Addr().String(), "path", "/metrics")
	return func() { hs.Close() }, nil
}

// loadLMK returns the public test LMK for "test", else the LMK in the file.
func loadLMK(arg string) (*keys.LMK, error) {
	if arg == "test" {
		return keys.TestLMK(), nil
	}
	f, err := os.Open(arg)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return keys.ParseLMK(f)
}
