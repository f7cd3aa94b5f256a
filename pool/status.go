package pool

// Status is a snapshot of the pool (like sql.DB.Stats): what /v1/hsms,
// /readyz and operators read.
type Status struct {
	// LMKCheckValue is the pool's LMK check value, "" until known.
	LMKCheckValue string `json:"lmk_check_value"`
	// Ready is true when at least one HSM is Up.
	Ready bool `json:"ready"`
	// Queued is the number of commands waiting for capacity.
	Queued int `json:"queued"`
	// Pairs lists the HA pairs in configuration order.
	Pairs []PairStatus `json:"pairs"`
}

// PairStatus is one HA pair and its HSMs.
type PairStatus struct {
	Name string      `json:"name"`
	HSMs []HSMStatus `json:"hsms"`
}

// HSMStatus is the state of one HSM.
type HSMStatus struct {
	Name          string  `json:"name"`
	Addr          string  `json:"addr"`
	Pair          string  `json:"pair"`
	State         State   `json:"state"`
	LMKCheckValue string  `json:"lmk_check_value"` // as last reported by NC
	InFlight      int     `json:"in_flight"`
	Conns         int     `json:"conns"`
	CPS           int     `json:"licensed_cps"`  // 0: unlimited
	LimitCPS      float64 `json:"limit_cps"`     // licensed rate times the licence share
	LicenceShare  float64 `json:"licence_share"` // share of the licence this pool may use
	LicenceUse    float64 `json:"licence_use"`   // share of the licence used over the last interval
	Commands      uint64  `json:"commands"`      // answered since start
	LastError     string  `json:"last_error,omitempty"`
}

// Status returns a snapshot of the pool.
func (p *Pool) Status() Status {
	p.lmkMu.RLock()
	st := Status{LMKCheckValue: p.lmk, Queued: int(p.qlen.Load())}
	p.lmkMu.RUnlock()
	share := p.LicenceShare()
	idx := map[string]int{}
	for _, h := range p.hsms {
		h.hmu.Lock()
		hs := HSMStatus{
			Name: h.cfg.Name, Addr: h.cfg.Addr, Pair: h.cfg.Pair, State: h.State(),
			LMKCheckValue: h.lmk, InFlight: int(h.inflight.Load()), Conns: h.connCount(),
			CPS: h.cfg.CPS, LimitCPS: float64(h.cfg.CPS) * share, LicenceShare: share, LicenceUse: h.use,
			Commands: h.sent.Load(), LastError: h.lastErr,
		}
		h.hmu.Unlock()
		if hs.State == Up {
			st.Ready = true
		}
		i, ok := idx[h.cfg.Pair]
		if !ok {
			i = len(st.Pairs)
			idx[h.cfg.Pair] = i
			st.Pairs = append(st.Pairs, PairStatus{Name: h.cfg.Pair})
		}
		st.Pairs[i].HSMs = append(st.Pairs[i].HSMs, hs)
	}
	return st
}
