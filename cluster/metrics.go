package cluster

import "github.com/prometheus/client_golang/prometheus"

// RegisterShareMetric registers payhsm_licence_share, read from share:
// the pool's share of every HSM's licensed rate, live or static, so that
// the gauge exists whether or not the replica splits the licences live.
func RegisterShareMetric(reg prometheus.Registerer, share func() float64) error {
	return reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "payhsm_licence_share",
		Help: "Share of every HSM's licensed rate this replica may use: pools[].licence_share, or the live share among replicas on etcd.",
	}, share))
}
