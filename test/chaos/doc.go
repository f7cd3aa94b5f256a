// Package chaos is the reliability and bad-input suite of payhsm-gw (issue 8, ours): it builds
// the real binary, starts real `payhsm-gw sim` processes and a real `payhsm-gw serve` on
// loopback, and drives them through HSM failures, overload, shutdown and hostile input while a
// small open-loop load driver checks that nothing is lost. TestReplicasOnEtcd adds a real etcd
// process (Debian's etcd-server, installed by scripts/chaos when missing; skipped without it)
// and two `serve` replicas sharing it: licence shares, a killed replica, a killed etcd.
//
// The tests are behind the build tag "chaos" because they start processes, send signals and
// open thousands of sockets:
//
//	scripts/chaos --short   # about a minute: 500-1000 commands/s, 1,000 idle connections
//	scripts/chaos           # the full run: 2500 commands/s, 10,000 idle connections
//
// Every event is appended as one JSON line to the results file (CHAOS_RESULTS, default
// chaos-results.jsonl in the system temporary directory); docs/reliability.md quotes a full run.
//
// No secret is handled here: the commands are public test vectors under the public test LMK,
// and no comparison in this package is security-relevant, so none is constant time.
package chaos
