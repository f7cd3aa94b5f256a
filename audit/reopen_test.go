package audit

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// countLines returns how many whole JSON lines path holds, failing on a
// torn one.
func countLines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: line %d is not one whole record: %v", path, n+1, err)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// startWriters starts writers goroutines that each write each records,
// record i of writer w being rec(w, i); the function it returns waits for
// them.
func startWriters(l *Log, writers, each int, rec func(w, i int) Record) (wait func()) {
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				l.Write(rec(w, i))
			}
		})
	}
	return wg.Wait
}

// TestReopenAfterRenameLosesNothing rotates the way logrotate's "create"
// does (rename, then signal) while writers run, in both write modes: every
// record lands whole in the old file or the new one.
func TestReopenAfterRenameLosesNothing(t *testing.T) {
	for _, tc := range []struct {
		name     string
		interval time.Duration
	}{{"write-through", -1}, {"batched", time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "audit.log")
			l, err := Open(path, Options{FlushInterval: tc.interval})
			if err != nil {
				t.Fatal(err)
			}
			const writers, each, rotations = 4, 500, 5
			wait := startWriters(l, writers, each, func(w, i int) Record {
				return Record{Op: "pin.translate", RequestID: fmt.Sprint(w, "-", i)}
			})
			var rotated []string
			for r := range rotations {
				time.Sleep(time.Millisecond)
				old := filepath.Join(dir, fmt.Sprintf("audit.log.%d", r+1))
				if err := os.Rename(path, old); err != nil {
					t.Fatal(err)
				}
				rotated = append(rotated, old)
				if err := l.Reopen(); err != nil {
					t.Fatalf("Reopen: %v", err)
				}
			}
			wait()
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			total := countLines(t, path)
			for _, p := range rotated {
				total += countLines(t, p)
			}
			if want := writers * each; total != want {
				t.Fatalf("%d records across the files, want %d", total, want)
			}
			if l.WriteErrors() != 0 {
				t.Fatalf("%d write errors", l.WriteErrors())
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Fatalf("new file mode %v, want 0600", fi.Mode().Perm())
			}
		})
	}
}

func TestReopenFailureKeepsTheOldFile(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "logs")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(sub, "audit.log")
	l, err := Open(path, Options{FlushInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(dir, "moved")
	if err := os.Rename(sub, moved); err != nil { // the path's folder is gone
		t.Fatal(err)
	}
	if err := l.Reopen(); err == nil {
		t.Fatal("Reopen of a path whose folder is gone succeeded")
	}
	l.Write(Record{Op: "after"})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n := countLines(t, filepath.Join(moved, "audit.log")); n != 1 {
		t.Fatalf("old file holds %d records, want the one written after the failed Reopen", n)
	}
}

func TestReopenWithoutPathOrAfterClose(t *testing.T) {
	l, err := New(new(discard), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); !errors.Is(err, errNoPath) {
		t.Fatalf("Reopen of a writer log: %v, want errNoPath", err)
	}
	f, err := Open(filepath.Join(t.TempDir(), "audit.log"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := f.Reopen(); !errors.Is(err, errClosed) {
		t.Fatalf("Reopen after Close: %v, want errClosed", err)
	}
	var nilLog *Log
	if err := nilLog.Reopen(); err != nil {
		t.Fatalf("nil Log Reopen: %v", err)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
