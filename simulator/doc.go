// Package simulator is a payShield-compatible software payment HSM: a TCP
// server answering the host commands of the payhsm-gw host-command contract
// (docs/spec/hostcmd.md) with real cryptography under a variant LMK (the
// public Thales test LMK by default).
//
// # Server
//
// Start listens and serves: thousands of concurrent connections, pipelined
// requests answered in request order on each connection (one write per read
// batch), a licence throttle that behaves like a payment HSM's licensed
// throughput (Config.CPS: commands over the licence wait in a queue shared
// by all connections, they are not refused), added service time
// (Config.Latency), graceful Shutdown (stop accepting, answer what was read,
// close) and Close. Fault injection for tests is an exported API on the
// server: DropConnections, SetBlackhole, SetForcedError, SetLatency; Stats
// reports counters. A framing error (hostcmd.ErrFrameTooLarge,
// hostcmd.ErrFrameTooShort) closes the connection; a malformed field is
// answered with its error code and the connection stays open.
//
// # Engine
//
// HSM is the command engine without the network (NewHSM, Execute): request
// body in, response body out. It calls the crypto packages (keys, pin, card,
// emv, mac) and keeps no crypto of its own.
//
// # Secrets
//
// Clear keys, clear PINs, full PANs, CVVs and cryptograms are secret: none
// appears in a log line (at any level), an error or Stats. The log carries
// the listen address, connection ids and remote addresses, command codes and
// error codes. Decrypted keys are cached (bounded, keyed by the key under the
// LMK) only as cipher schedules in memory. Verification results (PVV, IBM
// offset, CVV, ARQC, MAC) are compared in constant time by the crypto
// packages or with crypto/subtle.ConstantTimeCompare here.
package simulator
