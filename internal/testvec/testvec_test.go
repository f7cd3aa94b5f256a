package testvec

import (
	"os"
	"path/filepath"
	"testing"
)

func TestUnhexAndLoadJSON(t *testing.T) {
	if b := Unhex(t, "00fF10"); len(b) != 3 || b[0] != 0 || b[1] != 0xFF || b[2] != 0x10 {
		t.Fatalf("Unhex: %X", b)
	}
	path := filepath.Join(t.TempDir(), "v.json")
	if err := os.WriteFile(path, []byte(`{"key":"0123"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var v struct{ Key string }
	LoadJSON(t, path, &v)
	if v.Key != "0123" {
		t.Fatalf("LoadJSON: %+v", v)
	}
}
