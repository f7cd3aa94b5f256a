package conformance

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/gateway"
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/pool"
	"github.com/payhsm/payhsm-gw/simulator"
)

// startGateway starts two simulators as one HA pair behind a pool and the
// gateway front, and returns a client to the front.
func startGateway(t *testing.T, allowClearPIN bool) *hostcmd.Client {
	t.Helper()
	a, _ := startSim(t, simulator.Config{})
	b, _ := startSim(t, simulator.Config{})
	p, err := pool.New(context.Background(), pool.Config{
		HSMs:           []pool.HSMConfig{{Name: "a", Addr: a.Addr(), Pair: "p"}, {Name: "b", Addr: b.Addr(), Pair: "p"}},
		HealthInterval: 50 * time.Millisecond,
		Logger:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	deadline := time.Now().Add(10 * time.Second)
	for up := 0; up < 2 && time.Now().Before(deadline); {
		up = 0
		for _, pr := range p.Status().Pairs {
			for _, h := range pr.HSMs {
				if h.State == pool.Up {
					up++
				}
			}
		}
		time.Sleep(5 * time.Millisecond) // polling for readiness, not a timing assertion
	}
	gw, err := gateway.Start(gateway.Config{Addr: "127.0.0.1:0", AllowClearPIN: allowClearPIN, Logger: slog.New(slog.DiscardHandler)}, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := hostcmd.Dial(ctx, gw.Addr(), hostcmd.ClientOptions{HeaderLen: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Through the gateway the suite passes with clear-PIN cases expected as 68
// (the gateway's default policy), or run when the gateway allows them.
func TestSuitePassesThroughGateway(t *testing.T) {
	for _, tc := range []struct {
		name   string
		allow  bool
		policy ClearPINPolicy
	}{
		{"clear PIN refused", false, ClearPINRefused},
		{"clear PIN allowed", true, ClearPINRun},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startGateway(t, tc.allow)
			s, err := New(Options{ClearPIN: tc.policy})
			if err != nil {
				t.Fatal(err)
			}
			rs := s.Run(context.Background(), c)
			for _, r := range rs.Cases {
				if r.Status != Pass {
					t.Errorf("%s: %s %s", r.Name, r.Status, r.Detail)
				}
			}
		})
	}
}
