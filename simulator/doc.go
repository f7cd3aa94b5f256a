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
// body in, response body out. It parses requests and builds responses with
// hostcmd's typed commands (one command table for the whole project) and
// calls the crypto packages (keys, pin, card, emv, mac) for every
// cryptographic operation. Two small pieces are its own because no crypto
// package offers them: the A0 export under a ZMK (keys wraps under the LMK
// only; the same variant method over internal/tdes) and the NG reference
// number (over keys.LMK.Pair).
//
// # Decisions of our own
//
// Where the contract or the public record leaves a choice, the simulator
// decides (ours):
//   - Throttle: commands are admitted one after another at least 1/CPS
//     apart, first come first served across connections, on an exact
//     schedule (no burst); Latency is added after admission and commands are
//     serviced in parallel, so latency does not lower throughput.
//   - Shutdown answers every command whose whole frame the server has read;
//     bytes still in the kernel's socket buffer are not read.
//   - SetForcedError answers RCODE + code with no trailer; the black hole
//     discards the commands it reads and the answers not yet written.
//   - NC reports the LMK check value of keys.LMK.CheckValue (pair 00-01
//     encrypting zeros) and firmware 0007-E000; NO reports a 32K buffer,
//     TCP, 64 sockets.
//   - A key's parity error is 10 when it is the first key of the command and
//     11 when it is the second (hostcmd.md §3), so JG's ZPK, its only key,
//     gives 10.
//   - A0 mode 1 exports under the ZMK (or TMK) with the payShield variant
//     method (hsm-protocol.md §3.1); the scheme under the ZMK must fit the
//     key's length, else 26.
//   - CA, CC, DA and EA answer 24 when the PIN is longer than the request's
//     maximum PIN length.
//   - NG's reference number is the 12 account digits and FFFF, Triple-DES
//     encrypted under LMK pair 18-19 and Visa-decimalised to 12 digits.
//   - KW option B carries PAN ‖ PSN in BCD with a leading zero nibble when
//     the digit count is odd; the PSN is the last two digits.
//   - M6/M8 algorithm 3 needs a double-length key (27 otherwise); no
//     padding with a message that is not a block multiple is 80.
//   - A body shorter than a command code is answered "ZZ15"; a request that
//     does not parse echoes its trailer when it is a text command (the
//     trailer then starts at the first 0x19).
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
