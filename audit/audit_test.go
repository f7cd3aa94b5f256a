package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestWriteMasksPANAndEncodesOneLine(t *testing.T) {
	var buf bytes.Buffer
	l, err := New(&buf, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 8, 7, 10, 11, 12, 0, time.UTC)
	l.Write(Record{
		Time: at, RequestID: "r-1", Client: "key:ops", Remote: "10.0.0.1:5000",
		Op: "pin.translate", Cmd: "CA", HSM: "hsm-a", Code: "00",
		Latency: 1500 * time.Microsecond, PAN: "4111111111111111",
	})
	out := buf.String()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("want exactly one line, have %q", out)
	}
	if strings.Contains(out, "4111111111111111") {
		t.Fatalf("full PAN in audit line: %s", out)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"time": "2026-08-07T10:11:12Z", "requestId": "r-1", "client": "key:ops",
		"remote": "10.0.0.1:5000", "op": "pin.translate", "cmd": "CA", "hsm": "hsm-a",
		"code": "00", "latencyMs": 1.5, "pan": "411111******1111",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s: have %v, want %v", k, m[k], v)
		}
	}
	if len(m) != len(want) {
		t.Errorf("have fields %v, want exactly %v", m, want)
	}
}

func TestWriteIsSafeForConcurrentUseAndLinesStayWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 200
	startWriters(l, writers, each, func(w, i int) Record {
		return Record{RequestID: strings.Repeat("x", w*50+i%7), Cmd: "NC", Code: "00"}
	})()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n := countLines(t, path); n != writers*each {
		t.Fatalf("have %d lines, want %d", n, writers*each)
	}
	if l.WriteErrors() != 0 {
		t.Fatalf("have %d write errors, want 0", l.WriteErrors())
	}
}

func TestOpenAppendsAndCreatesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	for range 2 {
		l, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		l.Write(Record{Cmd: "NC"})
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "\n"); n != 2 {
		t.Fatalf("have %d lines after two opens, want 2 (append, not truncate)", n)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		t.Fatalf("audit file mode %v is readable by others", perm)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorIsLoggedAndCountedNotFatal(t *testing.T) {
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	l, err := New(failingWriter{}, Options{
		Logger:     slog.New(slog.NewJSONHandler(&logs, nil)),
		Registerer: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	l.Write(Record{Cmd: "CA", PAN: "4111111111111111"})
	l.Write(Record{Cmd: "CA"})
	if have := l.WriteErrors(); have != 2 {
		t.Fatalf("WriteErrors: have %d, want 2", have)
	}
	if have := testutil.ToFloat64(l.errsC); have != 2 {
		t.Fatalf("payhsm_audit_write_errors_total: have %v, want 2", have)
	}
	if !strings.Contains(logs.String(), "audit: write failed") {
		t.Fatalf("write error not logged: %q", logs.String())
	}
	if strings.Contains(logs.String(), "4111111111111111") {
		t.Fatal("log line carries the PAN")
	}
}

func TestWriteAfterCloseIsCounted(t *testing.T) {
	l, err := New(&bytes.Buffer{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.Write(Record{Cmd: "NC"})
	if l.WriteErrors() != 1 {
		t.Fatalf("have %d write errors, want 1", l.WriteErrors())
	}
}

func TestNilLogDiscards(t *testing.T) {
	var l *Log
	l.Write(Record{Cmd: "NC"})
	if l.WriteErrors() != 0 || l.Close() != nil {
		t.Fatal("nil Log is not a no-op")
	}
}

func BenchmarkWrite(b *testing.B) {
	l, err := Open(filepath.Join(b.TempDir(), "audit.log"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	rec := Record{RequestID: "0123456789abcdef", Client: "key:ops", Remote: "10.0.0.1:5000",
		Op: "pin.translate", Cmd: "CA", HSM: "hsm-a", Code: "00", Latency: time.Millisecond,
		PAN: "4111111111111111"}
	b.ReportAllocs()
	for b.Loop() {
		l.Write(rec)
	}
}

// BenchmarkWriteSameTime writes records that share their start time, as
// the host-command front's records of commands read together do.
func BenchmarkWriteSameTime(b *testing.B) {
	l, err := Open(filepath.Join(b.TempDir(), "audit.log"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	rec := Record{Time: time.Now(), Remote: "10.0.0.1:5000", Cmd: "CA", HSM: "hsm-a", Code: "00", Latency: 517 * time.Microsecond}
	b.ReportAllocs()
	for b.Loop() {
		l.Write(rec)
	}
}

// countingWriter counts Write calls; gate, when set, holds each call
// until a value arrives, after telling entered.
type countingWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	calls   int
	entered chan struct{}
	gate    chan struct{}
}

func (w *countingWriter) Write(b []byte) (int, error) {
	if w.gate != nil {
		w.entered <- struct{}{}
		<-w.gate
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls++
	return w.buf.Write(b)
}

func (w *countingWriter) lines(t *testing.T) int {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for ln := range strings.Lines(w.buf.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(ln), &m); err != nil {
			t.Fatalf("line %d is not JSON: %v", n+1, err)
		}
		n++
	}
	return n
}

func TestBatchedLogWritesManyRecordsPerWrite(t *testing.T) {
	w := &countingWriter{}
	l, err := New(w, Options{FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	for i := range n {
		l.Write(Record{Cmd: "CA", Code: "00", RequestID: strings.Repeat("r", i%9)})
	}
	// Flush does not wait for the hour: it makes the writer go now.
	l.Flush()
	if have := w.lines(t); have != n {
		t.Fatalf("after Flush: have %d lines, want %d", have, n)
	}
	if w.calls != 1 {
		t.Errorf("have %d writes for %d records gathered in one interval, want 1", w.calls, n)
	}
	l.Write(Record{Cmd: "NC"})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if have := w.lines(t); have != n+1 {
		t.Errorf("after Close: have %d lines, want %d (Close writes what is buffered)", have, n+1)
	}
	if l.WriteErrors() != 0 {
		t.Errorf("have %d write errors, want 0", l.WriteErrors())
	}
	l.Write(Record{Cmd: "NC"})
	if l.WriteErrors() != 1 {
		t.Errorf("write after Close: have %d write errors, want 1", l.WriteErrors())
	}
}

func TestBatchedLogDropsOnlyAfterMaxBlockWhenTheWriterIsStuck(t *testing.T) {
	w := &countingWriter{entered: make(chan struct{}, 100), gate: make(chan struct{})}
	reg := prometheus.NewRegistry()
	l, err := New(w, Options{FlushInterval: time.Millisecond, MaxBuffer: 1024, MaxBlock: 20 * time.Millisecond, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	rec := Record{Cmd: "CA", Code: "00", RequestID: strings.Repeat("x", 100)}
	l.Write(rec)
	<-w.entered // the writer holds the first batch and cannot write it
	sent := 1
	for l.Dropped() == 0 && sent < 100 {
		l.Write(rec) // fills the 1 KiB buffer, then waits MaxBlock and drops
		sent++
	}
	if l.Dropped() != 1 {
		t.Fatalf("have %d dropped after %d records into a full buffer, want 1", l.Dropped(), sent)
	}
	if have := testutil.ToFloat64(l.dropsC); have != 1 {
		t.Errorf("payhsm_audit_dropped_total: have %v, want 1", have)
	}
	// The disk comes back: every record not dropped reaches it.
	close(w.gate)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if have, want := w.lines(t), sent-1; have != want {
		t.Errorf("have %d lines, want %d (all but the dropped one)", have, want)
	}
	if l.WriteErrors() != 1 {
		t.Errorf("have %d write errors, want 1 (the dropped record)", l.WriteErrors())
	}
}

func TestBatchedLogAppliesBackpressureInsteadOfDropping(t *testing.T) {
	w := &countingWriter{}
	// A buffer of about 4 records: writers wait for the writer goroutine
	// again and again, and none waits long enough to drop.
	l, err := New(w, Options{FlushInterval: time.Millisecond, MaxBuffer: 600, MaxBlock: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 4, 200
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range each {
				l.Write(Record{Cmd: "CA", Code: "00", RequestID: strings.Repeat("y", 80)})
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if have := w.lines(t); have != writers*each {
		t.Errorf("have %d lines, want %d", have, writers*each)
	}
	if l.Dropped() != 0 || l.WriteErrors() != 0 {
		t.Errorf("have %d dropped, %d write errors, want none", l.Dropped(), l.WriteErrors())
	}
}
