// Package gateway is the host-command front of payhsm-gw: a TCP (optionally
// TLS) listener for switches that relays payShield-style host commands
// (hostcmd.md §1) to a pool of HSMs.
//
// A frame is relayed after reading only its length, header and command
// code; it is never parsed further here. Each client connection is
// pipelined: commands may be written without waiting, and answers come back
// in request order with the client's own header (ours, hostcmd.md §1).
// Commands outside policy (the clear-PIN commands NG and BA unless allowed,
// explicitly denied ones, and codes the command table does not know unless
// allowed) are answered with error 68 and never reach an HSM. A framing
// error stops reading on that connection: what was read is answered, then it
// is closed.
//
// Speed: all frames from one read of a client go to the pool as one batch
// (pool.Submit), which writes them to one HSM connection; the answers that
// one read from an HSM completes go back to each client in one write. On
// Linux clients are read with recvmsg and TCP_INQ (tcp(7)), which says when
// a read has emptied the socket, so that no read comes back empty: one
// system call fewer per command for a client that waits for each answer.
//
// Audit (ours): with Config.Audit set, every command read gets one audit
// record when it is answered — start time, client address, command code,
// the HSM that answered (none when refused by policy or answered 41 by the
// pool), error code and latency. No field is parsed, so no record holds a
// PAN. Without an audit log the hot path pays one nil check per command.
//
// Secrets: frames carry PIN blocks, keys under LMK and cryptograms. The
// gateway never logs a frame or a field, and its metric labels are command
// codes from the command table only. It compares no secret values.
package gateway
