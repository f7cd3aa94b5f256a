package pool

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// probeResult is the outcome of one active probe.
type probeResult struct {
	ok  bool
	lmk string
	err string
}

// loop is h's goroutine: it runs probes, in rounds or after a failure, so
// that one HSM is never probed twice at once.
func (h *hsm) loop() {
	defer h.p.bgWG.Done()
	for {
		select {
		case reply := <-h.roundCh:
			reply <- h.probe()
		case <-h.kick:
			res := h.probe()
			h.p.lmkMu.RLock()
			known := h.p.lmk != ""
			h.p.lmkMu.RUnlock()
			if known {
				h.p.applyProbe(h, res)
			}
		case <-h.p.done:
			return
		}
	}
}

// healthLoop runs a probe round at once and then every HealthInterval.
func (p *Pool) healthLoop() {
	defer p.bgWG.Done()
	t := time.NewTicker(p.cfg.HealthInterval)
	defer t.Stop()
	for {
		p.round()
		select {
		case <-t.C:
		case <-p.done:
			return
		}
	}
}

// round probes every HSM in parallel, waits for all, and only then applies
// the results in configuration order: the pool's LMK check value, when not
// configured, is that of the first HSM in order that answered, whichever
// probe returned first.
func (p *Pool) round() {
	replies := make([]chan probeResult, len(p.hsms))
	for i, h := range p.hsms {
		replies[i] = make(chan probeResult, 1)
		select {
		case h.roundCh <- replies[i]:
		case <-p.done:
			return
		}
	}
	results := make([]probeResult, len(p.hsms))
	for i := range p.hsms {
		select {
		case results[i] = <-replies[i]:
		case <-p.done:
			return
		}
	}
	p.lmkMu.Lock()
	if p.lmk == "" {
		for i, res := range results {
			if res.ok {
				p.lmk = res.lmk
				p.log.Info("pool: LMK check value adopted", "hsm", p.hsms[i].cfg.Name, "lmk_check_value", res.lmk)
				break
			}
		}
	}
	p.lmkMu.Unlock()
	now := nanotime()
	for i, h := range p.hsms {
		p.applyProbe(h, results[i])
		h.hmu.Lock()
		sent := h.sent.Load()
		if h.lastAt != 0 && h.cfg.CPS > 0 && now > h.lastAt {
			h.use = float64(sent-h.lastSent) / (float64(now-h.lastAt) / 1e9) / float64(h.cfg.CPS)
		}
		h.lastSent, h.lastAt = sent, now
		h.hmu.Unlock()
	}
}

// probe fills h's missing connections (after their backoff), asks NC on
// every connection, so that each one's own LMK check value is checked
// every round, then NO on one of them when h's probe set has it.
func (h *hsm) probe() probeResult {
	p := h.p
	ctx, cancel := context.WithTimeout(p.ctx, p.cfg.ProbeTimeout)
	defer cancel()
	dialErr := h.dialMissing(ctx)
	v := h.view.Load()
	if v == nil || len(*v) == 0 {
		msg := "no connection"
		if dialErr != nil {
			msg = "connect: " + dialErr.Error()
		}
		return probeResult{err: msg}
	}
	conns := *v
	waits := make([]probeSink, len(conns))
	for i, c := range conns {
		waits[i] = h.send(ctx, c, []byte("NC"))
	}
	var first *conn
	var res probeResult
	for i, c := range conns {
		body, err := h.await(ctx, waits[i])
		if err == nil {
			var lmk string
			if lmk, err = parseND(body); err == nil {
				h.connMu.Lock()
				c.lmk = lmk
				h.connMu.Unlock()
				if first == nil {
					first, res = c, probeResult{ok: true, lmk: lmk}
				}
				continue
			}
		}
		if res.err == "" {
			res.err = "NC: " + err.Error()
		}
	}
	if first == nil {
		return probeResult{err: res.err}
	}
	if h.cfg.Probes&ProbeNO == 0 {
		return res
	}
	body, err := h.await(ctx, h.send(ctx, first, []byte("NO00")))
	if err != nil {
		return probeResult{err: "NO: " + err.Error()}
	}
	if len(body) < 4 || string(body[:2]) != "NP" {
		return probeResult{err: "NO answer is not NP"}
	}
	if code := string(body[2:4]); code != string(hostcmd.OK) {
		return probeResult{err: "NO answered error " + code}
	}
	return probeResult{ok: true, lmk: res.lmk}
}

// dialMissing connects the empty connection slots whose backoff is over.
// It stops at the first failure, which it returns.
func (h *hsm) dialMissing(ctx context.Context) error {
	for i := range h.cfg.Conns {
		h.connMu.Lock()
		have := h.conns[i] != nil
		h.connMu.Unlock()
		if have {
			continue
		}
		h.hmu.Lock()
		wait := h.nextDial > nanotime()
		h.hmu.Unlock()
		if wait {
			return errors.New("waiting to reconnect")
		}
		c, err := h.dial(ctx)
		h.hmu.Lock()
		if err != nil {
			h.dialFails++
			h.nextDial = nanotime() + int64(backoff(h.dialFails))
			h.hmu.Unlock()
			return err
		}
		h.dialFails = 0
		h.hmu.Unlock()
		h.p.lmkMu.RLock()
		c.lmkOK.Store(h.p.lmk != "" && lmkEqual(c.lmk, h.p.lmk) && h.State() != LMKMismatch)
		h.p.lmkMu.RUnlock()
		h.connMu.Lock()
		closing := h.p.closing.Load()
		if !closing {
			h.conns[i] = c
			h.publishConns()
		}
		h.connMu.Unlock()
		if closing {
			c.fail(failClosed, errClosed)
			return errClosed
		}
	}
	return nil
}

// probeSink hands a probe's answer back to the waiting prober, and marks
// its connection free for the next probe.
type probeSink struct {
	ch chan *Request
	c  *conn
}

func (s probeSink) Complete(r *Request) {
	s.c.probeOut.Store(false)
	s.ch <- r
}
func (s probeSink) Flush() {}

// probeSlotPoll is how often a probe retries a limited connection whose
// slots are all taken; commands stop taking slots while it waits.
const probeSlotPoll = 200 * time.Microsecond

// send sends one probe command on c; await waits for its answer. A probe
// is not written while c's previous probe is unanswered: the new one
// fails at once instead.
func (h *hsm) send(ctx context.Context, c *conn, body []byte) probeSink {
	s := probeSink{ch: make(chan *Request, 1), c: c}
	r := &Request{Body: body, probe: true, sink: s, code: [2]byte{body[0], body[1]}}
	if !c.probeOut.CompareAndSwap(false, true) {
		r.err = errProbePending
		s.ch <- r
		return s
	}
	now := nanotime()
	r.start = now
	h.lim.force(1, now)
	sent := c.send([]*Request{r}, now) > 0
	if !sent && c.limit > 0 {
		c.probeWait.Add(1)
		for !sent && ctx.Err() == nil && !c.isBroken() {
			time.Sleep(probeSlotPoll)
			sent = c.send([]*Request{r}, nanotime()) > 0
		}
		c.probeWait.Add(-1)
	}
	if !sent {
		c.probeOut.Store(false)
		r.err = errNoSlot
		s.ch <- r
	}
	return s
}

var (
	// errNoSlot is a probe's failure when its connection had no window
	// slot left, not even the probes' reserve, or was closed.
	errNoSlot = errors.New("connection closed or its window full")
	// errProbePending is a probe's failure when the connection's previous
	// probe is still unanswered.
	errProbePending = errors.New("previous probe still unanswered")
)

func (h *hsm) await(ctx context.Context, s probeSink) ([]byte, error) {
	select {
	case r := <-s.ch:
		if r.err == errNoSlot || r.err == errProbePending {
			return nil, r.err
		}
		if r.err != nil {
			return nil, errors.New("connection lost")
		}
		return r.Resp, nil
	case <-ctx.Done():
		return nil, errors.New("no answer in time")
	}
}

// applyProbe moves h between states after a probe.
func (p *Pool) applyProbe(h *hsm, res probeResult) {
	p.lmkMu.RLock()
	poolLMK := p.lmk
	p.lmkMu.RUnlock()
	h.hmu.Lock()
	defer h.hmu.Unlock()
	if !res.ok {
		h.passes = 0
		h.fails++
		if res.err != h.lastErr {
			// The first failure and each change of reason, not every
			// round: an HSM that stays Down says why once.
			p.log.Warn("pool: HSM probe failed", "hsm", h.cfg.Name, "pair", h.cfg.Pair, "addr", h.cfg.Addr,
				"state", h.State().String(), "reason", res.err)
		}
		h.lastErr = res.err
		if h.State() == Up && (h.fails >= p.cfg.Fails || p.stuck(h)) {
			reason := res.err
			if h.fails < p.cfg.Fails {
				reason += " (suspected stuck: most of its commands in flight are hedged)"
			}
			p.setState(h, Down, reason)
		}
		return
	}
	h.lmk = res.lmk
	if poolLMK == "" {
		return
	}
	if !lmkEqual(res.lmk, poolLMK) {
		h.passes = 0
		h.lastErr = "LMK check value differs from the pool's"
		h.markConns("")
		if s := h.State(); s != LMKMismatch && s != Draining {
			p.m.lmkMismatch.WithLabelValues(h.cfg.Name).Inc()
			p.log.Error("pool: HSM QUARANTINED: its LMK check value differs from the pool's; it will receive no command",
				"hsm", h.cfg.Name, "pair", h.cfg.Pair, "addr", h.cfg.Addr,
				"lmk_check_value", res.lmk, "pool_lmk_check_value", poolLMK)
			p.setState(h, LMKMismatch, "LMK check value differs")
		}
		return
	}
	h.fails = 0
	h.passes++
	h.markConns(poolLMK)
	if s := h.State(); (s == Down || s == LMKMismatch) && h.passes >= p.cfg.Passes {
		h.errRun.Store(0)
		h.lastErr = ""
		p.setState(h, Up, "probes pass")
	}
}

// setState changes h's state, logging and counting only real changes.
// Called with h.hmu held.
func (p *Pool) setState(h *hsm, s State, reason string) {
	old := State(h.state.Swap(int32(s)))
	if old == s {
		return
	}
	p.m.transitions.WithLabelValues(h.cfg.Name, s.String()).Inc()
	level := p.log.Info
	if s != Up && s != Draining {
		level = p.log.Warn
	}
	if s != LMKMismatch {
		level(fmt.Sprintf("pool: HSM %s", s), "hsm", h.cfg.Name, "pair", h.cfg.Pair, "from", old.String(), "reason", reason)
	}
	if s == Up {
		p.readyMu.Do(func() { close(p.ready) })
	} else {
		p.pairCheck(h)
	}
}

// pairCheck warns when a pair has no HSM left Up.
func (p *Pool) pairCheck(h *hsm) {
	for _, o := range p.hsms {
		if o.cfg.Pair == h.cfg.Pair && o.State() == Up {
			return
		}
	}
	p.log.Warn("pool: HA pair has no HSM up", "pair", h.cfg.Pair)
}
