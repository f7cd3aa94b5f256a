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
// Durability and batching (ours): a Log from Open batches. Write encodes
// the line and appends it to an in-memory buffer; one writer goroutine
// writes what has gathered, in one write(2) on the O_APPEND descriptor, at
// most Options.FlushInterval (default 10 ms) after the first line of the
// batch, or at once when half the buffer (default 1 MiB) is used. Batches
// are whole lines, so lines from other processes appending to the same file
// never interleave with ours. The cost: a record Write has returned for
// (the command already answered) may be lost if the process dies within
// the flush interval, and lines are not fsynced one by one (Close writes
// what is buffered and syncs; an operating-system crash may lose what was
// written since the last sync). When the buffer is full, Write applies
// backpressure: it waits up to Options.MaxBlock (default 100 ms) for the
// writer to make room, then drops the record and counts it
// (payhsm_audit_dropped_total, and as a write error), so a stuck disk slows
// the front but never stalls the goroutine that reads HSM answers for
// long. A Log from New writes each record through within Write, unless
// Options.FlushInterval asks for batching.
//
// A write error is logged and counted, never returned to the operation being
// audited: losing the disk must not stop payments, and the counter
// (payhsm_audit_write_errors_total) is what alerts on it.
package audit
