package pool

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// metrics are the pool's Prometheus collectors, all prefixed payhsm_.
// Labels are command codes, HSM and pair names, error codes and shed
// reasons only: never a field of a command.
type metrics struct {
	reg        prometheus.Registerer
	collectors []prometheus.Collector

	cmdNames []string // label by cmdIndex: "other", then hostcmd's table

	commands    *prometheus.CounterVec
	errors      *prometheus.CounterVec
	latencyVec  *prometheus.HistogramVec
	latency     []prometheus.Observer
	retries     prometheus.Counter
	failovers   prometheus.Counter
	shed        *prometheus.CounterVec
	transitions *prometheus.CounterVec
	lmkMismatch *prometheus.CounterVec
	hedgesVec   *prometheus.CounterVec
	hedges      [hedgeOutcomes]prometheus.Counter

	errMu    sync.Mutex
	errCache map[errKey]prometheus.Counter
}

// cmdIndex returns the metrics index of a command code: its position in
// hostcmd's table plus one, or 0 ("other") for a code the table does not
// know, so that a client cannot grow the label set.
func cmdIndex(code [2]byte) int { return hostcmd.CommandIndex(code) + 1 }

type errKey struct {
	cmd  int
	code hostcmd.Code
}

func newMetrics(p *Pool, reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{reg: reg, cmdNames: []string{"other"}, errCache: map[errKey]prometheus.Counter{}}
	for _, spec := range hostcmd.Commands() {
		m.cmdNames = append(m.cmdNames, spec.Code)
	}
	m.commands = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "payhsm_hsm_commands_total", Help: "Commands answered by each HSM, by command code.",
	}, []string{"hsm", "cmd"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "payhsm_command_errors_total", Help: "Answers with an error code other than 00, by command and code (41 includes the pool's own).",
	}, []string{"cmd", "code"})
	m.latencyVec = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "payhsm_command_duration_seconds",
		Help:    "Time from submission to the pool until an HSM answered, by command code.",
		Buckets: []float64{.0002, .0005, .001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5},
	}, []string{"cmd"})
	m.retries = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "payhsm_pool_retries_total", Help: "Written commands resent to another HSM after theirs failed (retry-safe commands only).",
	})
	m.failovers = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "payhsm_pool_failovers_total", Help: "Commands moved off a failed HSM connection, written or not.",
	})
	m.shed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "payhsm_pool_shed_total", Help: "Commands the pool answered itself with error 41, by cause.",
	}, []string{"reason"})
	m.transitions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "payhsm_hsm_state_transitions_total", Help: "HSM state changes, by HSM and new state.",
	}, []string{"hsm", "state"})
	m.lmkMismatch = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "payhsm_hsm_lmk_mismatch_total", Help: "Times an HSM was quarantined for an LMK check value other than the pool's.",
	}, []string{"hsm"})
	m.hedgesVec = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "payhsm_pool_hedges_total", Help: "Hedged commands by outcome: won (the hedge answered first), lost (the first HSM did), skipped_budget (due, but no hedge budget or licence was spare).",
	}, []string{"outcome"})
	for i, name := range hedgeOutcomeNames {
		m.hedges[i] = m.hedgesVec.WithLabelValues(name)
	}
	m.collectors = append(m.collectors, m.commands, m.errors, m.latencyVec, m.retries, m.failovers,
		m.shed, m.transitions, m.lmkMismatch, m.hedgesVec)
	for _, name := range m.cmdNames {
		m.latency = append(m.latency, m.latencyVec.WithLabelValues(name))
	}
	gauge := func(name, help string, h *hsm, f func() float64) {
		m.collectors = append(m.collectors, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: name, Help: help,
			ConstLabels: prometheus.Labels{"hsm": h.cfg.Name, "pair": h.cfg.Pair},
		}, f))
	}
	for _, h := range p.hsms {
		for _, name := range m.cmdNames {
			h.cmdCount = append(h.cmdCount, m.commands.WithLabelValues(h.cfg.Name, name))
		}
		gauge("payhsm_hsm_up", "1 if the HSM is Up and receives commands.", h, func() float64 { return b2f(h.State() == Up) })
		gauge("payhsm_hsm_inflight", "Commands written to the HSM and not yet answered.", h, func() float64 { return float64(h.inflight.Load()) })
		gauge("payhsm_hsm_connections", "Open connections to the HSM.", h, func() float64 { return float64(h.connCount()) })
		gauge("payhsm_hsm_lmk_match", "1 if the HSM's LMK check value matches the pool's, 0 if not or unknown.", h, func() float64 {
			h.hmu.Lock()
			v := h.lmk
			h.hmu.Unlock()
			p.lmkMu.RLock()
			defer p.lmkMu.RUnlock()
			return b2f(v != "" && p.lmk != "" && lmkEqual(v, p.lmk))
		})
		gauge("payhsm_hsm_hedge_delay_seconds", "How long a command on the HSM may go unanswered before it is hedged (0 when hedging is off).", h, func() float64 {
			if p.cfg.Hedge.Off {
				return 0
			}
			return float64(h.hedge.delay.Load()) / 1e9
		})
		gauge("payhsm_hsm_licence_use_ratio", "Commands per second sent to the HSM over the last probe interval, divided by its licensed rate.", h, func() float64 {
			h.hmu.Lock()
			defer h.hmu.Unlock()
			return h.use
		})
	}
	m.collectors = append(m.collectors, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "payhsm_pool_queue_length", Help: "Commands waiting for an HSM with capacity.",
	}, func() float64 { return float64(p.qlen.Load()) }))
	if reg != nil {
		for i, c := range m.collectors {
			if err := reg.Register(c); err != nil {
				for _, c := range m.collectors[:i] {
					reg.Unregister(c)
				}
				return nil, errors.Join(errors.New("pool: registering metrics"), err)
			}
		}
	}
	return m, nil
}

// errorFor returns the error counter of a command and code.
func (m *metrics) errorFor(cmd int, code hostcmd.Code) prometheus.Counter {
	k := errKey{cmd, code}
	m.errMu.Lock()
	defer m.errMu.Unlock()
	c, ok := m.errCache[k]
	if !ok {
		if !code.Valid() {
			code = "??"
		}
		c = m.errors.WithLabelValues(m.cmdNames[cmd], string(code))
		m.errCache[k] = c
	}
	return c
}

func (m *metrics) unregister() {
	if m.reg == nil {
		return
	}
	for _, c := range m.collectors {
		m.reg.Unregister(c)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
