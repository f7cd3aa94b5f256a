package cluster

import (
	"context"
	"github.com/payhsm/payhsm-gw/internal/etcdtest"
	"log/slog"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

func client(t *testing.T, addr string) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{addr}, DialTimeout: 2 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// replica is one member with its own etcd client, as a gateway process
// has, and the shares it was handed.
type replica struct {
	m    *Member
	cli  *clientv3.Client
	mu   sync.Mutex
	last float64
	prom *prometheus.Registry
}

func (r *replica) share() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

func join(t *testing.T, addr, name string, weight float64) *replica {
	t.Helper()
	r := &replica{cli: client(t, addr), prom: prometheus.NewRegistry()}
	m, err := Join(Options{Client: r.cli, Prefix: "/test/", Name: name, Weight: weight, TTL: 2 * time.Second,
		Registerer: r.prom, Logger: slog.New(slog.DiscardHandler),
		OnShare: func(s float64) { r.mu.Lock(); r.last = s; r.mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	r.m = m
	t.Cleanup(func() { m.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.WaitJoined(ctx); err != nil {
		t.Fatal(err)
	}
	return r
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func shares(rs ...*replica) func(want ...float64) bool {
	return func(want ...float64) bool {
		for i, r := range rs {
			if !near(r.share(), want[i]) || !near(r.m.Status().Share, want[i]) {
				return false
			}
		}
		return true
	}
}

// TestSharesFollowMembership: three replicas share 1/3 each; one that
// leaves (Close revokes its lease) raises the others to 1/2 at once; one
// killed (its process gone, no revoke) raises the last to 1 within the TTL.
func TestSharesFollowMembership(t *testing.T) {
	addr := etcdtest.Start(t)
	a, b := join(t, addr, "a", 1), join(t, addr, "b", 1)
	c := join(t, addr, "c", 1)
	got := shares(a, b, c)
	eventually(t, 2*time.Second, "1/3 each", func() bool { return got(1.0/3, 1.0/3, 1.0/3) })
	if n := a.m.Status().Members; n != 3 {
		t.Fatalf("members %d", n)
	}
	if v := gauge(t, a.prom, "payhsm_cluster_members"); v != 3 {
		t.Fatalf("payhsm_cluster_members %v", v)
	}

	if err := c.m.Close(); err != nil {
		t.Fatal(err)
	}
	d := eventually(t, time.Second, "1/2 after a clean leave", func() bool { return shares(a, b)(0.5, 0.5) })
	t.Logf("clean leave: shares rose in %v", d)

	// Kill b: its client goes away without revoking; the lease runs out.
	b.m.cancel()
	<-b.m.done
	b.cli.Close()
	d = eventually(t, 2*time.Second+2*time.Second, "a's share 1 after b is killed", func() bool { return shares(a)(1) })
	t.Logf("kill: share rose in %v (TTL 2s)", d)
	if !a.m.Status().Live {
		t.Fatal("a not live")
	}
}

// gauge reads one gauge without labels from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func TestWeightedShares(t *testing.T) {
	addr := etcdtest.Start(t)
	a, b := join(t, addr, "a", 1), join(t, addr, "b", 3)
	eventually(t, 2*time.Second, "1/4 and 3/4", func() bool { return shares(a, b)(0.25, 0.75) })
}

// TestEtcdLostHoldsTheLastShare: a replica cut off from etcd keeps its
// share, says so (Live false, payhsm_cluster_live 0), and when the path
// heals rejoins with a fresh lease and a share from the current members.
func TestEtcdLostHoldsTheLastShare(t *testing.T) {
	addr := etcdtest.Start(t)
	px := etcdtest.StartRelay(t, addr)
	a := join(t, px.Addr, "a", 1)
	b := join(t, addr, "b", 1)
	eventually(t, 2*time.Second, "1/2 each", func() bool { return shares(a, b)(0.5, 0.5) })
	px.Cut()
	eventually(t, 3*time.Second, "a held", func() bool { return !a.m.Status().Live })
	if v := gauge(t, a.prom, "payhsm_cluster_live"); v != 0 {
		t.Fatalf("payhsm_cluster_live %v while held", v)
	}
	// b sees a's lease run out and takes the whole licence; a holds 1/2.
	eventually(t, 5*time.Second, "b's share 1", func() bool { return shares(b)(1) })
	time.Sleep(500 * time.Millisecond)
	if s := a.share(); !near(s, 0.5) {
		t.Fatalf("a's held share %v, want its last 1/2", s)
	}
	px.Restore()
	eventually(t, 8*time.Second, "both back to 1/2", func() bool {
		return a.m.Status().Live && shares(a, b)(0.5, 0.5)
	})
	if v := gauge(t, a.prom, "payhsm_cluster_live"); v != 1 {
		t.Fatalf("payhsm_cluster_live %v after healing", v)
	}
}

func TestJoinRejectsBadOptions(t *testing.T) {
	cli := &clientv3.Client{}
	ok := func(float64) {}
	for i, o := range []Options{
		{Prefix: "/p/", Name: "a", OnShare: ok},
		{Client: cli, Name: "a", OnShare: ok},
		{Client: cli, Prefix: "/p/", OnShare: ok},
		{Client: cli, Prefix: "/p/", Name: "a"},
		{Client: cli, Prefix: "/p/", Name: "a/b", OnShare: ok},
		{Client: cli, Prefix: "/p/", Name: "a", OnShare: ok, TTL: time.Second},
		{Client: cli, Prefix: "/p/", Name: "a", OnShare: ok, Weight: -1},
	} {
		if _, err := Join(o); err == nil {
			t.Errorf("case %d: Join accepted name %q", i, o.Name)
		}
	}
}
