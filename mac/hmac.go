package mac

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
)

// HMACSHA256 returns HMAC-SHA-256 of msg under key (FIPS 198-1, RFC 2104;
// test cases RFC 4231). Any key length is accepted, as HMAC defines.
func HMACSHA256(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

// HMACSHA1 returns HMAC-SHA-1 of msg under key (FIPS 198-1, RFC 2104; test
// cases RFC 2202), for legacy interfaces that still name it.
func HMACSHA1(key, msg []byte) []byte {
	h := hmac.New(sha1.New, key)
	h.Write(msg)
	return h.Sum(nil)
}
