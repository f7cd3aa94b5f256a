package main

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"
)

// endpointTests are the --target/--header-len cases of conform and load. The
// messages are the CLI contract's (docs/spec/cli.md: exit 2 for bad usage;
// docs/spec/hostcmd.md: header length 0..16); msg is the first line of stderr
// after "<command>: ", or empty when the flags are good. A non-numeric
// --header-len is refused by the flag package, whose message names the flag
// as -header-len.
var endpointTests = []struct {
	name  string
	args  []string
	msg   string
	flag  string // the flag the message must name
	parse bool   // refused by the flag package while parsing
}{
	{"one target, default header", []string{"--target", "127.0.0.1:1"}, "", "", false},
	{"target list", []string{"--target", "127.0.0.1:1,127.0.0.1:2"}, "", "", false},
	{"header-len 0", []string{"--target", "127.0.0.1:1", "--header-len", "0"}, "", "", false},
	{"header-len 16", []string{"--target", "127.0.0.1:1", "--header-len", "16"}, "", "", false},
	{"target list with spaces", []string{"--target", "127.0.0.1:1, 127.0.0.1:2"}, "", "", false},
	{"target without port", []string{"--target", "127.0.0.1"}, `--target "127.0.0.1": "127.0.0.1" is not HOST:PORT`, "--target", false},
	{"target with empty port", []string{"--target", "hsm:"}, `--target "hsm:": "hsm:" is not HOST:PORT`, "--target", false},
	{"empty element in target list", []string{"--target", "127.0.0.1:1,,127.0.0.1:2"}, `--target "127.0.0.1:1,,127.0.0.1:2": "" is not HOST:PORT`, "--target", false},
	{"trailing comma in target list", []string{"--target", "127.0.0.1:1,"}, `--target "127.0.0.1:1,": "" is not HOST:PORT`, "--target", false},
	{"no target", nil, "--target is required", "--target", false},
	{"empty target", []string{"--target", ""}, "--target is required", "--target", false},
	{"target without value", []string{"--target"}, "flag needs an argument: -target", "-target", true},
	{"header-len -1", []string{"--target", "127.0.0.1:1", "--header-len", "-1"}, "--header-len -1 outside 0..16", "--header-len", false},
	{"header-len 17", []string{"--target", "127.0.0.1:1", "--header-len", "17"}, "--header-len 17 outside 0..16", "--header-len", false},
	{"header-len non-numeric", []string{"--target", "127.0.0.1:1", "--header-len", "four"}, `invalid value "four" for flag -header-len: parse error`, "-header-len", true},
	{"target checked before header-len", []string{"--header-len", "17"}, "--target is required", "--target", false},
	{"argument checked first", []string{"--header-len", "17", "extra"}, `unexpected argument "extra"`, "extra", false},
}

func TestCheckEndpointRefusesBadTargetAndHeaderLen(t *testing.T) {
	for _, tt := range endpointTests {
		t.Run(tt.name, func(t *testing.T) {
			var errb bytes.Buffer
			fs := flag.NewFlagSet("payhsm-gw test", flag.ContinueOnError)
			fs.SetOutput(&errb)
			target := fs.String("target", "", "`ADDR`")
			headerLen := fs.Int("header-len", 4, "`N`")
			fs.Usage = func() { errb.WriteString("USAGE\n") }
			code, done := parseFlags(fs, tt.args)
			if !done {
				code, done = checkEndpoint(fs, &errb, *target, *headerLen)
			}
			if tt.msg == "" {
				if done || code != exitOK || errb.Len() != 0 {
					t.Fatalf("have code %d done %v stderr %q; want the flags accepted", code, done, errb.String())
				}
				return
			}
			if !done || code != exitUsage {
				t.Fatalf("have code %d done %v; want %d, done", code, done, exitUsage)
			}
			first, _, _ := strings.Cut(errb.String(), "\n")
			if !strings.HasSuffix(first, tt.msg) || !strings.Contains(first, tt.flag) {
				t.Errorf("have first line %q; want it to end in %q and name %s", first, tt.msg, tt.flag)
			}
			if !strings.Contains(errb.String(), "USAGE\n") {
				t.Errorf("usage not printed; stderr %q", errb.String())
			}
		})
	}
}

// TestEndpointUsageErrorsOfConformAndLoad runs the refused cases through the
// two subcommands as a user would and pins the whole message: the command's
// name, the message, a blank line and the command's usage (docs/spec/cli.md).
func TestEndpointUsageErrorsOfConformAndLoad(t *testing.T) {
	for _, cmd := range []string{"conform", "load"} {
		for _, tt := range endpointTests {
			if tt.msg == "" {
				continue
			}
			t.Run(cmd+"/"+tt.name, func(t *testing.T) {
				var out, errb bytes.Buffer
				code := run(context.Background(), append([]string{cmd}, tt.args...), &out, &errb)
				if code != exitUsage {
					t.Fatalf("have exit %d want %d; stderr %q", code, exitUsage, errb.String())
				}
				if tt.parse {
					// The flag package's own message, printed before the usage.
					if !strings.HasPrefix(errb.String(), tt.msg+"\nUsage: payhsm-gw "+cmd+" --target ADDR [flags]\n") {
						t.Errorf("have stderr %q; want %q and the usage", errb.String(), tt.msg)
					}
				} else if want := "payhsm-gw " + cmd + ": " + tt.msg + "\n\nUsage: payhsm-gw " + cmd + " --target ADDR [flags]\n"; !strings.HasPrefix(errb.String(), want) {
					t.Errorf("have stderr %q; want it to start %q", errb.String(), want)
				}
				if out.Len() != 0 {
					t.Errorf("have stdout %q; want nothing", out.String())
				}
			})
		}
	}
}

// TestSimRefusesHeaderLenOutsideRange: sim shares the --header-len check
// (docs/spec/cli.md, docs/spec/hostcmd.md: 0..16).
func TestSimRefusesHeaderLenOutsideRange(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--header-len", "-1"}, "payhsm-gw sim: --header-len -1 outside 0..16\n\nUsage: payhsm-gw sim [flags]\n"},
		{[]string{"--header-len", "17"}, "payhsm-gw sim: --header-len 17 outside 0..16\n\nUsage: payhsm-gw sim [flags]\n"},
		{[]string{"--header-len", "four"}, "invalid value \"four\" for flag -header-len: parse error\nUsage: payhsm-gw sim [flags]\n"},
		{[]string{"--header-len", "17", "extra"}, "payhsm-gw sim: unexpected argument \"extra\"\n\nUsage: payhsm-gw sim [flags]\n"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		if code := run(context.Background(), append([]string{"sim"}, tt.args...), &out, &errb); code != exitUsage {
			t.Errorf("%q: have exit %d want %d", tt.args, code, exitUsage)
		}
		if !strings.HasPrefix(errb.String(), tt.want) {
			t.Errorf("%q: have stderr %q; want it to start %q", tt.args, errb.String(), tt.want)
		}
	}
}
