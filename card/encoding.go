package card

import (
	"encoding/base64"
	"encoding/hex"
)

// decode20 decodes s as 40 hex digits (either case), or as the base64 of
// exactly 20 bytes in the standard or URL alphabet (RFC 4648 §4 and §5),
// with or without padding. Base64 must be canonical (unused trailing bits
// zero) and is checked character by character first, because
// encoding/base64 skips CR and LF.
func decode20(s string) ([]byte, bool) {
	switch len(s) {
	case 40:
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, false
		}
		return b, true
	case 27, 28:
	default:
		return nil, false
	}
	var std, url bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '+' || c == '/':
			std = true
		case c == '-' || c == '_':
			url = true
		case c == '=' && i == 27:
		default:
			return nil, false
		}
	}
	if std && url {
		return nil, false
	}
	enc := base64.StdEncoding
	if url {
		enc = base64.URLEncoding
	}
	if len(s) == 27 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	// Decode needs room for DecodedLen bytes (21 for 28 padded
	// characters), even though only 20 may come out.
	b := make([]byte, enc.DecodedLen(len(s)))
	n, err := enc.Strict().Decode(b, []byte(s))
	if err != nil || n != 20 {
		return nil, false
	}
	return b[:20:20], true
}
