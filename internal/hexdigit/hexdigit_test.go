package hexdigit

import (
	"strconv"
	"testing"
)

// Every byte against strconv's reading of it as one hex digit.
func TestValueMatchesStrconv(t *testing.T) {
	for c := range 256 {
		v, ok := Value(byte(c))
		want, err := strconv.ParseUint(string(rune(c)), 16, 8)
		if ok != (err == nil) || ok && uint64(v) != want {
			t.Errorf("Value(%q) = %d, %v; strconv: %d, %v", byte(c), v, ok, want, err)
		}
	}
}
