package pool

import (
	"fmt"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// Request is one command on the pool's batched path, used by the gateway
// front with Submit (Do wraps it for single commands). The caller sets Body
// (and may keep Resp's capacity for reuse) and must leave the Request alone
// from Submit until its Sink's Complete.
type Request struct {
	// Body is the command body: code, fields, optional %nn and trailer,
	// without the message header. The pool reads it until Complete, and may
	// resend it to another HSM.
	Body []byte
	// Resp is the response body (response code, error code, fields) once
	// the Request is complete. The pool appends to Resp[:0].
	Resp []byte
	// Tag is for the Sink's own use; the pool never reads or writes it.
	Tag uint64

	err      error // the pool's own answer (41), nil when an HSM answered
	sink     Sink
	code     [2]byte
	cmd      int   // metric index of the command code
	start    int64 // nanotime when submitted
	deadline int64 // nanotime after which it may no longer wait for capacity
	sentAt   int64 // nanotime when written to the current connection
	attempts int   // HSMs written to
	tried    uint64
	hsm      *hsm
	probe    bool
	seq      uint64
	next     *Request // queue link

	hg           *hedgeGroup // set on hedge legs only (hedge.go)
	hedgeSkipped bool        // counted once as skipped for budget
}

// Err returns nil when an HSM answered the Request (whatever its error
// code), or the reason the pool answered it itself with error 41: an error
// that errors.As-matches *hostcmd.Error with Code "41".
func (r *Request) Err() error { return r.err }

// HSM returns the name of the HSM that answered the Request, or "" when the
// pool answered it itself (Err is not nil). Valid from Complete on (ours).
func (r *Request) HSM() string {
	if r.err != nil || r.hsm == nil {
		return ""
	}
	return r.hsm.cfg.Name
}

// Sink receives completed Requests. Complete may be called from any pool
// goroutine, concurrently for different Requests; after it returns the pool
// no longer touches the Request. Flush follows each group of Completes made
// by one goroutine (one read from an HSM, one shed batch), so that a Sink can
// answer its client with one write per group.
type Sink interface {
	Complete(r *Request)
	Flush()
}

// shedError is the pool's own 41 answer: it names the real cause for logs
// and metrics, and errors.As-matches *hostcmd.Error{Code: "41"}.
type shedError struct {
	hc     hostcmd.Error
	reason string
}

func (e *shedError) Error() string {
	return fmt.Sprintf("pool: %s: no HSM answered: %s", e.hc.Cmd, e.reason)
}

func (e *shedError) Unwrap() error { return &e.hc }

// Reasons a command is answered 41 by the pool; they label payhsm_pool_shed_total.
const (
	shedNoHSM      = "no_hsm"        // no HSM is Up
	shedQueueFull  = "queue_full"    // the queue is at QueueSize
	shedQueueWait  = "queue_timeout" // waited QueueTimeout for capacity
	shedNotSafe    = "not_retry_safe"
	shedAttempts   = "attempts" // MaxAttempts HSMs failed
	shedClosed     = "closed"   // the pool is closing
	shedBadRequest = "bad_request"
)

var epoch = time.Now()

// nanotime is monotonic nanoseconds since the package was loaded.
func nanotime() int64 { return int64(time.Since(epoch)) }
