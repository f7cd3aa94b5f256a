package iso8583

import "errors"

// ErrTrack2 reports track 2 data that does not have the ISO/IEC 7813 form.
var ErrTrack2 = errors.New("track 2 data is not PAN, separator, YYMM, service code, discretionary data")

// Track2 is track 2 data split into its parts (ISO/IEC 7813: PAN of up to
// 19 digits, '=' or 'D', expiry YYMM, service code, discretionary data).
type Track2 struct {
	PAN           string
	Separator     byte
	Expiry        string // YYMM
	ServiceCode   string
	Discretionary string
}

// ParseTrack2 splits track 2 data, as held in field 35 or EMV tag 57 after
// hex decoding (a trailing F pad is dropped). The discretionary data may be
// empty (moov-io's pattern wants one character or more; ours is lenient).
// The error never carries the data.
func ParseTrack2(v []byte) (Track2, error) {
	if n := len(v); n > 0 && (v[n-1] == 'F' || v[n-1] == 'f') {
		v = v[:n-1]
	}
	sep := -1
	for i, c := range v {
		if c == '=' || c == 'D' || c == 'd' {
			sep = i
			break
		}
		if c < '0' || c > '9' {
			return Track2{}, ErrTrack2
		}
	}
	if sep < 1 || sep > 19 || len(v) < sep+8 {
		return Track2{}, ErrTrack2
	}
	if !isDigits(string(v[sep+1 : sep+8])) {
		return Track2{}, ErrTrack2
	}
	for _, c := range v[sep+8:] {
		if c == '?' {
			return Track2{}, ErrTrack2
		}
	}
	return Track2{PAN: string(v[:sep]), Separator: v[sep], Expiry: string(v[sep+1 : sep+5]),
		ServiceCode: string(v[sep+5 : sep+8]), Discretionary: string(v[sep+8:])}, nil
}
