package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/payhsm/payhsm-gw/conformance"
)

// runLoad is the entry point of 'payhsm-gw load': it drives a throughput
// profile against an endpoint and reports what it held (docs/spec/cli.md).
// It exits 1 when the profile was not held (achieved rate off by more than
// 1%, any wrong answer or any error).
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, target, headerLen := endpointFlags("payhsm-gw load", "required; several, comma-separated, spread the connections over them", stderr)
	profile := fs.String("profile", "250", "`P`: 60, 250, 1000, 2500 (commands/s, open loop) or max (saturation search); any positive rate is accepted")
	duration := fs.Duration("duration", 30*time.Second, "measured duration `D` after the warm-up (with --profile max: each concurrency step)")
	warmup := fs.Duration("warmup", 0, "warm-up `D` before measuring (default duration/10, at most 5s; negative: none)")
	mix := fs.String("mix", conformance.DefaultMix, "command `MIX` by weight, from "+strings.Join(conformance.MixCommands(), ", "))
	conns := fs.Int("conns", 8, "client connections `N`")
	maxConc := fs.Int("max-concurrency", 4096, "with --profile max: the highest concurrency `N` the search tries")
	fixed := fs.Int("concurrency", 0, "with --profile max: keep `N` commands in flight for one step of --duration instead of searching")
	jsonFile := fs.String("json", "", "write the JSON report to `FILE`")
	htmlFile := fs.String("html", "", "write the HTML report (latency plots) to `FILE`")
	setUsage(fs, "payhsm-gw load --target ADDR [flags]",
		"Drive a throughput profile against an HSM or gateway with valid commands whose",
		"answers are checked, and report the achieved rate, wrong answers and errors by code,",
		"and latency p50/p90/p99/p99.9/max measured from each command's scheduled send time",
		"(no coordinated omission) and from its actual write, with the sender's lag behind the",
		"schedule. Exits 1 when the profile was not held within 1% with no wrong answers and",
		"no errors.",
	)
	if code, done := parseEndpoint(fs, args, stderr, target, headerLen); done {
		return code
	}
	usageErr := func(format string, a ...any) int { return usageError(fs, stderr, format, a...) }
	rate := 0
	if *profile != "max" {
		n, err := strconv.Atoi(*profile)
		if err != nil || n <= 0 || n > 1_000_000 {
			return usageErr("--profile %q is not max or a rate in 1..1000000", *profile)
		}
		rate = n
	}
	if *duration <= 0 {
		return usageErr("--duration must be positive")
	}
	m, err := conformance.ParseMix(*mix)
	if err != nil {
		return usageErr("--mix: %v", err)
	}
	if *maxConc <= 0 || *maxConc > 65536 {
		return usageErr("--max-concurrency %d outside 1..65536", *maxConc)
	}
	if *fixed < 0 || *fixed > 65536 {
		return usageErr("--concurrency %d outside 0..65536", *fixed)
	}
	if *fixed > 0 && rate != 0 {
		return usageErr("--concurrency goes with --profile max")
	}
	if *conns <= 0 || *conns > 1024 {
		return usageErr("--conns %d outside 1..1024", *conns)
	}

	cfg := conformance.LoadConfig{
		Target: *target, HeaderLen: *headerLen, Rate: rate, Duration: *duration, Warmup: *warmup, Mix: m, Conns: *conns,
		MaxConcurrency: *maxConc, Concurrency: *fixed,
	}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar := progressbar.NewOptions(1000, progressbar.OptionSetWriter(stderr), progressbar.OptionSetDescription("load "+*profile),
			progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(200*time.Millisecond))
		cfg.Progress = func(done float64) { _ = bar.Set(int(done * 1000)) }
		defer bar.Finish()
	}
	rep, err := conformance.RunLoad(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "payhsm-gw load: %v\n", err)
		return exitFailed
	}
	printSummary(stdout, rep)
	if *jsonFile != "" {
		if err := writeJSON(*jsonFile, rep); err != nil {
			fmt.Fprintf(stderr, "payhsm-gw load: %v\n", err)
			return exitFailed
		}
	}
	if *htmlFile != "" {
		f, err := os.Create(*htmlFile)
		if err == nil {
			err = conformance.WriteHTML(f, rep)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "payhsm-gw load: %v\n", err)
			return exitFailed
		}
	}
	if !rep.Held {
		return exitFailed
	}
	return exitOK
}

// printSummary prints the report's figures (docs/spec/cli.md: achieved rate,
// wrong answers and errors by code, latency percentiles from the scheduled
// time and from the write, sender lag, and the verdict line).
func printSummary(w io.Writer, rep *conformance.Report) {
	fmt.Fprintf(w, "profile %s against %s: %d conns, mix %s, %.1f s measured after %.1f s warm-up\n",
		rep.Profile, rep.Target, rep.Conns, rep.Mix, rep.Duration, rep.Warmup)
	for _, s := range rep.Steps {
		fmt.Fprintf(w, "  concurrency %4d: %9.1f/s  error rate %.4f  p99 %.3f ms\n", s.Concurrency, s.AchievedRate, s.ErrorRate, s.P99)
	}
	fmt.Fprintf(w, "target %.1f/s, achieved %.1f/s, answered %.1f/s, %d measured commands, %d wrong answers%s, %d errors%s\n",
		rep.TargetRate, rep.AchievedRate, rep.AnsweredRate, rep.Completed, rep.WrongCount, byCode(rep.Wrong), rep.ErrorCount, byCode(rep.Errors))
	pct := func(l conformance.Latency) string {
		return fmt.Sprintf("p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f", l.P50, l.P90, l.P99, l.P999, l.Max)
	}
	if rep.LatencyFromWrite == nil { // the saturation search: a closed loop, no schedule
		fmt.Fprintf(w, "latency ms: %s  (from the send time)\n", pct(rep.Latency))
	} else {
		fmt.Fprintf(w, "latency ms: %s  (from the scheduled send time)\n", pct(rep.Latency))
		fmt.Fprintf(w, "from write: %s  (from the actual write)\n", pct(*rep.LatencyFromWrite))
		fmt.Fprintf(w, "sender lag: %s\n", pct(rep.SenderLag))
	}
	var verdict string
	switch {
	case rep.Held && rep.Profile == "max":
		verdict = fmt.Sprintf("max: %.1f commands/s (%s)", rep.AchievedRate, rep.Stop)
	case rep.Held:
		verdict = "held: within 1% of the target rate with no wrong answers and no errors"
	default:
		verdict = "NOT HELD: " + rep.Reason
	}
	if note := rep.RunnerBoundNote(); note != "" {
		verdict += "; " + note
	}
	fmt.Fprintln(w, verdict)
}

// byCode lists counts as " (code:count ...)" in code order, or "" for none.
func byCode(m map[string]int64) string {
	if len(m) == 0 {
		return ""
	}
	return " (" + conformance.ByCode(m) + ")"
}
