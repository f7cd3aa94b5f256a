// Package hostcmd is the codec for payShield-style ("Racal") host commands as
// fixed by the payhsm-gw host-command contract (docs/spec/hostcmd.md), which
// follows the public Thales payShield host-command conventions.
//
// # Framing
//
// A frame on TCP is LEN(2 bytes, big-endian) + HEADER(m bytes, m = 0..16,
// returned unchanged) + CODE(2) + fields [+ "%" LMK id 2N] [+ 0x19 trailer].
// LEN counts everything after itself and is limited to 32 KiB (MaxFrameLen);
// a larger or too short LEN is a framing error after which the connection is
// closed. Reader reads frames into its own buffer without allocating;
// SplitFrame cuts frames out of a caller's buffer; AppendFrame encodes one.
// Frames may carry binary fields (KQ, KW), so nothing in this package searches
// a frame for ';' or 0x19: fields are parsed by their declared lengths.
//
// # Errors
//
// An HSM answer with an error code is an *Error{Cmd, Code, Field} reached with
// errors.As. A broken stream is ErrFrameTooLarge, ErrFrameTooShort, an I/O
// error, or a *ProtocolError; the connection is then closed.
//
// # Secrets
//
// Error messages name the command and the field, never a value or a frame.
package hostcmd
