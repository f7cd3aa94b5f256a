package pool

// Status is a snapshot of the pool (like sql.DB.Stats): what operators
// read, and exactly what REST's GET /v1/hsms returns (docs/spec/rest.md), so
// the JSON names are that contract's. Fields marked "-" are for Go callers.
type Status struct {
	// LMKCheckValue is the pool's LMK check value, "" until known.
	LMKCheckValue string `json:"lmkCheckValue"`
	// Ready is true when at least one HSM is Up.
	Ready bool `json:"-"`
	// Queued is the number of commands waiting for capacity.
	Queued int `json:"queued"`
	// Pairs lists the HA pairs in configuration order.
	Pairs []PairStatus `json:"pairs"`
	// Membership is this replica's view of the replicas splitting the
	// licences live, when the registry is on etcd; the pool leaves it nil
	// and serve fills it in.
	Membership *Membership `json:"membership,omitempty"`
}

// Membership is a replica's view of the live licence split (ours).
type Membership struct {
	// Name is this replica's member name.
	Name string `json:"name"`
	// Members is the number of live replicas last seen, this one included.
	Members int `json:"members"`
	// Live is false while etcd cannot be reached: the replica then holds
	// its last licenceShare, never more than 1/members.
	Live bool `json:"live"`
}

// PairStatus is one HA pair and its HSMs.
type PairStatus struct {
	Name string      `json:"name"`
	HSMs []HSMStatus `json:"hsms"`
}

// HSMStatus is the state of one HSM.
type HSMStatus struct {
	Name string `json:"name"`
	Addr string `json:"addr"`
	Pair string `json:"-"`
	// State encodes as "up", "down", "draining" or "lmk-mismatch".
	State State `json:"state"`
	// LMKCheckValue is what the HSM last reported to NC.
	LMKCheckValue string `json:"lmkCheckValue"`
	// InFlight is the number of commands written and not yet answered.
	InFlight int `json:"inFlight"`
	// Conns is the number of open connections to the HSM.
	Conns int `json:"conns"`
	// CPS is the licensed commands per second (0: unlimited), LimitCPS
	// this pool's share of it, and LicenceUse the share of the licence
	// used over the last probe interval.
	CPS        int     `json:"licensedCps"`
	LimitCPS   float64 `json:"usableCps"`
	LicenceUse float64 `json:"licenceUse"`
	// LicenceShare is the share of CPS this gateway may use: the static
	// licence_share, or the live share among replicas on etcd.
	LicenceShare float64 `json:"licenceShare"`
	// Commands is the number answered since start.
	Commands uint64 `json:"-"`
	// LastError is the last failure, as a short phrase without values.
	LastError string `json:"lastError,omitempty"`
}

// Healthy returns the number of HSMs that are Up.
func (s Status) Healthy() int {
	n := 0
	for _, p := range s.Pairs {
		for _, h := range p.HSMs {
			if h.State == Up {
				n++
			}
		}
	}
	return n
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
