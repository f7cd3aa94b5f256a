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

func TestFlip(t *testing.T) {
	for _, tc := range []struct {
		s    string
		i    int
		want string
	}{
		{"A0072", 1, "A1072"},
		{"A0072", 0, "00072"},
		{"A0072", 4, "A0070"},
		{"f", 0, "0"},
	} {
		if got := Flip(tc.s, tc.i); got != tc.want {
			t.Errorf("Flip(%q, %d) = %q, want %q", tc.s, tc.i, got, tc.want)
		}
	}
}
