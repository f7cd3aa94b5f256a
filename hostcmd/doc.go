// Package hostcmd is the codec for payShield-style ("Racal") host commands:
// framing, the command table, typed requests and responses, a pipelining
// client and a server-side helper. It implements the payhsm-gw host-command
// contract (docs/spec/hostcmd.md), which follows the public Thales payShield
// host-command conventions (notation nA/nN/nH/nB, key scheme tags, response
// code = command code with its second character + 1, 2-character error
// codes) and marks with "(ours)" what the public record leaves open.
//
// # Framing
//
// A frame on TCP is LEN (2 bytes, big-endian) + HEADER (m bytes, m = 0..16,
// returned unchanged) + CODE (2) + fields [+ "%" LMK id 2N] [+ 0x19 trailer
// of up to 32 characters]. LEN counts everything after itself and is limited
// to 32 KiB (MaxFrameLen); a larger LEN, or one shorter than m+2, is a
// framing error, reported before any body byte is read, after which the
// connection is closed. Reader reads frames into its own buffer without
// allocating; SplitFrame cuts frames out of a caller's buffer; AppendFrame
// encodes one. KQ and KW carry raw bytes, so nothing in this package
// searches a request for ';', '%' or 0x19: fields are read by their declared
// lengths and the LMK identifier and trailer are looked for only after the
// last field.
//
// # Commands
//
// The command table (Lookup, Commands) declares every command of the
// contract once, as data: codes, name, whether a retry is safe, whether it
// carries a clear PIN (BA, NG), whether it is binary (KQ, KW), and its
// request and response fields with type, length, secrecy and the error code
// a bad value yields. The typed parsers read their fields through that
// table. ParseRequest turns a body into *CA, *KQ, ... or an *Error naming
// the field; every typed request and response has AppendBody, and parse
// followed by AppendBody reproduces the input byte for byte (hex upper-cased).
//
// Decisions of ours, where the contract or the public record is silent:
// X/Y key schemes are accepted only for a key under a ZMK (A0's export
// scheme, A1's exported key), never in a key field under the LMK; BU's ";keyType" block is present
// exactly when the key type code is FF; KW option B's PAN length counts
// digits of PAN+PSN; the M6/M8 message length counts bytes of the decoded
// message (hostcmd.md) and bad M6/M8 flags answer 15; an error response
// carries no fields, including KR/KX 01; DA/EA check length outside 04..12
// answers 15 and a non-decimal decimalisation table 25; a retry is safe for
// every command but BA and NG (A0 included: a lost answer's key was never
// delivered).
//
// # Client
//
// Client pipelines requests from many goroutines on one connection, tags
// each with a generated header and matches answers by it (by order when the
// header length is 0); one writer goroutine (WriteLoop) coalesces queued
// frames into one write. Window, the bookkeeping of the commands in flight
// (numbers, headers, matching, the oldest, what is left on failure), and
// WriteLoop are shared with the gateway's HSM pool. After a
// failed write the reader drains answers already sent for WriteFailDrain.
// The server side (reading frames with Reader and answering in order) is the
// simulator's and the gateway front's.
//
// # Errors
//
// An HSM answer with an error code, or a request field that fails
// validation, is an *Error{Cmd, Code, Field}, reached with errors.As. A
// broken stream is ErrFrameTooLarge, ErrFrameTooShort, an I/O error, or a
// *ProtocolError (also used for a response that breaks the contract); the
// connection is then closed. Error messages name the command and field,
// never a value, and never carry a frame.
//
// # Secrets
//
// Secret fields, as marked in the table: clear PINs (BA, NH), PIN blocks,
// PINs under the LMK, account numbers and PANs, PAN/PSN, CVVs, PVVs, IBM
// offsets, decimalisation tables and validation data, ARQCs and ARPCs, MACs
// and MAC input, NG reference numbers, and keys (even under the LMK). In the
// typed structs they are redact.String, SecretBytes or KeyField, which print,
// log and marshal as a placeholder. This package compares no secret values:
// verification (with crypto/subtle) belongs to the HSM side.
package hostcmd
