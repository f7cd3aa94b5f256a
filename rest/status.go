package rest

import (
	"net/http"

	"github.com/payhsm/payhsm-gw/pool"
)

// Status is the HSM pool's state as GET /v1/hsms shows it and /readyz
// judges it: the pool's own snapshot, whose JSON names follow rest.md.
type Status = pool.Status

// Membership is a replica's view of the live licence split.
type Membership = pool.Membership

// PairStatus is one HA pair.
type PairStatus = pool.PairStatus

// HSMStatus is one HSM.
type HSMStatus = pool.HSMStatus

// StateUp is the HSMStatus.State of an HSM that receives commands.
const StateUp = pool.Up

// PoolStatus adapts a pool's Status to Config.Status.
func PoolStatus(p *pool.Pool) func() Status { return p.Status }

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
