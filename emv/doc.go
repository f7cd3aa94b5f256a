// Package emv implements the issuer side of EMV application cryptography
// with double-length Triple DES keys (EMV 4.3 Book 2 Annex A): ICC master
// key derivation options A and B, session keys (the EMV common session key,
// the Mastercard proprietary SKD and the Visa secure-messaging key), the
// application cryptogram (ARQC/TC/AAC) and the ARPC methods 1 and 2, a table
// of card-scheme profiles (Visa CVN 10/18/22, Mastercard CVN 16/17/20/21),
// and strict BER-TLV decoding of ICC data (ISO 8583 field 55).
//
// Secrets: issuer master keys, ICC master keys, session keys (type Key,
// which never prints its value), ARQCs and ARPCs are secret; full PANs are
// sensitive. Errors name the field and at most its length, never a value.
//
// Constant time: every cryptogram comparison (VerifyAC, VerifyARQC and
// Keys.VerifyARQC) uses crypto/subtle.ConstantTimeCompare through mac.Equal.
// Key derivation and MAC computation take time that depends on the data
// length only.
package emv
