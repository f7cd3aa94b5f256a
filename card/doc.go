// Package card computes and checks the card verification values of payment
// cards and the 3-D Secure authentication values built on them:
//
//   - Visa CVV and Mastercard CVC (one algorithm), with CVV2/CVC2 (service
//     code "000") and iCVV (service code "999") as variants: the published
//     Visa CVV algorithm, which Mastercard uses for the CVC and the payShield
//     CW/CY host commands compute (see CVK).
//   - Visa CAVV, 3-D Secure "CVV with ATN" (CAVV algorithm 2, usage 3): the
//     20-byte value of Visa table D-7 (ParseCAVV, CAVV.Append, DecodeCAVV),
//     the substituted CVV inputs (CAVVInput) and its check value
//     (CVK.CAVVValue, CVK.VerifyCAVV).
//   - Mastercard SPA AAV for 3-D Secure 1.0 ("SPA1", CAVV algorithm 3): the
//     20-byte layout (ParseAAV, AAV.Append), the merchant name hash, and the
//     HMAC-SHA-1 MAC variant (AAVHMAC, VerifyAAVHMAC). The CVC2 MAC variant is
//     exposed only as a CVC2 over explicit "expiry" and "service code" inputs
//     (CVK.AAVCVC2): the public record gives vectors for it but not how those
//     two inputs are derived from the AAV fields, and this package does not
//     guess.
//
// Out of scope: Mastercard SPA2 (Identity Check, EMV 3-D Secure 2.x AAVs) has
// no public specification; newer Visa CAVV versions (EMV 3DS 2.2+ with more
// bound data), the meaning of the CAVV key indicator and of the
// version/action nibbles beyond 0 are not public either. This package
// implements the legacy CVV-with-ATN CAVV only and carries those fields
// through unchanged.
//
// Input rules (ours where the schemes leave it open): a PAN is 1 to 19
// decimal digits, as in the payShield CW/CY PAN field; an expiry is 4 digits
// in whatever order the issuer encodes it (YYMM on track data); a service
// code is 3 digits. Nothing else is checked (no Luhn, no month range), since
// CAVV and AAV put other data in those slots.
//
// Visa CAVV PAN normalisation: the PAN is right-justified and zero-padded on
// the left to 16 digits, or cut to its rightmost 16 (Visa's text, and our
// host-command contract). jPOS passes shorter PANs unpadded; the two agree
// for PANs of 16 digits or more.
//
// Use: build a CVK once per key and reuse it (it is immutable and safe for
// concurrent use); its two DES key schedules cost several times a CVV.
//
// Secrets: CVK key bytes and the key schedules a CVK holds, HMAC keys, full
// PANs, CVVs, CAVV outputs and AAV MACs are secret. Errors name the field and
// never carry its value. A CVK, CAVV.Output (a redact.String) and AAV.MAC (an
// AAVMAC) print, log and marshal as redact.Placeholder.
//
// Constant time: CVK.Verify, CVK.VerifyCAVV, CVK.VerifyAAVCVC2 and
// VerifyAAVHMAC compare the expected and the received value with
// crypto/subtle.ConstantTimeCompare (hmac.Equal for the HMAC MAC); their time
// does not depend on where the values differ. The computations themselves
// are not constant time in the strict sense: crypto/des uses table lookups,
// and Visa decimalisation branches on the nibbles of the cipher output.
package card
