package conformance

import (
	"context"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/simulator"
)

// startSim starts a simulator on 127.0.0.1:0 and a client to it.
func startSim(t *testing.T, cfg simulator.Config) (*simulator.Server, *hostcmd.Client) {
	t.Helper()
	srv, err := simulator.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hl := cfg.HeaderLen
	if hl == 0 {
		hl = 4
	}
	c, err := hostcmd.Dial(ctx, srv.Addr(), hostcmd.ClientOptions{HeaderLen: hl})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, c
}

func TestSuitePassesAgainstSimulator(t *testing.T) {
	_, c := startSim(t, simulator.Config{})
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Cases) < 60 {
		t.Errorf("have %d cases, want at least 60", len(s.Cases))
	}
	rs := s.Run(context.Background(), c)
	for _, r := range rs.Cases {
		if r.Status != Pass {
			t.Errorf("%s: %s %s", r.Name, r.Status, r.Detail)
		}
	}
	t.Logf("%d passed, %d failed", rs.Passed, rs.Failed)
}
