// Package pin implements PIN blocks and PIN verification for payment HSM
// work:
//
//   - ISO 9564-1:2017 PIN block formats 0, 1, 2, 3 and 4 (format 4: AES,
//     16-byte block, two-step encipherment) and the IBM 3624 format (PIN
//     padded with F, no account): encoding, decoding with every validity
//     rule, encipherment and translation between formats (EncodeBlock,
//     DecodeBlock, EncryptBlock, DecryptBlock, Translate), and format 4 one
//     step at a time (ISO4PINField, ISO4PANField, EncipherISO4,
//     DecipherISO4, DecodeISO4PINField);
//   - the Visa PIN verification value (PVV, VerifyPVV);
//   - the IBM 3624 natural PIN and offset method (NaturalPIN, Offset,
//     VerifyOffset) with a decimalisation table, and the payShield
//     conventions around it (ExpandValidationData, PadOffset, UnpadOffset).
//
// A PIN has 4 to 12 decimal digits; a longer or shorter one is refused,
// never truncated. Blocks are raw bytes (hex coding is the caller's);
// formats 0 and 3, the PVV and the payShield validation data are bound to
// the 12-digit account field (the 12 right-most PAN digits excluding the
// check digit, see AccountFromPAN); format 4 to the full PAN. Random fill
// comes from an io.Reader (nil means crypto/rand).
//
// # Secrets
//
// Clear PINs, PVVs, natural PINs and clear PIN blocks are secret. A PIN is
// held in the PIN type, which prints, logs and marshals as "[REDACTED]";
// internal copies of clear digits and blocks are cleared after use (best
// effort). Error messages name the field and never carry a PIN, PAN,
// account number, offset or block.
//
// # Constant time
//
// PIN.Equal, VerifyPVV and VerifyOffset compare with
// crypto/subtle.ConstantTimeCompare. Decoding a PIN block branches on its
// content, as every ISO 9564-1 decoder must to check it; lengths are not
// treated as secret.
//
// # Errors
//
// Every error wraps one of the sentinels; the HSM error code each maps to
// (payShield numbering, docs/spec/hostcmd.md §2) is:
//
//	ErrInvalidBlock  20  block does not decode (wrong length, control, fill, digits)
//	ErrPINLength     24  PIN, or the length a block declares, outside 4..12
//	ErrFormat        23  unsupported format name, code or value
//	ErrPINDigits     20  inside a block (wrapped with ErrInvalidBlock); 15 for ParsePIN
//	ErrAccount       22  (or 15) malformed account number or PAN
//	ErrDecTable      25  (or 15) malformed or weak decimalisation table
//	ErrKey           27  cipher block size does not fit the format (ours)
//	ErrInvalidInput  15  other malformed argument (PVKI, PVV, offset, check length, validation data)
//
// A failed verification is not an error: VerifyPVV and VerifyOffset return
// (false, nil), which the HSM answers with 01.
package pin
