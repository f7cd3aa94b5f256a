package simtest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestMetricValueFindsTheSeriesByLabels(t *testing.T) {
	reg := prometheus.NewRegistry()
	shed := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "t_shed_total"}, []string{"reason", "pair"})
	up := prometheus.NewGauge(prometheus.GaugeOpts{Name: "t_up"})
	reg.MustRegister(shed, up)
	shed.WithLabelValues("queue", "p1").Add(3)
	shed.WithLabelValues("nohsm", "p1").Add(5)
	up.Set(2)
	for _, tt := range []struct {
		name   string
		metric string
		labels map[string]string
		want   float64
	}{
		{"counter by one label", "t_shed_total", map[string]string{"reason": "nohsm"}, 5},
		{"counter by two labels", "t_shed_total", map[string]string{"reason": "queue", "pair": "p1"}, 3},
		{"no such label value", "t_shed_total", map[string]string{"reason": "late"}, 0},
		{"gauge without labels", "t_up", nil, 2},
		{"no such metric", "t_missing", nil, 0},
	} {
		if have := MetricValue(t, reg, tt.metric, tt.labels); have != tt.want {
			t.Errorf("%s: have %v, want %v", tt.name, have, tt.want)
		}
	}
}
