//go:build chaos

package chaos

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// mix is the commands the driver sends in turn, each with its exact
// expected answer where one is known. Vectors: simulator/testdata/hostcmd.json,
// from the ThalesSim test suite (nickntg/thalessimulatorlibrary,
// ThalesCore.Tests/HostCommandTests.vb), under the public test LMK.
var mix = []struct {
	req, want string // want "" means: any answer with code 00
}{
	{"CCBAB32D775A38E4ABU1EF828AA8F6B80EB83E19FBC373F3A8512F7808F2CBEC631680301550000025321", "CD000491DDDA0A7C12CFAA01"},
	{"CYU9B4934384B19946B040CD702B4D581455614123456789012345;8701101", "CZ00"},
	{"NC", ""},
}

// loadResult counts what one open-loop run got back.
type loadResult struct {
	Rate     int
	Sent     atomic.Int64 // commands handed to a client
	Answered atomic.Int64 // answers received, whatever their code
	Lost     atomic.Int64 // no answer and no error before the client's deadline
	// AnsweredAfterMark counts answers received after the time set by
	// setMark: commands in flight at that moment.
	AnsweredAfterMark atomic.Int64
	mark              atomic.Int64 // unix nanoseconds, 0 = none

	mu       sync.Mutex
	byCode   map[string]int64 // failures: error code, "conn" (connection error) or "mismatch"
	maxLat   time.Duration    // from scheduled send to answer, every answer
	maxLat41 time.Duration    // the same, for answers with code 41
	samples  []latSample      // every answer, for percentiles over a window
	done     chan struct{}
}

// latSample is one answer: when its command was scheduled and how long it
// took from then.
type latSample struct {
	sched time.Time
	lat   time.Duration
}

// quantile returns the q-quantile (nearest rank) of the latencies of the
// answered commands scheduled in [from, to), and how many there were.
func (r *loadResult) quantile(q float64, from, to time.Time) (time.Duration, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return quantileIn(r.samples, q, from, to)
}

// countIn returns how many answered commands were scheduled in [from, to).
func (r *loadResult) countIn(from, to time.Time) int {
	_, n := r.quantile(0, from, to)
	return n
}

func (r *loadResult) fail(code string) {
	r.mu.Lock()
	r.byCode[code]++
	r.mu.Unlock()
}

func (r *loadResult) failed() map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int64{}
	for k, v := range r.byCode {
		out[k] = v
	}
	return out
}

func (r *loadResult) maxLatency() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.maxLat
}

func (r *loadResult) maxLatency41() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.maxLat41
}

// setMark records now; answers received later are counted in
// AnsweredAfterMark.
func (r *loadResult) setMark() { r.mark.Store(time.Now().UnixNano()) }

// wait blocks until every command of the run has its outcome.
func (r *loadResult) wait() *loadResult {
	<-r.done
	return r
}

// loadSpec is one open-loop run.
type loadSpec struct {
	Addr     string
	Rate     int           // commands per second
	Duration time.Duration // how long commands are started
	Conns    int           // client connections (default 8)
	Deadline time.Duration // per command; past it the command counts as lost (default 10s)
}

// startLoad dials the clients and starts an open-loop run: command i is
// scheduled at i/Rate after the start whatever happened to the others, and
// its latency is measured from that time (no coordinated omission). It
// returns at once; call wait on the result.
func startLoad(t *testing.T, s loadSpec) *loadResult {
	t.Helper()
	if s.Conns == 0 {
		s.Conns = 8
	}
	if s.Deadline == 0 {
		s.Deadline = 10 * time.Second
	}
	ctx := context.Background()
	clients := make([]*hostcmd.Client, s.Conns)
	for i := range clients {
		c, err := hostcmd.Dial(ctx, s.Addr, hostcmd.ClientOptions{HeaderLen: 4, DialTimeout: 5 * time.Second})
		if err != nil {
			t.Fatalf("load: dial %s: %v", s.Addr, err)
		}
		clients[i] = c
		t.Cleanup(func() { c.Close() })
	}
	r := &loadResult{Rate: s.Rate, byCode: map[string]int64{}, done: make(chan struct{})}
	total := int64(s.Rate) * int64(s.Duration) / int64(time.Second)
	interval := time.Second / time.Duration(s.Rate)
	go func() {
		defer close(r.done)
		var wg sync.WaitGroup
		start := time.Now()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for i := int64(0); i < total; {
			<-tick.C
			due := min(total, int64(time.Since(start)/interval)+1)
			for ; i < due; i++ {
				sched := start.Add(time.Duration(i) * interval)
				c, m := clients[i%int64(len(clients))], mix[i%int64(len(mix))]
				r.Sent.Add(1)
				wg.Add(1)
				go func() {
					defer wg.Done()
					r.one(c, sched, s.Deadline, m.req, m.want)
				}()
			}
		}
		wg.Wait()
	}()
	return r
}

// one sends one command and records its outcome.
func (r *loadResult) one(c *hostcmd.Client, sched time.Time, deadline time.Duration, req, want string) {
	ctx, cancel := context.WithDeadline(context.Background(), sched.Add(deadline))
	defer cancel()
	resp, err := c.RoundTrip(ctx, []byte(req))
	lat := time.Since(sched)
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		r.Lost.Add(1)
		return
	case err != nil:
		r.fail("conn")
		return
	}
	r.Answered.Add(1)
	if m := r.mark.Load(); m != 0 && time.Now().UnixNano() > m {
		r.AnsweredAfterMark.Add(1)
	}
	r.mu.Lock()
	r.maxLat = max(r.maxLat, lat)
	r.samples = append(r.samples, latSample{sched, lat})
	r.mu.Unlock()
	code := "short"
	if len(resp) >= 4 {
		code = string(resp[2:4])
	}
	switch {
	case code == "41":
		r.mu.Lock()
		r.maxLat41 = max(r.maxLat41, lat)
		r.mu.Unlock()
		r.fail(code)
	case code != "00":
		r.fail(code)
	case want != "" && string(resp) != want:
		r.fail("mismatch")
	}
}

// requireClean fails t unless every command of r was answered 00 with
// the expected answer.
func requireClean(t *testing.T, what string, r *loadResult) {
	t.Helper()
	if f := r.failed(); len(f) > 0 || r.Lost.Load() > 0 || r.Answered.Load() != r.Sent.Load() {
		t.Errorf("%s: sent %d, answered %d, lost %d, failed %v; want every command answered 00",
			what, r.Sent.Load(), r.Answered.Load(), r.Lost.Load(), f)
	}
}
