// Package pool spreads host commands over payment HSMs grouped in HA pairs,
// and keeps them safe to use (ours; the vendor publishes no such layer).
//
// Each HSM gets a few persistent TCP (or TLS) connections. Commands are
// pipelined on them with the pool's own correlation headers: the header of
// every frame sent to an HSM is a sequence number of the connection, and the
// response is matched to its command by it (payShield returns the header
// unchanged, hostcmd.md §1); the caller's own header never leaves the caller.
//
// Health has two sources and one predicate. Active probes (NC on every
// connection, then NO) run in rounds on an interval and need Passes
// consecutive successes to bring an HSM Up or Fails consecutive failures to
// take it Down. Passive signals act at once: a connection error takes the
// HSM Down, a command that times out also fails all its connections, and
// Fails error 41 or 42 answers in a row take it Down. Only HSMs in state Up
// are chosen.
//
// LMK safety: every HSM must report, in its NC answer, the pool's LMK check
// value: the one configured, or else the value of the first HSM in
// configuration order that answered in the first probe round that had an
// answer (decided after the round, never by the first probe to return). A
// connection is used only while its own NC matches (asked at connect and in
// every round). An HSM with another value is quarantined (state
// LMKMismatch), logged at error level and counted in
// payhsm_hsm_lmk_mismatch_total; it receives no command but probes.
//
// Spreading: an HSM is chosen by the least in-flight count relative to its
// licensed rate; a token bucket per HSM holds the gateway under the licence
// (times Config.LicenceShare). Commands that find no capacity wait in a
// bounded queue for at most QueueTimeout; then, or when no HSM is Up at all,
// they are answered with error 41 (hostcmd.md §1, gateway-only).
//
// Retries follow the failure point: a command never written goes to another
// HSM; a written command whose HSM failed before answering is resent
// elsewhere only if hostcmd.Lookup marks it RetrySafe; an answer, whatever
// its error code, is final. Attempts are bounded by MaxAttempts. A command
// moved off a failed HSM goes to another HSM of the same HA pair while one
// can take it, and only then to any other Up HSM (ours: a pair's standby is
// sized for its partner's load).
//
// Secrets: command and response bodies carry PIN blocks, keys under LMK and
// cryptograms; the pool never logs them, and metric labels are command codes,
// HSM names, pair names and error codes only. The LMK check value is a public
// check value; it is still compared with crypto/subtle.ConstantTimeCompare.
package pool
