package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// parseFlags parses args into fs. When done is true the subcommand returns
// code at once: exitOK after --help, exitUsage after a bad flag (fs has
// already said why).
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, true
		}
		return exitUsage, true
	}
	return exitOK, false
}

// usageError prints "<fs name>: <message>" and the usage of fs to stderr and
// returns exitUsage.
func usageError(fs *flag.FlagSet, stderr io.Writer, format string, a ...any) int {
	fmt.Fprintf(stderr, fs.Name()+": "+format+"\n\n", a...)
	fs.Usage()
	return exitUsage
}

// checkNoArgs prints the usage error of a positional argument left after the
// flags and returns exitUsage with done true: sim, conform and load take none
// (ours: docs/spec/cli.md gives them flags only). Otherwise done is false.
func checkNoArgs(fs *flag.FlagSet, stderr io.Writer) (code int, done bool) {
	if fs.NArg() > 0 {
		return usageError(fs, stderr, "unexpected argument %q", fs.Arg(0)), true
	}
	return exitOK, false
}

// checkHeaderLen prints the usage error of a --header-len outside
// 0..hostcmd.MaxHeaderLen (docs/spec/hostcmd.md) and returns exitUsage with
// done true. Otherwise done is false.
func checkHeaderLen(fs *flag.FlagSet, stderr io.Writer, headerLen int) (code int, done bool) {
	if headerLen < 0 || headerLen > hostcmd.MaxHeaderLen {
		return usageError(fs, stderr, "--header-len %d outside 0..%d", headerLen, hostcmd.MaxHeaderLen), true
	}
	return exitOK, false
}

// endpointFlags returns the flag set of subcommand name (errors to stderr)
// with the two flags conform and load share: --target, whose usage ends with
// what it takes (the ADDR forms), and --header-len.
func endpointFlags(name, takes string, stderr io.Writer) (fs *flag.FlagSet, target *string, headerLen *int) {
	fs = flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	target = fs.String("target", "", "HSM or gateway `ADDR` ("+takes+")")
	headerLen = fs.Int("header-len", 4, "message header length `N` of the target (0..16)")
	return fs, target, headerLen
}

// setUsage makes fs's usage print "Usage: " and synopsis, a blank line, the
// lines of about, and the flags.
func setUsage(fs *flag.FlagSet, synopsis string, about ...string) {
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintln(w, "Usage: "+synopsis)
		fmt.Fprintln(w)
		for _, l := range about {
			fmt.Fprintln(w, l)
		}
		fmt.Fprintln(w, "\nFlags:")
		printFlags(w, fs)
	}
}

// parseEndpoint parses args into fs (parseFlags) and then checks the
// endpoint flags of endpointFlags (checkEndpoint): conform's and load's
// first step. When done is true the subcommand returns code at once.
func parseEndpoint(fs *flag.FlagSet, args []string, stderr io.Writer, target *string, headerLen *int) (code int, done bool) {
	if code, done := parseFlags(fs, args); done {
		return code, done
	}
	return checkEndpoint(fs, stderr, *target, *headerLen)
}

// checkEndpoint checks what conform and load share after their flags are
// parsed: no positional argument, a --target (required by docs/spec/cli.md; a
// comma-separated list for load, whose addresses are checked when dialled) and
// a --header-len in range, in that order. On the first failure it prints the
// usage error and returns exitUsage with done true; otherwise done is false.
func checkEndpoint(fs *flag.FlagSet, stderr io.Writer, target string, headerLen int) (code int, done bool) {
	if code, done := checkNoArgs(fs, stderr); done {
		return code, done
	}
	if target == "" {
		return usageError(fs, stderr, "--target is required"), true
	}
	for _, a := range strings.Split(target, ",") {
		if _, port, err := net.SplitHostPort(strings.TrimSpace(a)); err != nil || port == "" {
			return usageError(fs, stderr, "--target %q: %q is not HOST:PORT", target, a), true
		}
	}
	return checkHeaderLen(fs, stderr, headerLen)
}

// printFlags prints the flags of fs in the --name form of the CLI contract
// (docs/spec/cli.md), with their defaults.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "  --%s %s\n    \t%s", f.Name, name, usage)
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "0s" {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}
