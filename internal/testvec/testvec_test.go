package testvec

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
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

func TestMake(t *testing.T) {
	sum := func(b []byte) (int, error) {
		if len(b) == 0 {
			return 0, errors.New("empty")
		}
		n := 0
		for _, c := range b {
			n += int(c)
		}
		return n, nil
	}
	if n := Make(t, "0102FF", sum); n != 0x102 {
		t.Fatalf("Make: %d", n)
	}
	// A constructor's error fails the test.
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Make(r, "", sum)
	}()
	<-done
	if !r.failed {
		t.Fatal("Make did not fail on the constructor's error")
	}
}

// fatalRecorder notes a Fatalf instead of failing the test that holds it.
type fatalRecorder struct {
	testing.TB
	failed bool
}

func (*fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(string, ...any) {
	r.failed = true
	runtime.Goexit()
}

func TestDUKPTPINBlocks(t *testing.T) {
	tdes, aes := DUKPTPINBlocks(t)
	// The first block of each set, as its source prints it.
	if tdes[0] != (DUKPTPINBlock{"FFFF9876543210E00001", "1B9C1845EB993A7A"}) ||
		aes[0] != (DUKPTPINBlock{"123456789012345600000001", "A912150391AB65A67E52883D81CE2D15"}) {
		t.Fatalf("first blocks %v %v", tdes[0], aes[0])
	}
	for _, set := range []struct {
		blocks      []DUKPTPINBlock
		ksn, digits int
	}{{tdes, 20, 16}, {aes, 24, 32}} {
		for _, b := range set.blocks {
			if len(b.KSN) != set.ksn || len(b.Block) != set.digits {
				t.Errorf("KSN %s: block %q", b.KSN, b.Block)
			}
		}
	}
}
