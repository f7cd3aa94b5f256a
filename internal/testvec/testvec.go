// Package testvec reads the known-answer vectors the packages of this
// module keep under testdata/: JSON files and the hex strings in them. It is
// for this module's tests only; every failure stops the test.
package testvec

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// Unhex decodes a hex string of a vector.
func Unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// LoadJSON reads the JSON file at path into v.
func LoadJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// Make decodes the hex string s of a vector and builds a value of it with
// newT (a key constructor such as keys.NewClearKey).
func Make[T any](t testing.TB, s string, newT func([]byte) (T, error)) T {
	t.Helper()
	v, err := newT(Unhex(t, s))
	if err != nil {
		t.Fatalf("%d-byte vector %.4s…: %v", len(s)/2, s, err)
	}
	return v
}
