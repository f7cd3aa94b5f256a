// Package conformance answers two questions about an endpoint that speaks the
// payShield-style host-command contract (docs/spec/hostcmd.md): does it answer
// every command correctly, and does it hold a throughput profile.
//
// Suite is the known-answer suite: the public vectors of testdata/hostcmd.json
// (each with its source) and cases generated from a seed, whose answers the
// suite computes itself from clear keys it wraps under the public test LMK
// with packages keys, pin, card, emv and mac. Valid commands, verification
// failures (01) and error cases (10, 11, 13, 14, 15, 20, 23, 68 ...) are
// checked to the byte where the answer is determined, and structurally plus by
// round trip where the contract leaves the format to the implementation (the
// PIN under the LMK of JE, BA; the key under the LMK of A0).
//
// Cases that send or receive a clear PIN (BA, NG) are marked ClearPIN. A gateway
// refuses them with 68 by policy (ours, hostcmd.md §4), so Options.ClearPIN
// chooses whether they run, are expected to be refused, or are skipped.
//
// Run drives the load profiles of the contract (60, 250, 1000, 2500 commands/s
// open loop, and a saturation search) with latency measured from each command's
// scheduled send time into an HDR histogram, and reports it as JSON and HTML.
//
// Secrets: the suite's clear keys, PINs and PANs are test values under the
// public test LMK, but by the project's rule they still never appear in a
// failure line: a failure shows the response code, error code and lengths only.
// Answers (which hold PIN blocks, MACs, CVVs, ARPCs and check values) are
// compared with the expected ones with crypto/subtle.ConstantTimeCompare,
// though they are test values under the public test LMK.
package conformance
