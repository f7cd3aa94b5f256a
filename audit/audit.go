package audit

import (
	"encoding/json"
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
	// Registerer, when set, gets the payhsm_audit_records_total and
	// payhsm_audit_write_errors_total counters.
	Registerer prometheus.Registerer
}

// Log is an append-only audit log. It is safe for concurrent use. A nil
// *Log is valid and discards every record, so callers need no checks when
// auditing is off.
type Log struct {
	mu      sync.Mutex
	w       io.Writer
	closer  io.Closer
	syncer  interface{ Sync() error }
	closed  bool
	logger  *slog.Logger
	errs    atomic.Uint64
	records prometheus.Counter
	errsC   prometheus.Counter
}

// Open opens (creating it with mode 0600 if needed) the audit file at path
// for appending.
func Open(path string, opt Options) (*Log, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit: opening log: %w", err)
	}
	l, err := newLog(f, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	l.closer, l.syncer = f, f
	return l, nil
}

// New returns a Log writing to w, which must take each Write call whole
// (a file opened with O_APPEND, a pipe for records under PIPE_BUF, a
// buffer in a test). If w is an io.Closer, Close closes it.
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
	}
	if opt.Registerer != nil {
		for _, c := range []prometheus.Collector{l.records, l.errsC} {
			if err := opt.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("audit: registering metrics: %w", err)
			}
		}
	}
	return l, nil
}

// Write appends rec as one line. It never fails the caller: an encoding or
// write error is logged (without the record) and counted in WriteErrors.
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
	b, err := json.Marshal(ln)
	if err != nil {
		l.fail(err)
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
		l.fail(err)
		return
	}
	l.records.Inc()
}

var errClosed = errors.New("audit: log closed")

func (l *Log) fail(err error) {
	l.errs.Add(1)
	l.errsC.Inc()
	l.logger.Error("audit: write failed", "err", err)
}

// WriteErrors returns how many records could not be written.
func (l *Log) WriteErrors() uint64 {
	if l == nil {
		return 0
	}
	return l.errs.Load()
}

// Close syncs and closes the underlying file. Records written after Close
// are counted as write errors.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
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
