package rest

import "github.com/payhsm/payhsm-gw/keys"

// keyTypeNames are the key types of the REST API, in the order rest.md
// lists them.
var keyTypeNames = []string{"ZPK", "TPK", "PVK", "CVK", "MK-AC", "TAK", "ZAK", "ZMK", "BDK"}

// keyTypeOf maps a REST key type name to its variant-LMK key type
// (hostcmd.md §3).
func keyTypeOf(name string) (keys.KeyType, bool) {
	switch name {
	case "ZPK":
		return keys.ZPK, true
	case "TPK":
		return keys.TPK, true
	case "PVK":
		return keys.PVK, true
	case "CVK":
		return keys.CVK, true
	case "MK-AC":
		return keys.MKAC, true
	case "TAK":
		return keys.TAK, true
	case "ZAK":
		return keys.ZAK, true
	case "ZMK":
		return keys.ZMK, true
	case "BDK":
		return keys.BDK, true
	}
	return keys.KeyType{}, false
}

// keyTypeCode returns the 3-character key type code of a REST key type
// name ("402" for CVK).
func keyTypeCode(name string) (string, bool) {
	kt, ok := keyTypeOf(name)
	if !ok {
		return "", false
	}
	return kt.String(), true
}
