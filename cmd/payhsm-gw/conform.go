package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/payhsm/payhsm-gw/conformance"
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/keys"
)

// runConform is the entry point of 'payhsm-gw conform': the known-answer
// conformance suite against an endpoint (docs/spec/cli.md). It prints one line
// per case and the closing line "N passed, N failed", and exits 1 when a case
// failed or the target could not be reached.
func runConform(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, target, headerLen := endpointFlags("payhsm-gw conform", "required", stderr)
	jsonFile := fs.String("json", "", "write machine-readable results to `FILE`")
	clearPIN := fs.String("clear-pin", "run", "clear-PIN cases (BA, NG) `POLICY`: run (an HSM), refused (a gateway: expect 68) or skip")
	seed := fs.Uint64("seed", conformance.DefaultSeed, "`SEED` of the generated cases")
	lmkFlag := fs.String("lmk", "auto", "the target's LMK `auto|test|keyblock-test|keyblock-test-tdes|FILE` (as for sim --lmk): generated cases are wrapped under it and a key-block LMK selects the key-block suite; auto picks the built-in test LMK whose check value the target's NC reports (else test); with a FILE of a variant LMK the public vectors (under the test LMK) are left out")
	only := fs.String("only", "", "run only the cases of these command `CODES` (comma-separated, e.g. CA,JG)")
	skip := fs.String("skip", "", "leave out the cases of these command `CODES` (comma-separated), e.g. those the target lacks")
	conns := fs.Int("conns", 1, "`N` connections to the target; cases are spread over them")
	setUsage(fs, "payhsm-gw conform --target ADDR [flags]",
		"Run the known-answer conformance suite (public vectors and cases generated",
		"under the public test LMK) against an HSM or gateway. Prints one line per case",
		"and 'N passed, N failed'; exits 1 if any case failed.",
	)
	if code, done := parseEndpoint(fs, args, stderr, target, headerLen); done {
		return code
	}
	usageErr := func(format string, a ...any) int { return usageError(fs, stderr, format, a...) }
	policy, err := conformance.ParseClearPINPolicy(*clearPIN)
	if err != nil {
		return usageErr("--clear-pin: %v", err)
	}
	if *conns < 1 || *conns > 64 {
		return usageErr("--conns: want 1..64")
	}
	var lmk keys.AnyLMK
	if *lmkFlag != "auto" {
		if lmk, err = loadAnyLMK(*lmkFlag); err != nil {
			return usageErr("--lmk: %v", err)
		}
	}
	onlyCodes, skipCodes := codeList(*only), codeList(*skip)
	// --only and --skip are checked before any connection is made, on the
	// suite of the LMK given (the variant one for auto).
	pre, err := conformance.New(conformance.Options{Seed: *seed, ClearPIN: policy, LMK: lmk.Variant, KeyBlockLMK: lmk.KeyBlock})
	if err != nil {
		fmt.Fprintf(stderr, "payhsm-gw conform: %v\n", err)
		return exitFailed
	}
	if err := pre.Select(onlyCodes, skipCodes); err != nil {
		return usageErr("--only/--skip: %v", err)
	}
	// Each connection is redialled after a failed case, so that a target
	// that drops or resets a connection fails that case alone.
	dial := func(ctx context.Context) (conformance.RoundTripCloser, error) {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return hostcmd.Dial(dctx, *target, hostcmd.ClientOptions{HeaderLen: *headerLen})
	}
	rts := make([]conformance.RoundTripper, *conns)
	for i := range rts {
		rd := &conformance.Redialer{Dial: dial}
		defer rd.Close()
		if err := rd.Connect(ctx); err != nil {
			fmt.Fprintf(stderr, "payhsm-gw conform: connecting to the target: %v\n", err)
			return exitFailed
		}
		rts[i] = rd
	}
	suite := pre
	if *lmkFlag == "auto" {
		if lmk = detectLMK(ctx, rts[0]); lmk.KeyBlock != nil {
			fmt.Fprintf(stderr, "payhsm-gw conform: the target reports the check value of the test key-block LMK (%s): running the key-block suite\n", lmkName(lmk.KeyBlock))
			if suite, err = conformance.New(conformance.Options{Seed: *seed, ClearPIN: policy, KeyBlockLMK: lmk.KeyBlock}); err != nil {
				fmt.Fprintf(stderr, "payhsm-gw conform: %v\n", err)
				return exitFailed
			}
			if err := suite.Select(onlyCodes, skipCodes); err != nil {
				return usageErr("--only/--skip: %v", err)
			}
		}
	}

	rs := suite.RunOn(ctx, rts)
	for _, r := range rs.Cases {
		switch r.Status {
		case conformance.Pass:
			fmt.Fprintf(stdout, "PASS %s\n", r.Name)
		case conformance.Fail:
			fmt.Fprintf(stdout, "FAIL %s: %s\n", r.Name, r.Detail)
		default:
			fmt.Fprintf(stdout, "SKIP %s: %s\n", r.Name, r.Detail)
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", rs.Passed, rs.Failed)
	if *jsonFile != "" {
		if err := writeJSON(*jsonFile, rs); err != nil {
			fmt.Fprintf(stderr, "payhsm-gw conform: %v\n", err)
			return exitFailed
		}
	}
	if rs.Failed > 0 {
		return exitFailed
	}
	return exitOK
}

// detectLMK asks the target for its LMK check value (NC) and returns the
// built-in test LMK that has it: a key-block one selects the key-block
// suite. Any other answer gives the variant test LMK, whose cases then
// fail against a target under another LMK, as they should.
func detectLMK(ctx context.Context, rt conformance.RoundTripper) keys.AnyLMK {
	test := keys.AnyLMK{Variant: keys.TestLMK()}
	nctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := rt.RoundTrip(nctx, []byte("NC"))
	if err != nil || len(resp) < 4+16 || string(resp[:4]) != "ND00" {
		return test
	}
	cv := string(resp[4:20])
	for _, l := range []*keys.KeyBlockLMK{keys.TestAESKeyBlockLMK(), keys.TestTDESKeyBlockLMK()} {
		c := l.CheckValue()
		if strings.EqualFold(cv, hex.EncodeToString(c[:])) {
			return keys.AnyLMK{KeyBlock: l}
		}
	}
	return test
}

// lmkName names a key-block LMK by its kind, for messages.
func lmkName(l *keys.KeyBlockLMK) string {
	if l.Algorithm() == 'A' {
		return "AES"
	}
	return "Triple DES"
}

// writeJSON writes v as indented JSON to the file name.
func writeJSON(name string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(name, append(b, '\n'), 0o644)
}

// codeList splits a comma-separated list of command codes.
func codeList(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.ToUpper(strings.TrimSpace(c)); c != "" {
			out = append(out, c)
		}
	}
	return out
}
