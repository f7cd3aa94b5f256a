// Command payhsm-gw is the payment HSM command gateway: one binary with the
// gateway itself (serve), a simulated payment HSM (sim), the conformance suite
// (conform) and the throughput profile runner (load). The command-line
// contract is docs/spec/cli.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses, per docs/spec/cli.md.
const (
	exitOK     = 0 // success
	exitFailed = 1 // the work failed (e.g. a conformance case failed)
	exitUsage  = 2 // bad usage or configuration
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand: its name, a one-line summary and its entry
// point, which parses its own flags and returns an exit status.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "run the gateway: host-command front, REST API, metrics", runServe},
		{"sim", "run a simulated payment HSM", runSim},
		{"conform", "run the known-answer conformance suite against an endpoint", runConform},
		{"load", "drive a throughput profile against an endpoint and report it", runLoad},
		{"iso8583", "decode an ISO 8583 message (iso8583 decode --spec NAME < hex)", runISO8583},
		{"version", "print the version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches to a subcommand and returns the process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "payhsm-gw: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: payhsm-gw <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'payhsm-gw <command> --help' for a command's flags.")
}

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "usage: payhsm-gw version")
		return exitUsage
	}
	fmt.Fprintf(stdout, "payhsm-gw %s\n", version)
	return exitOK
}
