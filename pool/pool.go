package pool

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// Pool spreads commands over HSMs with health checks, LMK safety, licence
// limits and failover. It is safe for concurrent use. New starts its
// goroutines; Close stops them and waits.
type Pool struct {
	cfg  Config
	log  *slog.Logger
	hsms []*hsm
	m    *metrics

	lmkMu sync.RWMutex
	lmk   string // the pool's LMK check value, "" until known

	rr      atomic.Uint32
	closing atomic.Bool
	ready   chan struct{}
	readyMu sync.Once

	qmu          sync.Mutex
	qhead, qtail *Request
	qlen         atomic.Int64
	qkick        chan struct{}

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	bgWG   sync.WaitGroup // health, dispatcher and sweeper goroutines
	connWG sync.WaitGroup // connection readers and writers
	closed sync.Once
}

// New checks cfg, registers the pool's metrics and starts probing the HSMs
// at once. It does not wait for any HSM to come Up (see WaitReady); until
// one is, commands are answered 41. The pool runs until Close: ctx gives
// its probes their values (a trace, say), never its end.
func New(ctx context.Context, cfg Config) (*Pool, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Pool{
		cfg:   cfg,
		log:   cfg.Logger,
		lmk:   cfg.LMKCheckValue,
		ready: make(chan struct{}),
		qkick: make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	p.ctx, p.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for i, hc := range cfg.HSMs {
		h := &hsm{
			p: p, idx: i, cfg: hc, hl: hc.HeaderLen,
			conns:   make([]*conn, hc.Conns),
			lim:     newLimiter(float64(hc.CPS) * cfg.LicenceShare),
			kick:    make(chan struct{}, 1),
			roundCh: make(chan chan probeResult, 1),
			weight:  float64(hc.CPS) * cfg.LicenceShare,
		}
		if h.weight == 0 {
			h.weight = unlimitedWeight
		}
		h.state.Store(int32(Down))
		h.publishConns()
		p.hsms = append(p.hsms, h)
	}
	for _, h := range p.hsms {
		for _, o := range p.hsms {
			if o.cfg.Pair == h.cfg.Pair {
				h.pair |= 1 << o.idx
			}
		}
	}
	if p.m, err = newMetrics(p, cfg.Registerer); err != nil {
		p.cancel()
		return nil, err
	}
	for _, h := range p.hsms {
		p.bgWG.Add(1)
		go h.loop()
	}
	p.bgWG.Add(3)
	go p.healthLoop()
	go p.dispatchLoop()
	go p.sweepLoop()
	if !cfg.Hedge.Off {
		p.bgWG.Add(1)
		go p.hedgeLoop()
	}
	return p, nil
}

// unlimitedWeight is the spreading weight of an HSM with no licensed rate.
const unlimitedWeight = 1000

// WaitReady waits until at least one HSM is Up, or ctx ends.
func (p *Pool) WaitReady(ctx context.Context) error {
	select {
	case <-p.ready:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("pool: waiting for an HSM: %w", ctx.Err())
	}
}

// Do runs one command (body from the command code on, no header) on a
// healthy HSM, with failover, and returns the response body, whatever its
// error code: an HSM's answer is never an error here. When no HSM can
// serve the command in time, or ctx ends first, it returns an error that
// errors.As-matches *hostcmd.Error with Code "41" (ours, hostcmd.md §1).
// Do keeps no reference to body once it returns.
func (p *Pool) Do(ctx context.Context, body []byte) ([]byte, error) {
	resp, _, err := p.DoHSM(ctx, body)
	return resp, err
}

// DoHSM is Do that also returns the name of the HSM that answered, "" when
// the pool answered itself (ours: audit records name the HSM).
func (p *Pool) DoHSM(ctx context.Context, body []byte) ([]byte, string, error) {
	r := &Request{Body: append([]byte(nil), body...)}
	s := &doSink{ch: make(chan struct{}, 1)}
	var deadline int64
	if dl, ok := ctx.Deadline(); ok {
		deadline = nanotime() + int64(time.Until(dl))
	}
	p.submit([]*Request{r}, s, deadline)
	select {
	case <-s.ch:
		if r.err != nil {
			return nil, "", r.err
		}
		return r.Resp, r.HSM(), nil
	case <-ctx.Done():
		var code [2]byte
		copy(code[:], body)
		return nil, "", fmt.Errorf("pool: %w: %w", ctx.Err(), &hostcmd.Error{Cmd: string(code[:]), Code: hostcmd.InternalError})
	}
}

type doSink struct{ ch chan struct{} }

func (s *doSink) Complete(*Request) { s.ch <- struct{}{} }
func (s *doSink) Flush()            {}

// Submit hands a batch of commands to the pool, all answered through s.
// The batch goes to one connection when capacity allows, so that commands
// read together are written together. Submit does not block on the network;
// commands that find no capacity wait in the queue. Complete may be called
// before Submit returns (for commands answered 41 at once).
func (p *Pool) Submit(batch []*Request, s Sink) { p.submit(batch, s, 0) }

// submit is Submit with an optional earlier deadline for waiting in the
// queue (Do's context), 0 for none.
func (p *Pool) submit(batch []*Request, s Sink, deadline int64) {
	now := nanotime()
	maxBody := hostcmd.MaxFrameLen - hostcmd.MaxHeaderLen
	var good []*Request // only built if some command is malformed
	var shed bool
	for i, r := range batch {
		r.sink = s
		r.err = nil
		r.start = now
		r.attempts, r.tried, r.hsm, r.next, r.probe = 0, 0, nil, nil, false
		r.hg, r.hedgeSkipped = nil, false
		r.deadline = now + int64(p.cfg.QueueTimeout)
		if deadline != 0 && deadline < r.deadline {
			r.deadline = deadline
		}
		if len(r.Body) < 2 || len(r.Body) > maxBody {
			if good == nil {
				good = append(make([]*Request, 0, len(batch)), batch[:i]...)
			}
			r.code, r.cmd = [2]byte{'?', '?'}, 0
			if len(r.Body) >= 2 {
				r.code = [2]byte{r.Body[0], r.Body[1]}
			}
			p.shed(r, shedBadRequest, hostcmd.InvalidInput)
			shed = true
			continue
		}
		r.code = [2]byte{r.Body[0], r.Body[1]}
		r.cmd = cmdIndex(r.code)
		if good != nil {
			good = append(good, r)
		}
	}
	if good != nil {
		batch = good
	}
	if len(batch) > 0 {
		switch {
		case p.closing.Load():
			for _, r := range batch {
				p.shed(r, shedClosed, hostcmd.InternalError)
			}
			shed = true
		case p.qlen.Load() > 0:
			// Others wait already: queue behind them, in order.
			shed = p.enqueue(batch) || shed
		case !p.anyUp(0):
			for _, r := range batch {
				p.shed(r, shedNoHSM, hostcmd.InternalError)
			}
			shed = true
		default:
			n := p.place(batch, now)
			if n < len(batch) {
				shed = p.enqueue(batch[n:]) || shed
			}
		}
	}
	if shed {
		s.Flush()
	}
}

// place writes a batch of commands with the same tried set and the same
// failed HSM, as much of it as capacity allows, and returns how many it
// placed. Commands moved off a failed HSM (r.hsm is still that HSM; submit
// clears it) go to an HSM of its HA pair while one can take them, and only
// then to any other (ours: the pair's standby is sized for its partner's
// load). First placements pay one nil check for this.
func (p *Pool) place(batch []*Request, now int64) int {
	placed := 0
	excl := batch[0].tried
	var others uint64 // HSMs passed over while the failed HSM's pair can serve
	if f := batch[0].hsm; f != nil {
		others = ^f.pair
	}
	for placed < len(batch) {
		h := p.pick(excl | others)
		if h == nil {
			if others == 0 {
				break
			}
			others = 0 // no HSM of the pair can take it: any other Up HSM
			continue
		}
		k := h.lim.take(len(batch)-placed, now)
		if k == 0 {
			excl |= 1 << h.idx
			continue
		}
		c := h.pickConn()
		if c == nil {
			h.lim.giveBack(k)
			excl |= 1 << h.idx
			continue
		}
		s := c.send(batch[placed:placed+k], now)
		h.lim.giveBack(k - s)
		if s == 0 {
			excl |= 1 << h.idx
		}
		placed += s
	}
	return placed
}

// pick returns the Up HSM outside excl with the fewest commands in flight
// relative to its licensed rate, one suspected stuck (hedge.go) only when
// no other is Up; ties go round in turn. An HSM suspected stuck is passed
// over even when the others are excluded (for now out of licence): the
// command waits for their tokens rather than on an HSM that does not answer.
func (p *Pool) pick(excl uint64) *hsm {
	n := len(p.hsms)
	start := int(p.rr.Add(1) % uint32(n))
	var best *hsm
	var bestScore float64
	for i := 0; i < n; i++ {
		h := p.hsms[(start+i)%n]
		if excl&(1<<h.idx) != 0 || h.State() != Up || p.stuck(h) {
			continue
		}
		score := float64(h.inflight.Load()+1)/h.weight + h.hedge.pickPenalty()
		if best == nil || score < bestScore {
			best, bestScore = h, score
		}
	}
	return best
}

// anyUp reports whether an HSM outside excl is Up with a usable connection.
func (p *Pool) anyUp(excl uint64) bool {
	for _, h := range p.hsms {
		if excl&(1<<h.idx) == 0 && h.State() == Up && h.pickConn() != nil {
			return true
		}
	}
	return false
}

// enqueue appends commands to the wait queue, answering 41 to those beyond
// QueueSize; it reports whether it answered any.
func (p *Pool) enqueue(rs []*Request) bool {
	shed := false
	p.qmu.Lock()
	for _, r := range rs {
		if p.qlen.Load() >= int64(p.cfg.QueueSize) || p.closing.Load() {
			p.qmu.Unlock()
			reason := shedQueueFull
			if p.closing.Load() {
				reason = shedClosed
			}
			p.shed(r, reason, hostcmd.InternalError)
			shed = true
			p.qmu.Lock()
			continue
		}
		r.next = nil
		if p.qtail == nil {
			p.qhead = r
		} else {
			p.qtail.next = r
		}
		p.qtail = r
		p.qlen.Add(1)
	}
	p.qmu.Unlock()
	p.kickDispatcher()
	return shed
}

func (p *Pool) kickDispatcher() {
	select {
	case p.qkick <- struct{}{}:
	default:
	}
}

// dispatchLoop moves queued commands to HSMs as capacity returns.
func (p *Pool) dispatchLoop() {
	defer p.bgWG.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		wait := p.drainQueue()
		if wait > 0 {
			timer.Reset(wait)
		}
		select {
		case <-p.qkick:
		case <-timer.C:
		case <-p.done:
			return
		}
	}
}

// drainQueue places queued commands in order until one finds no capacity;
// it returns how long to wait before trying again (0: wait for a kick).
// It takes runs of commands off the head together, so that a busy queue
// still writes batches; a run shares its tried set and failed HSM, as
// place requires.
func (p *Pool) drainQueue() time.Duration {
	var sinks []Sink
	defer func() {
		for _, s := range sinks {
			s.Flush()
		}
	}()
	batch := make([]*Request, 0, drainBatch)
	for {
		p.qmu.Lock()
		r := p.qhead
		if r == nil {
			p.qmu.Unlock()
			return 0
		}
		now := nanotime()
		if !p.anyUp(r.tried) || now > r.deadline {
			p.popHead()
			p.qmu.Unlock()
			sinks = addSink(sinks, r.sink)
			reason := shedQueueWait
			if now <= r.deadline {
				reason = shedNoHSM
			}
			p.shed(r, reason, hostcmd.InternalError)
			continue
		}
		// Take the run off the queue before placing it: once written a
		// command may be answered and reused by its owner at any moment.
		batch = batch[:0]
		for x := p.qhead; x != nil && len(batch) < drainBatch && x.tried == r.tried && x.hsm == r.hsm && now <= x.deadline; x = p.qhead {
			p.popHead()
			batch = append(batch, x)
		}
		p.qmu.Unlock()
		n := p.place(batch, now)
		if n < len(batch) {
			p.qmu.Lock()
			for i := len(batch) - 1; i >= n; i-- {
				p.pushFront(batch[i])
			}
			p.qmu.Unlock()
			clear(batch)
			return p.nextToken(now)
		}
		clear(batch)
	}
}

// drainBatch is the most queued commands placed together.
const drainBatch = 64

// pushFront puts r back at the head of the queue. Called with qmu held.
func (p *Pool) pushFront(r *Request) {
	r.next = p.qhead
	p.qhead = r
	if p.qtail == nil {
		p.qtail = r
	}
	p.qlen.Add(1)
}

// popHead removes the head of the queue. Called with qmu held.
func (p *Pool) popHead() {
	r := p.qhead
	p.qhead = r.next
	if p.qhead == nil {
		p.qtail = nil
	}
	r.next = nil
	p.qlen.Add(-1)
}

// nextToken returns how long until an Up HSM has a licence token, at least
// a millisecond (a full window is signalled by a kick instead).
func (p *Pool) nextToken(now int64) time.Duration {
	best := int64(-1)
	for _, h := range p.hsms {
		if h.State() != Up {
			continue
		}
		if w := h.lim.wait(now); best < 0 || w < best {
			best = w
		}
	}
	return max(time.Duration(best), time.Millisecond)
}

// sweepLoop fails connections whose oldest command is overdue and answers
// queued commands that waited too long.
func (p *Pool) sweepLoop() {
	defer p.bgWG.Done()
	tick := min(p.cfg.CommandTimeout, p.cfg.QueueTimeout) / 5
	tick = min(max(tick, 2*time.Millisecond), 50*time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-p.done:
			return
		}
		now := nanotime()
		for _, h := range p.hsms {
			h.connMu.Lock()
			cs := append([]*conn(nil), h.conns...)
			h.connMu.Unlock()
			for _, c := range cs {
				if c == nil {
					continue
				}
				if at := c.oldest(); at >= 0 && now-at > int64(p.cfg.CommandTimeout) {
					c.fail(failTimeout, errTimeout)
				}
			}
		}
		if p.qlen.Load() > 0 {
			p.kickDispatcher()
		}
	}
}

// redispatch sends on a command whose connection failed before it was
// answered. written says whether it reached the HSM's socket. r.hsm stays
// the failed HSM, so that place prefers its pair.
func (p *Pool) redispatch(r *Request, written bool, now int64) {
	if r.hg != nil {
		r.hg.legFailed(r, written, now)
		return
	}
	if r.probe {
		r.err = errClosed
		r.sink.Complete(r)
		return
	}
	if p.closing.Load() {
		p.shed(r, shedClosed, hostcmd.InternalError)
		return
	}
	if written {
		r.tried |= 1 << r.hsm.idx
		spec, ok := hostcmd.Lookup(r.code)
		if !ok || !spec.RetrySafe {
			p.shed(r, shedNotSafe, hostcmd.InternalError)
			return
		}
		if r.attempts >= p.cfg.MaxAttempts {
			p.shed(r, shedAttempts, hostcmd.InternalError)
			return
		}
		p.m.retries.Inc()
	} else {
		r.attempts-- // it never reached that HSM
	}
	p.m.failovers.Inc()
	r.deadline = now + int64(p.cfg.QueueTimeout)
	if !p.anyUp(r.tried) {
		p.shed(r, shedNoHSM, hostcmd.InternalError)
		return
	}
	if p.qlen.Load() == 0 && p.place([]*Request{r}, now) == 1 {
		return
	}
	p.enqueue([]*Request{r})
}

// shed answers r with the pool's own error code and counts the cause.
func (p *Pool) shed(r *Request, reason string, code hostcmd.Code) {
	r.err = &shedError{hc: hostcmd.Error{Cmd: string(r.code[:]), Code: code}, reason: reason}
	rc := hostcmd.ResponseCode(r.code)
	r.Resp = append(r.Resp[:0], rc[0], rc[1], code[0], code[1])
	p.m.shed.WithLabelValues(reason).Inc()
	p.m.errorFor(r.cmd, code).Inc()
	r.sink.Complete(r)
}

// answered accounts for an HSM's answer and completes r.
func (p *Pool) answered(r *Request, now int64) {
	h := r.hsm
	if r.probe {
		r.sink.Complete(r)
		return
	}
	h.sent.Add(1)
	h.cmdCount[r.cmd].Inc()
	h.hedge.lat.observe(now - r.sentAt)
	if r.hg == nil { // a hedged command's latency is its winner's (hedge.go)
		p.m.latency[r.cmd].Observe(float64(now-r.start) / 1e9)
	}
	if len(r.Resp) >= 4 && (r.Resp[2] != '0' || r.Resp[3] != '0') {
		code := hostcmd.Code(r.Resp[2:4])
		p.m.errorFor(r.cmd, code).Inc()
		if code == hostcmd.InternalError || code == "42" {
			if int(h.errRun.Add(1)) >= p.cfg.Fails {
				p.passiveDown(h, "answers error "+string(code))
			}
		}
	} else if h.errRun.Load() != 0 {
		h.errRun.Store(0)
	}
	r.sink.Complete(r)
}

// connFailed is the passive health signal of a failed connection.
func (p *Pool) connFailed(c *conn, kind failKind, err error) {
	if p.closing.Load() || kind == failClosed || kind == failCascade {
		return
	}
	h := c.h
	switch kind {
	case failTimeout:
		p.passiveDown(h, "command timeout")
		// The HSM as a whole is not answering: do not wait for the other
		// connections' commands to time out one by one.
		h.failAll(failCascade, errCascade)
	case failProto:
		p.passiveDown(h, "protocol error: "+err.Error())
	default:
		p.passiveDown(h, "connection lost")
	}
	h.kickProbe()
}

// passiveDown takes h Down after a failure seen in traffic.
func (p *Pool) passiveDown(h *hsm, reason string) {
	h.hmu.Lock()
	h.lastErr = reason
	h.passes = 0
	if h.State() == Up {
		p.setState(h, Down, reason)
	}
	h.hmu.Unlock()
}

// SetDraining takes the named HSM out of service (on) or puts it back to
// be probed in (off). Commands in flight on it finish.
func (p *Pool) SetDraining(name string, on bool) error {
	for _, h := range p.hsms {
		if h.cfg.Name != name {
			continue
		}
		h.hmu.Lock()
		defer h.hmu.Unlock()
		switch {
		case on && h.State() != Draining:
			p.setState(h, Draining, "drained by operator")
		case !on && h.State() == Draining:
			h.passes = 0
			p.setState(h, Down, "undrained by operator")
			h.kickProbe()
		}
		return nil
	}
	return fmt.Errorf("pool: no HSM named %q", name)
}

// Close stops the pool: commands still waiting or in flight are answered
// 41, connections are closed and every goroutine has ended when it returns.
func (p *Pool) Close() error {
	p.closed.Do(func() {
		p.closing.Store(true)
		close(p.done)
		p.cancel()
		p.bgWG.Wait()
		for _, h := range p.hsms {
			h.failAll(failClosed, errClosed)
		}
		p.qmu.Lock()
		var rs []*Request
		for p.qhead != nil {
			rs = append(rs, p.qhead)
			p.popHead()
		}
		p.qmu.Unlock()
		var sinks []Sink
		for _, r := range rs {
			sinks = addSink(sinks, r.sink)
			p.shed(r, shedClosed, hostcmd.InternalError)
		}
		for _, s := range sinks {
			s.Flush()
		}
		p.connWG.Wait()
		p.m.unregister()
	})
	return nil
}
