package rest

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the REST layer's Prometheus metrics. Labels are route
// templates, methods, statuses and command codes, never request values.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	commands *prometheus.CounterVec
	kcvHits  prometheus.Counter
	kcvMiss  prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "payhsm_rest_requests_total",
			Help: "REST requests by route template, method and HTTP status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "payhsm_rest_request_duration_seconds",
			Help:    "REST request latency by route template, host commands included.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "payhsm_rest_hsm_commands_total",
			Help: "Host commands run by REST operations, by command and HSM error code (\"pool\" when the pool answered no HSM).",
		}, []string{"cmd", "code"}),
		kcvHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "payhsm_rest_kcv_cache_hits_total",
			Help: "Key check values of inline keys answered from the gateway's cache.",
		}),
		kcvMiss: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "payhsm_rest_kcv_cache_misses_total",
			Help: "Key check values of inline keys computed on an HSM (BU).",
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.requests, m.latency, m.commands, m.kcvHits, m.kcvMiss} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("rest: registering metrics: %w", err)
			}
		}
	}
	return m, nil
}

// methodLabel bounds the method label: a client chooses the method, and
// must not be able to create label values.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodOptions:
		return m
	}
	return "other"
}

func statusLabel(status int) string {
	if status == 0 {
		status = 200
	}
	return strconv.Itoa(status)
}
