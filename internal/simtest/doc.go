// Package simtest is a test harness for this module's own tests, not API:
// it starts simulated HSMs for one test, relays to them through a spy that
// records what they received, reads metrics from a registry and waits for a
// condition (ours). Only the module's tests import it. It imports the
// standard library, the module's lower packages (keys, hostcmd, simulator)
// and the Prometheus client whose registries pool and gateway fill; never
// pool or gateway themselves.
//
// Secrets: the harness runs under the public Thales test LMK or under
// OtherLMK, a fixed key derived in the open; the spy records command codes
// and arrival times only, never bodies. Nothing here compares a secret, so
// nothing here needs constant-time comparison.
package simtest
