package pool

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// HedgeConfig configures hedged requests (ours, after Dean and Barroso,
// "The Tail at Scale", 2013): a retry-safe command still unanswered after
// its HSM's hedge delay is also sent to another Up HSM, its HA pair partner
// first, and the first answer wins. Zero values take the stated defaults.
type HedgeConfig struct {
	// Off turns hedging off: a command waits for its HSM's answer or
	// CommandTimeout, as without hedging (default false: hedging is on).
	Off bool
	// Multiplier times an HSM's p99 answer latency over the last seconds
	// is its hedge delay, so that a slow but healthy HSM is not hedged
	// constantly (default 2).
	Multiplier float64
	// MinDelay and MaxDelay bound the hedge delay (defaults 10ms and
	// 100ms). An HSM with too few recent answers to judge gets MaxDelay.
	MinDelay, MaxDelay time.Duration
	// Budget is the most hedges as a share of commands answered, in
	// (0, 1] (default 0.05). Hedges also take licence tokens like any
	// command: with no token spare on another HSM, the command just waits.
	Budget float64
}

const (
	defaultHedgeMultiplier = 2
	defaultHedgeMinDelay   = 10 * time.Millisecond
	defaultHedgeMaxDelay   = 100 * time.Millisecond
	defaultHedgeBudget     = 0.05

	// hedgeMinSamples is the fewest latencies in an HSM's window for its
	// p99 to set the delay; below it the delay is MaxDelay.
	hedgeMinSamples = 50
	// hedgeMinCredit is the least hedge credit the budget may bank, so
	// that a pool at a low rate can still hedge the commands in flight on
	// an HSM that just stalled.
	hedgeMinCredit = 10
	// hedgeDelayEvery is how often the hedge delays are recomputed.
	hedgeDelayEvery = 25 * time.Millisecond
	// hedgeBankSeconds is how long unused budget is kept: the credit never
	// exceeds Budget × the commands answered over that many seconds, so
	// that a stall can spend what a quiet spell saved, and no more.
	hedgeBankSeconds = 10
)

// withDefaults fills c's zero values and reports its problems.
func (c *HedgeConfig) withDefaults(bad func(string, ...any)) {
	if c.Multiplier == 0 {
		c.Multiplier = defaultHedgeMultiplier
	}
	if c.MinDelay == 0 {
		c.MinDelay = defaultHedgeMinDelay
	}
	if c.MaxDelay == 0 {
		c.MaxDelay = max(defaultHedgeMaxDelay, c.MinDelay)
	}
	if c.Budget == 0 {
		c.Budget = defaultHedgeBudget
	}
	if !(c.Multiplier > 0) {
		bad("hedge multiplier: want more than 0")
	}
	if c.MinDelay < 0 || c.MaxDelay < c.MinDelay {
		bad("hedge delays: want 0 <= min delay <= max delay")
	}
	if !(c.Budget > 0 && c.Budget <= 1) {
		bad("hedge budget: want (0, 1]")
	}
}

// hsmHedge is one HSM's hedging state.
type hsmHedge struct {
	lat   latencyWindow
	delay atomic.Int64 // hedge delay in nanoseconds
	// suspect is set while most of the HSM's commands in flight are hedged
	// (or due for a hedge), or while it is stalled: new commands go
	// elsewhere while another HSM can take them, and the next failed probe
	// takes it Down.
	suspect atomic.Bool
	// quiet is set while the HSM lags and has not answered for a while
	// (hedger.quiet): it cannot vouch that another HSM is the stuck one.
	quiet atomic.Bool
}

// suspectPenalty is added to a suspected HSM's spreading score: pick
// chooses it only when no other HSM is Up.
const suspectPenalty = 1e12

// pickPenalty returns what to add to the HSM's spreading score.
func (s *hsmHedge) pickPenalty() float64 {
	if s.suspect.Load() {
		return suspectPenalty
	}
	return 0
}

// hedger is the pool's hedging goroutine state; only that goroutine
// touches it.
type hedger struct {
	lagging uint64 // bit idx of every HSM with a command past its delay
	quiet   uint64 // bit idx of every lagging HSM that has not answered for a while (quietFor)
	stalled uint64 // bit idx of every HSM judged stalled (see stalledSet)
	// sent is each HSM's answer count at the last tick, heard when the
	// count last moved: the HSM's last answer as this loop saw it.
	sent  []uint64
	heard []int64

	credit   float64 // hedges the budget allows now
	lastCmds uint64  // commands answered at the last refill
	// secCmds are the commands answered at the start of each of the last
	// hedgeBankSeconds seconds, a ring indexed by second.
	secCmds [hedgeBankSeconds]uint64
	sec     int
}

// hedgeTick returns how often the hedge loop scans for overdue commands.
func hedgeTick(c HedgeConfig) time.Duration {
	return min(max(c.MinDelay/4, time.Millisecond), 10*time.Millisecond)
}

// hedgeLoop rotates the HSMs' latency windows, recomputes their hedge
// delays and hedges overdue commands.
func (p *Pool) hedgeLoop() {
	defer p.bgWG.Done()
	t := time.NewTicker(hedgeTick(p.cfg.Hedge))
	defer t.Stop()
	start := nanotime()
	n := len(p.hsms)
	hg := hedger{sent: make([]uint64, n), heard: make([]int64, n)}
	lastRotate, lastDelay := start, int64(0)
	for _, h := range p.hsms {
		h.hedge.delay.Store(int64(p.cfg.Hedge.MaxDelay))
		hg.heard[h.idx] = start
	}
	for {
		select {
		case <-t.C:
		case <-p.done:
			return
		}
		now := nanotime()
		cmds := p.answeredTotal()
		if now-lastRotate >= int64(latSlotSpan) {
			for _, h := range p.hsms {
				h.hedge.lat.rotate()
			}
			hg.sec = (hg.sec + 1) % hedgeBankSeconds
			hg.secCmds[hg.sec] = cmds
			lastRotate = now
		}
		if now-lastDelay >= int64(hedgeDelayEvery) {
			for _, h := range p.hsms {
				h.hedge.delay.Store(int64(p.hedgeDelay(h)))
			}
			lastDelay = now
		}
		hg.credit += p.cfg.Hedge.Budget * float64(cmds-hg.lastCmds)
		oldest := hg.secCmds[(hg.sec+1)%hedgeBankSeconds] // 0 in the first seconds
		hg.credit = min(hg.credit, max(hedgeMinCredit, p.cfg.Hedge.Budget*float64(cmds-oldest)))
		hg.lastCmds = cmds
		p.hedgeState(&hg, now)
		for _, h := range p.hsms {
			p.hedgeScan(h, &hg, now)
		}
	}
}

// hedgeState updates, for every HSM, when it last answered and whether it
// lags, is quiet, or is stalled.
func (p *Pool) hedgeState(hg *hedger, now int64) {
	hg.lagging, hg.quiet = 0, 0
	for _, h := range p.hsms {
		i, bit := h.idx, uint64(1)<<h.idx
		if s := h.sent.Load(); s != hg.sent[i] {
			hg.sent[i], hg.heard[i] = s, now
		}
		delay := h.hedge.delay.Load()
		quiet := false
		if o := p.oldestPending(h); o >= 0 && now-o >= delay {
			hg.lagging |= bit
			if now-hg.heard[i] >= max(delay, p.quietFor()) {
				hg.quiet |= bit
				quiet = true
			}
		}
		h.hedge.quiet.Store(quiet)
	}
	hg.stalled = stalledSet(p.hsms, hg.quiet)
}

// quietFor is the least time without an answer for which a lagging HSM is
// quiet: half of MaxDelay. Shorter gaps come from a starved machine often
// enough (a reader goroutine not run for a few milliseconds), and a stall
// found sooner than that gains little over the per-command hedge.
func (p *Pool) quietFor() int64 { return int64(p.cfg.Hedge.MaxDelay / 2) }

// stalledSet returns the HSMs of quiet that are stalled: those for which
// another Up HSM is answering (not quiet, not suspected). A stalled HSM is
// no longer judged command by command: it is suspected at once and every
// command on it older than MinDelay is hedged. When every HSM is quiet it is
// the gateway that was held up (a pause, a starved CPU), and none is
// stalled.
func stalledSet(hsms []*hsm, quiet uint64) uint64 {
	if quiet == 0 {
		return 0
	}
	var stalled uint64
	for _, h := range hsms {
		if quiet&(1<<h.idx) == 0 {
			continue
		}
		for _, o := range hsms {
			if o != h && quiet&(1<<o.idx) == 0 && o.State() == Up && !o.hedge.suspect.Load() {
				stalled |= 1 << h.idx
				break
			}
		}
	}
	return stalled
}

// answeredTotal is the commands answered by every HSM, hedges included.
func (p *Pool) answeredTotal() uint64 {
	var n uint64
	for _, h := range p.hsms {
		n += h.sent.Load()
	}
	return n
}

// hedgeDelay returns h's hedge delay: Multiplier × its recent p99,
// within [MinDelay, MaxDelay].
func (p *Pool) hedgeDelay(h *hsm) time.Duration {
	c := p.cfg.Hedge
	q, n := h.hedge.lat.quantile(0.99)
	if n < hedgeMinSamples {
		return c.MaxDelay
	}
	d := time.Duration(c.Multiplier * float64(q))
	return min(max(d, c.MinDelay), c.MaxDelay)
}

// oldestPending returns the send time of h's oldest command in flight, not
// counting probes, -1 for none. Commands hedged away from h count: an HSM
// that is not answering them is late whether or not they were hedged.
func (p *Pool) oldestPending(h *hsm) int64 {
	v := h.view.Load()
	if v == nil {
		return -1
	}
	oldest := int64(-1)
	for _, c := range *v {
		c.mu.Lock()
		for _, r := range c.win.All() {
			if r == nil || r.probe {
				continue
			}
			if oldest < 0 || r.sentAt < oldest {
				oldest = r.sentAt
			}
			break // the first one of a connection is its oldest
		}
		c.mu.Unlock()
	}
	return oldest
}

// pendingHedge is a hedge leg chosen under its first leg's connection lock,
// sent once the lock is released.
type pendingHedge struct {
	to  *hsm
	c   *conn
	leg *Request
}

// hedgeScan hedges h's commands that are past its hedge delay, oldest
// first, and updates whether h is suspected stuck. It runs on every HSM
// whatever its state: a command stuck on an HSM just taken Down is still
// worth hedging.
//
// A stalled or suspected HSM's commands are hedged once they are MinDelay
// old, not its own delay: that delay is a multiple of its latency before
// the stall, up to MaxDelay, and every command written to it since the
// stall began would otherwise wait that long. They may also go to an HSM
// that lags but still answers: the alternative is to wait for the stuck
// HSM to be taken Down.
func (p *Pool) hedgeScan(h *hsm, hg *hedger, now int64) {
	bit := uint64(1) << h.idx
	if h.State() == Down && h.hedge.suspect.Load() {
		// Taken Down as suspected stuck (the probe failed too): what is
		// still in flight on it fails over now, as it would at the command
		// timeout, instead of waiting for it.
		h.hedge.suspect.Store(false)
		h.failAll(failTimeout, errStuck)
		return
	}
	delay := h.hedge.delay.Load()
	excl := bit | hg.lagging
	stalled := hg.stalled&bit != 0
	if stalled || h.hedge.suspect.Load() {
		delay = min(delay, int64(p.cfg.Hedge.MinDelay))
		excl = bit | hg.quiet
	}
	v := h.view.Load()
	if v == nil {
		h.hedge.suspect.Store(false)
		return
	}
	var inflight, hedged int
	var sends []pendingHedge
	// Every command's excluded set holds this one: with no target for it
	// there is none for any, and the walk only counts (a saturated pool
	// has hundreds of late commands, every few milliseconds).
	canHedge := p.hedgeTarget(h, excl) != nil
	for _, c := range *v {
		c.mu.Lock()
		if c.broken || c.werr != nil {
			c.mu.Unlock()
			continue
		}
		for s, r := range c.win.All() {
			if r == nil || r.probe {
				continue
			}
			inflight++
			if r.hg != nil {
				if r != r.hg.second {
					hedged++ // hedged away from h
				}
				continue
			}
			if !canHedge || now-r.sentAt < delay {
				continue
			}
			ph, due := p.hedgeOne(c, s, r, hg, excl, now)
			if ph.leg != nil {
				sends = append(sends, ph)
			}
			if due {
				hedged++
			}
		}
		c.mu.Unlock()
		for _, ph := range sends {
			if ph.c.send([]*Request{ph.leg}, now) == 0 {
				ph.to.lim.giveBack(1)
				ph.leg.hg.legFailed(ph.leg, false, now)
			}
		}
		clear(sends)
		sends = sends[:0]
	}
	// A slow HSM raises its own p99 and so its delay; most of its commands
	// hedged (or due for a hedge the budget did not allow) is a stall, and
	// so is an HSM silent past its delay while another answers.
	suspect := stalled || hedged > 0 && 2*hedged > inflight
	if suspect && !h.hedge.suspect.Swap(true) {
		p.log.Warn("pool: HSM suspected stuck: no answer within its hedge delay, or most of its commands in flight hedged",
			"hsm", h.cfg.Name, "pair", h.cfg.Pair, "inflight", inflight, "hedged", hedged, "silent", stalled)
		h.kickProbe() // the next failed probe takes it Down
	} else if !suspect {
		h.hedge.suspect.Store(false)
	}
}

// errStuck fails the connections of an HSM taken Down as suspected stuck.
var errStuck = errors.New("suspected stuck and taken down: commands in flight fail over")

// hedgeOne decides whether to hedge r, pending on c in slot seq, to an HSM
// outside excl, and if so
// puts the first leg in its place and returns the second, to be sent once
// c.mu is released. due reports whether r is due for a hedge, made or
// skipped for budget. Called with c.mu held.
func (p *Pool) hedgeOne(c *conn, seq uint64, r *Request, hg *hedger, excl uint64, now int64) (ph pendingHedge, due bool) {
	if spec, ok := hostcmd.Lookup(r.code); !ok || !spec.RetrySafe {
		return pendingHedge{}, false
	}
	if r.attempts >= p.cfg.MaxAttempts {
		return pendingHedge{}, false
	}
	skip := func() (pendingHedge, bool) {
		if !r.hedgeSkipped {
			r.hedgeSkipped = true
			p.m.hedges[hedgeSkippedBudget].Inc()
		}
		return pendingHedge{}, true
	}
	if hg.credit < 1 {
		return skip() // before looking for a target: the scan found one for h
	}
	h := c.h
	tried := r.tried | 1<<h.idx
	to := p.hedgeTarget(h, tried|excl)
	if to == nil {
		return pendingHedge{}, false // no other HSM fit to take it
	}
	if to.lim.take(1, now) == 0 {
		return skip()
	}
	tc := to.pickConn()
	if tc == nil {
		to.lim.giveBack(1)
		return pendingHedge{}, true
	}
	hg.credit--
	g := &hedgeGroup{p: p, r: r, live: 2, tried: tried, attempts: r.attempts}
	// The legs never share the caller's buffers: once one leg is answered
	// the caller may reuse them while the other is still pending. The first
	// leg's body was written already and is never read again.
	first := new(Request)
	*first = *r
	first.Body, first.Resp, first.sink, first.hg, first.next = nil, nil, g, g, nil
	second := new(Request)
	*second = *first
	second.Body = append([]byte(nil), r.Body...)
	second.tried = tried
	g.second = second
	c.win.Replace(seq, first)
	return pendingHedge{to: to, c: tc, leg: second}, true
}

// hedgeTarget returns the Up HSM outside excl a command hedged away from h
// goes to: one of h's HA pair while one is Up (ours: the standby is sized
// for its partner's load), else any other; nil if there is none.
func (p *Pool) hedgeTarget(h *hsm, excl uint64) *hsm {
	if to := p.pick(excl | ^h.pair); to != nil {
		return to
	}
	return p.pick(excl)
}

// Outcomes of a hedge; they label payhsm_pool_hedges_total.
const (
	hedgeWon           = iota // the hedge answered first
	hedgeLost                 // the first HSM answered first after all
	hedgeSkippedBudget        // due, but no budget or licence was spare
	hedgeOutcomes
)

var hedgeOutcomeNames = [hedgeOutcomes]string{"won", "lost", "skipped_budget"}

// hedgeGroup is one hedged command: the caller's Request, no longer on any
// connection, and its two legs, copies that stand in for it on the first
// HSM and on the second. The first leg to be answered completes the
// caller's Request; the other one is discarded when it comes.
type hedgeGroup struct {
	p      *Pool
	r      *Request
	second *Request

	mu       sync.Mutex
	done     bool
	live     int    // legs neither answered nor failed
	tried    uint64 // HSMs a leg was written to
	attempts int
}

// Complete takes a leg's answer (from Pool.answered).
func (g *hedgeGroup) Complete(leg *Request) {
	g.mu.Lock()
	g.live--
	first := !g.done
	g.done = true
	g.mu.Unlock()
	if !first {
		return // the loser: already counted when the winner came
	}
	p, r := g.p, g.r
	if leg == g.second {
		p.m.hedges[hedgeWon].Inc()
	} else {
		p.m.hedges[hedgeLost].Inc()
	}
	p.m.latency[r.cmd].Observe(float64(nanotime()-r.start) / 1e9)
	r.Resp = append(r.Resp[:0], leg.Resp...)
	r.hsm, r.err = leg.hsm, nil
	s := r.sink // r is the caller's again once Complete runs
	s.Complete(r)
	s.Flush()
}

// Flush does nothing: Complete flushes the caller's Sink itself, once, on
// the winner's goroutine.
func (g *hedgeGroup) Flush() {}

// legFailed takes a leg whose connection failed (from Pool.redispatch) or
// that could not be sent. Only when no leg is left and none was answered
// does the caller's command go on as a failed one would.
func (g *hedgeGroup) legFailed(leg *Request, written bool, now int64) {
	g.mu.Lock()
	g.live--
	if written && leg.hsm != nil {
		g.tried |= 1 << leg.hsm.idx
	}
	g.attempts = max(g.attempts, leg.attempts)
	last := !g.done && g.live == 0
	if last {
		g.done = true
	}
	g.mu.Unlock()
	if !last {
		return
	}
	r := g.r
	r.tried, r.attempts, r.hsm = g.tried, g.attempts, leg.hsm
	s := r.sink // r may be answered and reused once redispatched
	g.p.redispatch(r, written, now)
	s.Flush() // the failing connection flushes only the group
}

// stuck reports whether a failed probe alone should take h Down, and
// whether new commands should avoid it: it is suspected stuck, and another
// HSM is Up, neither suspected itself nor quiet. On a machine too starved
// to answer anything in time every HSM looks stuck; that is no reason to
// take them all Down.
func (p *Pool) stuck(h *hsm) bool {
	if !h.hedge.suspect.Load() {
		return false
	}
	for _, o := range p.hsms {
		if o != h && o.State() == Up && !o.hedge.suspect.Load() && !o.hedge.quiet.Load() {
			return true
		}
	}
	return false
}
