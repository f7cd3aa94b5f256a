package rest

import (
	"net/http"

	"github.com/payhsm/payhsm-gw/pool"
)

// Status is the HSM pool's state as GET /v1/hsms shows it and /readyz
// judges it.
type Status struct {
	// LMKCheckValue is the pool's LMK check value (16H, NC).
	LMKCheckValue string `json:"lmkCheckValue"`
	// Queued is the number of commands waiting for an HSM with capacity.
	Queued int `json:"queued"`
	// Pairs are the HA pairs in configuration order.
	Pairs []PairStatus `json:"pairs"`
	// Membership is this replica's view of the replicas splitting the
	// licences live, when the registry is on etcd (omitted otherwise).
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

// PairStatus is one HA pair.
type PairStatus struct {
	Name string      `json:"name"`
	HSMs []HSMStatus `json:"hsms"`
}

// HSMStatus is one HSM.
type HSMStatus struct {
	Name string `json:"name"`
	Addr string `json:"addr"`
	// State is "up", "down", "draining" or "lmk-mismatch".
	State string `json:"state"`
	// LMKCheckValue is what the HSM last reported to NC.
	LMKCheckValue string `json:"lmkCheckValue"`
	// InFlight is the number of commands written and not yet answered.
	InFlight int `json:"inFlight"`
	// Conns is the number of open connections to the HSM.
	Conns int `json:"conns"`
	// LicensedCPS is the licensed commands per second (0: unlimited),
	// UsableCPS this gateway's share of it, and LicenceUse the share of
	// the licence used over the last probe interval.
	LicensedCPS int     `json:"licensedCps"`
	UsableCPS   float64 `json:"usableCps"`
	LicenceUse  float64 `json:"licenceUse"`
	// LicenceShare is the share of LicensedCPS this gateway may use: the
	// static licence_share, or the live share among replicas on etcd.
	LicenceShare float64 `json:"licenceShare"`
	// LastError is the last failure, as a short phrase without values.
	LastError string `json:"lastError,omitempty"`
}

// PoolStatus adapts a pool's Status to Config.Status.
func PoolStatus(p *pool.Pool) func() Status {
	return func() Status { return statusOf(p.Status()) }
}

func statusOf(ps pool.Status) Status {
	st := Status{LMKCheckValue: ps.LMKCheckValue, Queued: ps.Queued, Pairs: make([]PairStatus, 0, len(ps.Pairs))}
	for _, pp := range ps.Pairs {
		pair := PairStatus{Name: pp.Name, HSMs: make([]HSMStatus, 0, len(pp.HSMs))}
		for _, h := range pp.HSMs {
			pair.HSMs = append(pair.HSMs, HSMStatus{
				Name: h.Name, Addr: h.Addr, State: h.State.String(), LMKCheckValue: h.LMKCheckValue,
				InFlight: h.InFlight, Conns: h.Conns, LicensedCPS: h.CPS, UsableCPS: h.LimitCPS,
				LicenceUse: h.LicenceUse, LicenceShare: h.LicenceShare, LastError: h.LastError,
			})
		}
		st.Pairs = append(st.Pairs, pair)
	}
	return st
}

// StateUp is the HSMStatus.State of an HSM that receives commands.
const StateUp = "up"

// Healthy returns the number of HSMs that are up.
func (s Status) Healthy() int {
	n := 0
	for _, p := range s.Pairs {
		for _, h := range p.HSMs {
			if h.State == StateUp {
				n++
			}
		}
	}
	return n
}

func (s *server) hsmList(_ *reqCtx, _ []byte) (int, any, *apiError) {
	st := s.status()
	if st.Pairs == nil {
		st.Pairs = []PairStatus{}
	}
	return http.StatusOK, st, nil
}

type healthBody struct {
	Status      string `json:"status"`
	HealthyHSMs *int   `json:"healthyHsms,omitempty"`
}

// healthz is the liveness probe: the process serves HTTP.
func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, healthBody{Status: "ok"})
}

// readyz is the readiness probe: at least one HSM is up (rest.md).
func (s *server) readyz(w http.ResponseWriter, _ *http.Request) {
	n := s.status().Healthy()
	if n == 0 {
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, healthBody{Status: "not_ready", HealthyHSMs: &n})
		return
	}
	writeJSON(w, http.StatusOK, healthBody{Status: "ready", HealthyHSMs: &n})
}
