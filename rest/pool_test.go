package rest

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/pool"
	"github.com/payhsm/payhsm-gw/simulator"
)

// TestThroughPoolOfSimulators runs the REST API over a real pool of two
// simulated HSMs on loopback TCP: operations, /v1/hsms and /readyz from the
// pool's status, and 503 with Retry-After once no HSM is left.
func TestThroughPoolOfSimulators(t *testing.T) {
	var sims []*simulator.Server
	var hsms []pool.HSMConfig
	for _, name := range []string{"sim-a", "sim-b"} {
		s, err := simulator.Start(simulator.Config{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		sims = append(sims, s)
		hsms = append(hsms, pool.HSMConfig{Name: name, Addr: s.Addr(), Pair: "a", CPS: 500})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := pool.New(ctx, pool.Config{HSMs: hsms, HealthInterval: 20 * time.Millisecond, ProbeTimeout: 200 * time.Millisecond,
		QueueTimeout: 2 * time.Second, LicenceShare: 0.5, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	if err := p.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config) { c.Executor = p; c.Status = PoolStatus(p) })

	v := loadVectors(t).PINTranslate[0]
	body := map[string]any{"incomingKey": v.IncomingKey.ref(t), "incomingKeyType": "TPK", "outgoingKey": v.OutgoingKey.ref(t),
		"incomingFormat": v.IncomingFormat, "outgoingFormat": v.OutgoingFormat, "pan": v.PAN, "pinBlock": v.PINBlock}
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.post("/v1/pin/translate", body)
			if r.status != http.StatusOK || !strings.Contains(string(r.body), v.WantPINBlock) {
				t.Errorf("have %d %s", r.status, r.body)
			}
		}()
	}
	wg.Wait()

	st := e.do(http.MethodGet, "/v1/hsms", nil, nil).json(t)
	pairs := st["pairs"].([]any)
	if len(pairs) != 1 || len(pairs[0].(map[string]any)["hsms"].([]any)) != 2 || st["lmkCheckValue"] == "" {
		t.Fatalf("/v1/hsms: %v", st)
	}
	h0 := pairs[0].(map[string]any)["hsms"].([]any)[0].(map[string]any)
	if h0["state"] != "up" || h0["licensedCps"] != float64(500) || h0["usableCps"] != float64(250) {
		t.Fatalf("hsm status: %v", h0)
	}
	if r := e.do(http.MethodGet, "/readyz", nil, nil); r.status != http.StatusOK {
		t.Fatalf("readyz: %d", r.status)
	}

	for _, s := range sims {
		s.Close()
	}
	// Wait (bounded) for the pool's probes to take both HSMs down.
	for e.do(http.MethodGet, "/readyz", nil, nil).status != http.StatusServiceUnavailable {
		if ctx.Err() != nil {
			t.Fatal("the pool never noticed its HSMs stopped")
		}
		time.Sleep(10 * time.Millisecond)
	}
	r := e.post("/v1/pin/translate", body)
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
		t.Fatalf("no HSM: have %d %s, want 503 with Retry-After", r.status, r.body)
	}
	if code, _, hsm := r.errorOf(t); code != CodeUnavailable || hsm != "41" {
		t.Fatalf("have %s hsmError %q, want unavailable 41", code, hsm)
	}
}
