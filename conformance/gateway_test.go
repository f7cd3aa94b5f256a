package conformance

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/payhsm/payhsm-gw/gateway"
	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/internal/simtest"
	"github.com/payhsm/payhsm-gw/pool"
	"github.com/payhsm/payhsm-gw/simulator"
)

// startGateway starts two simulators as one HA pair behind a pool and the
// gateway front, and returns a client to the front.
func startGateway(t *testing.T, allowClearPIN bool) *hostcmd.Client {
	t.Helper()
	return startGatewayWith(t, allowClearPIN, nil)
}

// startGatewayWith is startGateway with the pool's metrics in reg (nil: none).
func startGatewayWith(t *testing.T, allowClearPIN bool, reg prometheus.Registerer) *hostcmd.Client {
	t.Helper()
	a, _ := startSim(t, simulator.Config{})
	b, _ := startSim(t, simulator.Config{})
	p, err := pool.New(context.Background(), pool.Config{
		HSMs:           []pool.HSMConfig{{Name: "a", Addr: a.Addr(), Pair: "p"}, {Name: "b", Addr: b.Addr(), Pair: "p"}},
		HealthInterval: 50 * time.Millisecond,
		Logger:         slog.New(slog.DiscardHandler),
		Registerer:     reg,
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

// TestEveryTableCommand walks hostcmd's command table, the one list of
// commands, end to end: each code has a suite case whose request parses;
// the simulator behind the gateway executes every case of it to the
// expected answer; the gateway's default policy relays it, or refuses it
// with 68 exactly when the table marks it clear-PIN; and the pool counts it
// under its own metrics label.
func TestEveryTableCommand(t *testing.T) {
	reg := prometheus.NewRegistry()
	allowed := startGatewayWith(t, true, reg)
	refusing := startGateway(t, false)
	s, err := New(Options{ClearPIN: ClearPINRun})
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string][]*Case{}
	for i := range s.Cases {
		c := &s.Cases[i]
		byCode[c.Command] = append(byCode[c.Command], c)
	}
	ctx := context.Background()
	for _, spec := range hostcmd.Commands() {
		cases := byCode[spec.Code]
		if !slices.ContainsFunc(cases, func(c *Case) bool {
			_, err := hostcmd.ParseRequest(c.Request)
			return err == nil
		}) {
			t.Errorf("%s: no suite case with a request that parses", spec.Code)
			continue
		}
		for _, c := range cases {
			resp, err := allowed.RoundTrip(ctx, c.Request)
			if err == nil {
				err = c.Check(ctx, allowed, resp)
			}
			if err != nil {
				t.Errorf("%s: %s: %v", spec.Code, c.Name, err)
			}
		}
		resp, err := refusing.RoundTrip(ctx, cases[0].Request)
		if err != nil {
			t.Fatalf("%s: %v", spec.Code, err)
		}
		if refused := len(resp) >= 4 && string(resp[2:4]) == string(hostcmd.CommandDisabled); refused != spec.ClearPIN {
			t.Errorf("%s: default policy answered %q; clear-PIN %v", spec.Code, head(resp), spec.ClearPIN)
		}
		n := 0.0
		for _, hsm := range []string{"a", "b"} {
			n += simtest.MetricValue(t, reg, "payhsm_hsm_commands_total", map[string]string{"hsm": hsm, "cmd": spec.Code})
		}
		if n < float64(len(cases)) {
			t.Errorf("%s: payhsm_hsm_commands_total{cmd=%q} = %v, want at least %d", spec.Code, spec.Code, n, len(cases))
		}
	}
}
