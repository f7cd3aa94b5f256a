// Package card computes and checks the card verification values of payment
// cards and the 3-D Secure authentication values built on them:
//
//   - Visa CVV and Mastercard CVC (one algorithm), with CVV2/CVC2 (service
//     code "000") and iCVV (service code "999") as variants: the CVV
//     algorithm as given in the Visa and Mastercard issuer manuals and in the
//     payShield CW/CY host commands (see CVK).
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
// Secrets: CVK key bytes and the key schedules a CVK holds, HMAC keys, full
// PANs, CVVs, CAVV outputs and AAV MACs are secret. Errors name the field and
// never carry its value; CAVV.Output is a redact.String and AAV.MAC an AAVMAC,
// both of which print, log and marshal as a placeholder.
//
// Constant time: CVK.Verify, CVK.VerifyCAVV, VerifyAAVHMAC and
// CVK.VerifyAAVCVC2 compare the expected and the received value with
// crypto/subtle.ConstantTimeCompare. The computations take time that depends
// only on input lengths (crypto/des and crypto/sha1 make no cache-timing
// promise beyond that).
package card
