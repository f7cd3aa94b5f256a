package conformance

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// RoundTripper sends one request body (from the command code on, no header)
// and returns the response body. *hostcmd.Client implements it.
type RoundTripper interface {
	RoundTrip(ctx context.Context, body []byte) ([]byte, error)
}

// Case is one known-answer case: a request and a checker of its answer.
type Case struct {
	// Name says what the case checks; unique within a suite.
	Name string `json:"name"`
	// Command is the two-character command code.
	Command string `json:"command"`
	// Source names where the expected answer comes from: a public vector's
	// source, or "generated" for answers the suite computed itself.
	Source string `json:"source"`
	// ClearPIN marks a case whose request or answer carries a clear PIN (BA,
	// NG). See ClearPINPolicy.
	ClearPIN bool `json:"clearPIN,omitempty"`
	// Request is the request body, from the command code on.
	Request []byte `json:"-"`
	// Check judges the response body. It may send follow-up commands on rt
	// (a round trip, JE then JG). Its error never carries a secret value.
	Check func(ctx context.Context, rt RoundTripper, resp []byte) error `json:"-"`
}

// ClearPINPolicy says how a suite treats ClearPIN cases (ours).
type ClearPINPolicy int

const (
	// ClearPINRun runs them like any other case: the target is an HSM or
	// simulator that answers BA and NG.
	ClearPINRun ClearPINPolicy = iota
	// ClearPINRefused expects each to be answered with error 68: the target
	// is a gateway that refuses clear-PIN commands by policy.
	ClearPINRefused
	// ClearPINSkip does not send them.
	ClearPINSkip
)

// ParseClearPINPolicy parses "run", "refused" or "skip".
func ParseClearPINPolicy(s string) (ClearPINPolicy, error) {
	switch s {
	case "run":
		return ClearPINRun, nil
	case "refused":
		return ClearPINRefused, nil
	case "skip":
		return ClearPINSkip, nil
	}
	return 0, errors.New("conformance: clear-PIN policy must be run, refused or skip")
}

// Suite is an ordered list of known-answer cases.
type Suite struct {
	Cases    []Case
	ClearPIN ClearPINPolicy
	// Timeout bounds each case (default 5s).
	Timeout time.Duration
}

// Status is the outcome of one case.
type Status string

// Case outcomes.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is the outcome of one case. Detail is safe to print: codes and
// lengths, never a PIN, key or full PAN.
type Result struct {
	Name    string `json:"name"`
	Command string `json:"command"`
	Source  string `json:"source"`
	Status  Status `json:"status"`
	Detail  string `json:"detail,omitempty"`
	Micros  int64  `json:"micros"`
}

// Results is the outcome of a suite run.
type Results struct {
	Passed  int      `json:"passed"`
	Failed  int      `json:"failed"`
	Skipped int      `json:"skipped"`
	Cases   []Result `json:"cases"`
}

// Run runs every case in order on rt and returns the results. It stops early
// only when ctx ends; the cases not run are then failed with the context's
// error.
func (s *Suite) Run(ctx context.Context, rt RoundTripper) Results {
	return s.RunOn(ctx, []RoundTripper{rt})
}

// RunOn runs the cases over several round trippers (connections) at once:
// worker i takes the cases i, i+n, i+2n, ... in order. The results are in
// case order whatever the interleaving.
func (s *Suite) RunOn(ctx context.Context, rts []RoundTripper) Results {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	results := make([]Result, len(s.Cases))
	var wg sync.WaitGroup
	for w, rt := range rts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(s.Cases); i += len(rts) {
				results[i] = s.runOne(ctx, rt, &s.Cases[i], timeout)
			}
		}()
	}
	wg.Wait()
	var rs Results
	for _, r := range results {
		switch r.Status {
		case Pass:
			rs.Passed++
		case Fail:
			rs.Failed++
		case Skip:
			rs.Skipped++
		}
		rs.Cases = append(rs.Cases, r)
	}
	return rs
}

// runOne runs case c on rt.
func (s *Suite) runOne(ctx context.Context, rt RoundTripper, c *Case, timeout time.Duration) Result {
	r := Result{Name: c.Name, Command: c.Command, Source: c.Source}
	if c.ClearPIN && s.ClearPIN == ClearPINSkip {
		r.Status, r.Detail = Skip, "clear-PIN command skipped by policy"
		return r
	}
	start := time.Now()
	err := s.runCase(ctx, rt, c, timeout)
	r.Micros = time.Since(start).Microseconds()
	if err != nil {
		r.Status, r.Detail = Fail, err.Error()
	} else {
		r.Status = Pass
	}
	return r
}

func (s *Suite) runCase(ctx context.Context, rt RoundTripper, c *Case, timeout time.Duration) error {
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := rt.RoundTrip(cctx, c.Request)
	if err != nil {
		return fmt.Errorf("no answer: %w", err)
	}
	if c.ClearPIN && s.ClearPIN == ClearPINRefused {
		return expectError(c.Command, hostcmd.CommandDisabled)(cctx, rt, resp)
	}
	return c.Check(cctx, rt, resp)
}

// head returns the response and error codes of a response body (its first
// four characters), which are never secret, or a description of a short one.
func head(resp []byte) string {
	if len(resp) < 4 {
		return fmt.Sprintf("%d-byte answer", len(resp))
	}
	h := resp[:4]
	for _, b := range h {
		if b < 0x20 || b > 0x7e {
			return fmt.Sprintf("non-text answer head (%d bytes)", len(resp))
		}
	}
	return string(h)
}

// mismatch describes a wrong answer without its values: codes and lengths.
func mismatch(have, want []byte) error {
	if head(have) == head(want) && len(have) == len(want) {
		return fmt.Errorf("have %s (%d bytes) want %s (%d bytes): field values differ", head(have), len(have), head(want), len(want))
	}
	return fmt.Errorf("have %s (%d bytes) want %s (%d bytes)", head(have), len(have), head(want), len(want))
}

// equal compares an answer with the expected one in constant time (answers
// hold PIN blocks, MACs, CVVs, ARPCs and check values).
func equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// expectExact checks the answer byte for byte.
func expectExact(want []byte) func(context.Context, RoundTripper, []byte) error {
	return func(_ context.Context, _ RoundTripper, resp []byte) error {
		if !equal(resp, want) {
			return mismatch(resp, want)
		}
		return nil
	}
}

// expectError checks an error answer: the response code of cmd and the error
// code, and no further fields (hostcmd.md §1).
func expectError(cmd string, code hostcmd.Code) func(context.Context, RoundTripper, []byte) error {
	rc := hostcmd.ResponseCode([2]byte{cmd[0], cmd[1]})
	return expectExact(append(rc[:], code...))
}
