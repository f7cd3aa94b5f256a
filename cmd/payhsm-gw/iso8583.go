package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/payhsm/payhsm-gw/iso8583"
)

// maxDecodeInput bounds what iso8583 decode reads from stdin (ours: twice
// the hex of the largest message the REST API takes).
const maxDecodeInput = 64 << 10

// runISO8583 is "payhsm-gw iso8583 decode": a hex message on stdin, its
// fields on stdout.
func runISO8583(_ context.Context, args []string, stdout, stderr io.Writer) int {
	return iso8583Command(args, os.Stdin, stdout, stderr)
}

func iso8583Command(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "decode" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(stdout, "Usage: payhsm-gw iso8583 decode --spec NAME [--reveal] < message.hex")
			return exitOK
		}
		fmt.Fprintln(stderr, "usage: payhsm-gw iso8583 decode --spec NAME [--spec-file FILE] [--reveal] < message.hex")
		return exitUsage
	}
	fs := flag.NewFlagSet("payhsm-gw iso8583 decode", flag.ContinueOnError)
	fs.SetOutput(stderr)
	specName := fs.String("spec", "", "message layout `NAME`: "+strings.Join(iso8583.Names(), " or "))
	specFile := fs.String("spec-file", "", "a JSON spec `FILE` instead of --spec (docs/spec/iso8583.md)")
	reveal := fs.Bool("reveal", false, "show PANs, track data, PIN data and cryptograms in full")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintln(w, "Usage: payhsm-gw iso8583 decode --spec NAME [--reveal] < message.hex")
		fmt.Fprintln(w, "\nRead one ISO 8583 message in hex from stdin (white space ignored) and print")
		fmt.Fprintln(w, "its MTI and fields, field 55 as BER-TLV. PANs show 6+4 digits, track data its")
		fmt.Fprintln(w, "masked PAN, PIN data and cryptograms stars, unless --reveal.")
		fmt.Fprintln(w, "\nFlags:")
		printFlags(w, fs)
	}
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	if code, done := checkNoArgs(fs, stderr); done {
		return code
	}
	var spec *iso8583.Spec
	switch {
	case *specName != "" && *specFile != "":
		return usageError(fs, stderr, "--spec and --spec-file exclude each other")
	case *specFile != "":
		var err error
		if spec, err = iso8583.LoadSpec(*specFile); err != nil {
			fmt.Fprintf(stderr, "payhsm-gw iso8583 decode: %v\n", err)
			return exitUsage
		}
	case *specName == "":
		return usageError(fs, stderr, "--spec is required")
	default:
		var ok bool
		if spec, ok = iso8583.Lookup(*specName); !ok {
			return usageError(fs, stderr, "unknown --spec %q (want %s)", *specName, strings.Join(iso8583.Names(), ", "))
		}
	}
	in, err := io.ReadAll(io.LimitReader(stdin, maxDecodeInput+1))
	if err != nil {
		fmt.Fprintf(stderr, "payhsm-gw iso8583 decode: reading stdin: %v\n", err)
		return exitFailed
	}
	if len(in) > maxDecodeInput {
		fmt.Fprintf(stderr, "payhsm-gw iso8583 decode: input over %d bytes\n", maxDecodeInput)
		return exitFailed
	}
	raw, err := hex.DecodeString(strings.Join(strings.Fields(string(in)), ""))
	if err != nil {
		fmt.Fprintln(stderr, "payhsm-gw iso8583 decode: stdin is not hex")
		return exitFailed
	}
	m, err := iso8583.Unpack(spec, raw)
	if err != nil {
		// The error names the field and lengths, never the data.
		fmt.Fprintf(stderr, "payhsm-gw iso8583 decode: %v\n", err)
		return exitFailed
	}
	if err := iso8583.Describe(stdout, spec, m, *reveal); err != nil {
		fmt.Fprintf(stderr, "payhsm-gw iso8583 decode: %v\n", err)
		return exitFailed
	}
	return exitOK
}
