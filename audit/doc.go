// Package audit writes the gateway's audit trail: one JSON object per line,
// appended to a file opened with O_APPEND, for every host command and every
// REST operation — who asked (request id, client, remote address), what ran
// (operation, command, HSM), how it ended (HSM result code, HTTP status) and
// how long it took (ours: the record layout is this package's contract).
//
// Secrets: a Record has no field that can hold a PIN block, a key, a CVV or a
// cryptogram, and the only cardholder datum it carries, the PAN, is masked to
// its first six and last four digits (PCI DSS 3.4) by Log.Write whatever the
// caller put in it. Nothing in this package compares secrets.
//
// Durability: each line is one write(2) on an O_APPEND descriptor, so lines
// from concurrent writers (and from other processes appending to the same
// file) never interleave; lines are not fsynced one by one (Close syncs). A
// write error is logged and counted, never returned to the operation being
// audited: losing the disk must not stop payments, and the counter
// (payhsm_audit_write_errors_total) is what alerts on it.
package audit
