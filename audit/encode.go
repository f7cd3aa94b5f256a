package audit

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// stampCache keeps the last time formatted: commands read together share
// their start time, so a batch of records formats it once.
type stampCache struct {
	t time.Time
	b []byte
}

// stamp returns t in RFC 3339 with nanoseconds, from the cache when t is
// the time last formatted. A nil cache formats every time.
func (c *stampCache) stamp(dst []byte, t time.Time) []byte {
	if c == nil {
		return t.AppendFormat(dst, time.RFC3339Nano)
	}
	if c.b == nil || !t.Equal(c.t) {
		c.t, c.b = t, t.AppendFormat(c.b[:0], time.RFC3339Nano)
	}
	return append(dst, c.b...)
}

// appendLine appends ln as encoding/json would encode it, without
// reflection: Write runs on the goroutine that reads HSM answers, and
// json.Marshal cost about as much as the rest of the relay. The few
// values it does not handle (a year outside 0..9999, a latency that needs
// an exponent) go through json.Marshal. TestAppendLineMatchesJSON holds
// the two to the same bytes. tc, if not nil, caches the time's text.
func appendLine(dst []byte, ln *line, tc *stampCache) ([]byte, error) {
	abs := math.Abs(ln.LatencyMs)
	if y := ln.Time.Year(); y < 0 || y > 9999 || (abs != 0 && (abs < 1e-6 || abs >= 1e21)) {
		v := *ln // a copy escapes to the heap, only on this rare path
		b, err := json.Marshal(&v)
		return append(dst, b...), err
	}
	dst = append(dst, `{"time":"`...)
	dst = tc.stamp(dst, ln.Time)
	dst = append(dst, '"')
	dst = appendField(dst, `,"requestId":`, ln.RequestID)
	dst = appendField(dst, `,"client":`, ln.Client)
	dst = appendField(dst, `,"remote":`, ln.Remote)
	dst = appendField(dst, `,"op":`, ln.Op)
	dst = appendField(dst, `,"cmd":`, ln.Cmd)
	dst = appendField(dst, `,"hsm":`, ln.HSM)
	dst = appendField(dst, `,"code":`, ln.Code)
	if ln.Status != 0 {
		dst = append(dst, `,"status":`...)
		dst = strconv.AppendInt(dst, int64(ln.Status), 10)
	}
	dst = appendField(dst, `,"error":`, ln.Error)
	dst = append(dst, `,"latencyMs":`...)
	if us := ln.Latency.Microseconds(); us > -maxExactMicros && us < maxExactMicros && ln.LatencyMs == float64(us)/1000 {
		// As Write sets it: whole microseconds.
		dst = appendMillis(dst, us)
	} else {
		dst = strconv.AppendFloat(dst, ln.LatencyMs, 'f', -1, 64)
	}
	dst = appendField(dst, `,"pan":`, ln.PAN)
	return append(dst, '}'), nil
}

// maxExactMicros bounds the latencies appendMillis formats: below 10^15 µs
// (about 31 years) float64(us)/1000 is closer to the decimal us/1000 than
// to any shorter decimal, so strconv's shortest formatting prints exactly
// that decimal and the two agree.
const maxExactMicros = 1_000_000_000_000_000

// appendMillis appends us/1000 in decimal without trailing zeros, as
// strconv.AppendFloat(float64(us)/1000, 'f', -1, 64) does, for
// |us| < maxExactMicros.
func appendMillis(dst []byte, us int64) []byte {
	if us < 0 {
		dst = append(dst, '-')
		us = -us
	}
	dst = strconv.AppendInt(dst, us/1000, 10)
	frac := us % 1000
	if frac == 0 {
		return dst
	}
	digits := [3]byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
	n := 3
	for digits[n-1] == '0' {
		n--
	}
	return append(append(dst, '.'), digits[:n]...)
}

// appendField appends key and s as a JSON string, unless s is empty
// (omitempty).
func appendField(dst []byte, key, s string) []byte {
	if s == "" {
		return dst
	}
	return appendString(append(dst, key...), s)
}

const hexDigits = "0123456789abcdef"

// appendString appends s quoted as encoding/json does with HTML escaping:
// <, > and & as \u003c etc., control characters, U+2028 and U+2029
// escaped, invalid UTF-8 replaced by U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
