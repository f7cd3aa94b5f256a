// Package mac computes the message authentication codes of payment systems:
// ISO/IEC 9797-1:2011 MAC algorithm 1 (CBC-MAC) and algorithm 3 (the ANSI
// X9.19 retail MAC) with padding methods 1 and 2, CMAC (NIST SP 800-38B,
// RFC 4493; ISO/IEC 9797-1 algorithm 5) over AES or Triple DES, and
// HMAC-SHA-256 (FIPS 198-1, RFC 2104).
//
// Secrets: every key passed in, the key schedules a Retail holds and every
// MAC computed are secret. Nothing in this package prints them; errors name
// the field and at most its length.
//
// Constant time: compare a received MAC with the expected one only with
// Equal or Retail.Verify, which use crypto/subtle.ConstantTimeCompare; their
// time depends on the lengths and not on the contents. The MAC computations
// themselves take time that depends on the message length only (the DES
// behind Retail uses table lookups, like crypto/des, and makes no
// cache-timing promise beyond that).
package mac
