package pool

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// echoLoad is steady echo traffic through Submit: each worker has one
// command in flight at a time. For every answer it records the latency
// and, for a command that had been written to an HSM that then failed
// (Request.tried not empty), which HSM answered it in the end.
type echoLoad struct {
	stop chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	answered int
	lats     []time.Duration
	lost     []string       // what went wrong, one line per command
	moved    map[string]int // failed-over commands by the HSM that answered
	triedOn  map[uint64]int // failed-over commands by the HSMs they failed on
}

func startEchoLoad(p *Pool, workers int) *echoLoad {
	l := &echoLoad{stop: make(chan struct{}), moved: map[string]int{}, triedOn: map[uint64]int{}}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			r := &Request{}
			s := &doSink{ch: make(chan struct{}, 1)}
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				data := fmt.Sprintf("w%di%d", w, i)
				r.Body = echo(data)
				start := time.Now()
				p.Submit([]*Request{r}, s)
				<-s.ch
				lat := time.Since(start)
				l.mu.Lock()
				l.lats = append(l.lats, lat)
				switch want := "B300" + data; {
				case r.Err() != nil:
					l.lost = append(l.lost, fmt.Sprintf("%s: %v", data, r.Err()))
				case string(r.Resp) != want:
					l.lost = append(l.lost, fmt.Sprintf("%s: have %q, want %q", data, r.Resp, want))
				default:
					l.answered++
					if r.tried != 0 {
						l.moved[r.HSM()]++
						l.triedOn[r.tried]++
					}
				}
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// until waits, with the load running, until cond holds.
func (l *echoLoad) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// halt stops the workers and waits for their last answers.
func (l *echoLoad) halt() {
	close(l.stop)
	l.wg.Wait()
}

// finish halts the load and returns every latency, sorted, and what went
// wrong.
func (l *echoLoad) finish() (lats []time.Duration, lost []string) {
	l.halt()
	slices.Sort(l.lats)
	return l.lats, l.lost
}

func (l *echoLoad) movedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, k := range l.moved {
		n += k
	}
	return n
}
