package audit

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/payhsm/payhsm-gw/internal/redact"
)

// Record is one audit line. Empty fields are left out of the line.
type Record struct {
	// Time is when the command or operation started; Write fills in the
	// current time when it is zero.
	Time time.Time `json:"time"`
	// RequestID is the REST X-Request-Id, or a host-command front's
	// connection and header correlation id.
	RequestID string `json:"requestId,omitempty"`
	// Client identifies the caller: an API key id ("key:ID"), a client
	// certificate subject ("cert:CN"), or empty when unauthenticated.
	Client string `json:"client,omitempty"`
	// Remote is the peer's network address.
	Remote string `json:"remote,omitempty"`
	// Op names the REST operation ("pin.translate"); empty for a command
	// relayed by the host-command front.
	Op string `json:"op,omitempty"`
	// Cmd is the host-command code ("CA"); empty for an operation record.
	Cmd string `json:"cmd,omitempty"`
	// HSM is the name of the HSM that answered, when known.
	HSM string `json:"hsm,omitempty"`
	// Code is the HSM error code of the answer ("00", "01", "15", "41").
	Code string `json:"code,omitempty"`
	// Status is the HTTP status of a REST operation.
	Status int `json:"status,omitempty"`
	// Error is a short error class ("invalid_field", "kcv_mismatch"); it
	// must never carry a value.
	Error string `json:"error,omitempty"`
	// Latency is how long the command or operation took.
	Latency time.Duration `json:"-"`
	// PAN is the primary account number the operation concerned; Write
	// masks it to first six and last four before it reaches the file.
	PAN string `json:"-"`
}

// line is the encoded form of a Record.
type line struct {
	Record
	LatencyMs float64 `json:"latencyMs"`
	PAN       string  `json:"pan,omitempty"`
}

// Options configures a Log.
type Options struct {
	// Logger receives write errors; nil discards them.
	Logger *slog.Logger
	// Registerer, when set, gets the payhsm_audit_records_total,
	// payhsm_audit_write_errors_total and payhsm_audit_dropped_total
	// counters.
	Registerer prometheus.Registerer
	// FlushInterval, when positive, makes the Log batch: Write appends the
	// line to a buffer and returns, and one writer goroutine writes what
	// has gathered at most FlushInterval after the first line of a batch,
	// in one write (ours). Zero means DefaultFlushInterval for Open and
	// write-through for New; negative means write-through: each record is
	// one write inside Write.
	FlushInterval time.Duration
	// MaxBuffer bounds the bytes waiting for the writer (default
	// DefaultMaxBuffer); see Write for what happens when it is full.
	MaxBuffer int
	// MaxBlock is how long Write waits for room when the buffer is full
	// before it drops the record (default DefaultMaxBlock).
	MaxBlock time.Duration
}

// Batching defaults (ours).
const (
	// DefaultFlushInterval is how long a batched Log gathers records
	// before writing them: the most an acknowledged record may wait in
	// memory, and so may be lost if the process dies.
	DefaultFlushInterval = 10 * time.Millisecond
	// DefaultMaxBuffer bounds a batched Log's buffer: about 4,000 records.
	DefaultMaxBuffer = 1 << 20
	// DefaultMaxBlock is how long Write waits for a full buffer to drain.
	DefaultMaxBlock = 100 * time.Millisecond
)

// Log is an append-only audit log. It is safe for concurrent use. A nil
// *Log is valid and discards every record, so callers need no checks when
// auditing is off.
type Log struct {
	mu sync.Mutex
	// fileMu is held by the batch writer around each write and by Reopen
	// around the swap, so a batch never goes to a file being closed.
	// Lock order: mu, then fileMu.
	fileMu  sync.Mutex
	path    string // set by Open; what Reopen opens again
	w       io.Writer
	closer  io.Closer
	syncer  interface{ Sync() error }
	closed  bool
	logger  *slog.Logger
	errs    atomic.Uint64
	drops   atomic.Uint64
	records prometheus.Counter
	errsC   prometheus.Counter
	dropsC  prometheus.Counter

	// Batching (nil wake when write-through). buf holds n whole lines;
	// room is closed and replaced each time the writer takes buf;
	// flushed is closed and replaced each time a taken batch is written.
	interval time.Duration
	maxBuf   int
	maxBlock time.Duration
	buf      []byte
	n        int
	stamps   stampCache
	room     chan struct{}
	flushed  chan struct{}
	busy     bool          // the writer holds a batch not yet written
	wake     chan struct{} // a batch has begun
	hurry    chan struct{} // write now: half the buffer is used, or Flush
	quit     chan struct{}
	done     chan struct{}
}

// Open opens (creating it with mode 0600 if needed) the audit file at path
// for appending. The Log batches unless opt.FlushInterval is negative.
func Open(path string, opt Options) (*Log, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: opening log: %w", err)
	}
	if opt.FlushInterval == 0 {
		opt.FlushInterval = DefaultFlushInterval
	}
	l, err := newLog(f, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	l.closer, l.syncer, l.path = f, f, path
	return l, nil
}

// New returns a Log writing to w, which must take each Write call whole
// (a file opened with O_APPEND, a pipe for records under PIPE_BUF, a
// buffer in a test). If w is an io.Closer, Close closes it. The Log writes
// each record through, within Write, unless opt.FlushInterval is positive.
func New(w io.Writer, opt Options) (*Log, error) {
	l, err := newLog(w, opt)
	if err != nil {
		return nil, err
	}
	if c, ok := w.(io.Closer); ok {
		l.closer = c
	}
	if s, ok := w.(interface{ Sync() error }); ok {
		l.syncer = s
	}
	return l, nil
}

func newLog(w io.Writer, opt Options) (*Log, error) {
	logger := opt.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	l := &Log{
		w:      w,
		logger: logger,
		records: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "payhsm_audit_records_total",
			Help: "Audit records written.",
		}),
		errsC: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "payhsm_audit_write_errors_total",
			Help: "Audit records that could not be written (the operation went on).",
		}),
		dropsC: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "payhsm_audit_dropped_total",
			Help: "Audit records dropped because the buffer stayed full for max_block (also counted as write errors).",
		}),
	}
	if opt.Registerer != nil {
		for _, c := range []prometheus.Collector{l.records, l.errsC, l.dropsC} {
			if err := opt.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("audit: registering metrics: %w", err)
			}
		}
	}
	if opt.FlushInterval > 0 {
		l.interval = opt.FlushInterval
		l.maxBuf = opt.MaxBuffer
		if l.maxBuf <= 0 {
			l.maxBuf = DefaultMaxBuffer
		}
		l.maxBlock = opt.MaxBlock
		if l.maxBlock <= 0 {
			l.maxBlock = DefaultMaxBlock
		}
		l.room = make(chan struct{})
		l.flushed = make(chan struct{})
		l.wake = make(chan struct{}, 1)
		l.hurry = make(chan struct{}, 1)
		l.quit = make(chan struct{})
		l.done = make(chan struct{})
		go l.writer()
	}
	return l, nil
}

// Write appends rec as one line. It never fails the caller: an encoding or
// write error is logged (without the record) and counted in WriteErrors.
//
// A batched Log (Options.FlushInterval) only buffers the line; the writer
// goroutine writes it within FlushInterval. When the buffer is full, Write
// waits up to MaxBlock for the writer to drain it (backpressure on the
// caller, bounded so that a stuck disk never stalls the goroutine reading
// HSM answers), then drops the record and counts it in Dropped and
// WriteErrors (ours).
func (l *Log) Write(rec Record) {
	if l == nil {
		return
	}
	if rec.Time.IsZero() {
		rec.Time = time.Now()
	}
	rec.Time = rec.Time.UTC()
	ln := line{Record: rec, LatencyMs: float64(rec.Latency.Microseconds()) / 1000}
	if rec.PAN != "" {
		ln.PAN = redact.MaskPAN(rec.PAN)
	}
	if l.wake != nil {
		l.buffer(&ln)
		return
	}
	b, err := appendLine(make([]byte, 0, 256), &ln, nil)
	if err != nil {
		l.fail(err, 1)
		return
	}
	b = append(b, '\n')
	l.mu.Lock()
	if l.closed {
		err = errClosed
	} else {
		_, err = l.w.Write(b)
	}
	l.mu.Unlock()
	if err != nil {
		l.fail(err, 1)
		return
	}
	l.records.Inc()
}

var (
	errClosed = errors.New("audit: log closed")
	errFull   = errors.New("audit: buffer full, record dropped")
)

// buffer encodes ln onto the end of the batch.
func (l *Log) buffer(ln *line) {
	l.mu.Lock()
	var timer *time.Timer
	for !l.closed && len(l.buf) >= l.maxBuf {
		room := l.room
		l.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(l.maxBlock)
			defer timer.Stop()
		}
		select {
		case <-room:
			l.mu.Lock()
		case <-timer.C:
			l.drops.Add(1)
			l.dropsC.Inc()
			l.fail(errFull, 1)
			return
		}
	}
	if l.closed {
		l.mu.Unlock()
		l.fail(errClosed, 1)
		return
	}
	n0 := len(l.buf)
	b, err := appendLine(l.buf, ln, &l.stamps)
	if err != nil {
		l.buf = b[:n0]
		l.mu.Unlock()
		l.fail(err, 1)
		return
	}
	l.buf = append(b, '\n')
	l.n++
	half := len(l.buf) >= l.maxBuf/2
	l.mu.Unlock()
	if n0 == 0 {
		signal(l.wake)
	}
	if half {
		signal(l.hurry)
	}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// writer writes the batches of a batched Log until Close.
func (l *Log) writer() {
	defer close(l.done)
	var spare []byte
	timer := time.NewTimer(l.interval)
	timer.Stop()
	for {
		quitting := false
		select {
		case <-l.wake:
			// Let the batch gather for one interval, unless closing.
			timer.Reset(l.interval)
			select {
			case <-timer.C:
			case <-l.hurry:
				timer.Stop()
			case <-l.quit:
				timer.Stop()
				quitting = true
			}
		case <-l.quit:
			quitting = true
		}
		l.mu.Lock()
		batch, n := l.buf, l.n
		l.buf, l.n = spare[:0], 0
		l.busy = n > 0
		close(l.room)
		l.room = make(chan struct{})
		l.mu.Unlock()
		if n > 0 {
			l.fileMu.Lock()
			_, err := l.w.Write(batch)
			l.fileMu.Unlock()
			if err != nil {
				l.fail(err, n)
			} else {
				l.records.Add(float64(n))
			}
		}
		l.mu.Lock()
		l.busy = false
		close(l.flushed)
		l.flushed = make(chan struct{})
		l.mu.Unlock()
		spare = batch
		if quitting {
			return
		}
	}
}

// Flush waits until every record written before it is written to the
// underlying writer (not synced). It is a no-op for a write-through Log.
func (l *Log) Flush() {
	if l == nil || l.wake == nil {
		return
	}
	for {
		l.mu.Lock()
		if l.closed || (len(l.buf) == 0 && !l.busy) {
			l.mu.Unlock()
			return
		}
		flushed := l.flushed
		l.mu.Unlock()
		signal(l.hurry)
		<-flushed
	}
}

func (l *Log) fail(err error, n int) {
	l.errs.Add(uint64(n))
	l.errsC.Add(float64(n))
	l.logger.Error("audit: write failed", "err", err, "records", n)
}

// Dropped returns how many records a full buffer made Write drop.
func (l *Log) Dropped() uint64 {
	if l == nil {
		return 0
	}
	return l.drops.Load()
}

// WriteErrors returns how many records could not be written.
func (l *Log) WriteErrors() uint64 {
	if l == nil {
		return 0
	}
	return l.errs.Load()
}

// Close writes what a batched Log holds, then syncs and closes the
// underlying file, and stops the writer goroutine. Records written after
// Close are counted as write errors.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	if l.done != nil {
		// The writer writes what was buffered, then ends.
		close(l.quit)
		<-l.done
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var errs []error
	if l.syncer != nil {
		if err := l.syncer.Sync(); err != nil {
			errs = append(errs, fmt.Errorf("audit: syncing log: %w", err))
		}
	}
	if l.closer != nil {
		if err := l.closer.Close(); err != nil {
			errs = append(errs, fmt.Errorf("audit: closing log: %w", err))
		}
	}
	return errors.Join(errs...)
}
