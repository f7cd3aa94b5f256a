package tr31

import "github.com/payhsm/payhsm-gw/keys"

// FromLMK returns the KBPK of key-block LMK l, for WrapThales and
// UnwrapThales. Build it once per LMK: it precomputes the derived keys.
func FromLMK(l *keys.KeyBlockLMK) (*KBPK, error) {
	return NewKBPK(l.Algorithm(), l.Key())
}

// thalesUsage maps the Thales numeric key usages to the TR-31 code they
// take when a key leaves the HSM as a TR-31 block ("" = not representable
// in TR-31/X9.143). Source: CryptoCarver ThalesKeyBlockOperations.java,
// which transcribes the payShield 10K host programmer's manual 8.5.1.2.
var thalesUsage = map[string]string{
	"41": "B0", "42": "B0", "43": "B0", "44": "B0", // BDK-2 .. BDK-5
	"11": "C0", "12": "C0", "13": "C0", // Amex CSC, MC CVC, Visa CVV
	"21": "D0", "22": "D0", "23": "D0", "24": "", "25": "D0", // DEK, ZEK, TEK, transport KEK, CTR DEK
	"32": "E6", "37": "", "38": "", "39": "", "47": "", "48": "", "49": "", // EMV
	"51": "K0", "52": "K0", "53": "", "54": "", "55": "", // TMK, ZMK, ZKA MK, KEK
	"61": "", "62": "", "63": "", "64": "", "65": "", // HMAC
	"71": "P0", "72": "P0", "73": "P0", // TPK, ZPK, TKR
	"01": "", "02": "", "03": "", "04": "", "05": "", "06": "", // WatchWord, RSA/EC
}

// TR31Usage returns the TR-31 key usage a key of Thales key usage u carries
// in a TR-31 export: u itself when it is already a TR-31 code (a letter
// then a digit), the mapped code for a Thales numeric usage, and false for
// a Thales usage TR-31 cannot express (HMAC, RSA, EMV card keys ...) or an
// unknown numeric one.
func TR31Usage(u string) (string, bool) {
	if len(u) != 2 {
		return "", false
	}
	if u[0] >= 'A' && u[0] <= 'Z' {
		return u, true
	}
	t, ok := thalesUsage[u]
	return t, ok && t != ""
}
