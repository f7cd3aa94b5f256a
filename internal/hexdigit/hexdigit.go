// Package hexdigit reads one hexadecimal digit without allocating, for the
// parsers of key type codes, PIN blocks and message headers.
package hexdigit

// Value returns the value of the hex digit c, in either case, and whether c
// is one.
func Value(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// Flip returns s with the digit at i changed: '0' becomes '1', any other
// digit '0'. The conformance suite and the tests make a tampered copy of a
// key block or MAC with it, one digit off the original.
func Flip(s string, i int) string {
	b := []byte(s)
	if b[i] == '0' {
		b[i] = '1'
	} else {
		b[i] = '0'
	}
	return string(b)
}
