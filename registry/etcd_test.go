package registry

import (
	"errors"
	"fmt"
	"github.com/payhsm/payhsm-gw/internal/etcdtest"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"

	"github.com/payhsm/payhsm-gw/internal/redact"
)

// testEtcd is a real single-member etcd server, embedded, on loopback.
type testEtcd struct {
	t       *testing.T
	dir     string
	client  string // HOST:PORT
	peer    string
	e       *embed.Etcd
	stopped bool
}

// startEtcd starts an etcd server in a temporary directory; it is stopped
// when the test ends.
func startEtcd(t *testing.T) *testEtcd {
	t.Helper()
	s := &testEtcd{t: t, dir: t.TempDir(), client: etcdtest.FreeAddr(t), peer: etcdtest.FreeAddr(t)}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *testEtcd) start() {
	s.t.Helper()
	cfg := etcdtest.Config(s.dir, s.client, s.peer)
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		s.t.Fatalf("starting etcd: %v", err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		e.Close()
		s.t.Fatal("etcd did not become ready")
	}
	s.e, s.stopped = e, false
}

// stop stops the server, keeping its data directory for restart.
func (s *testEtcd) stop() {
	if !s.stopped {
		s.e.Close()
		s.stopped = true
	}
}

func (s *testEtcd) open(t *testing.T) *Etcd {
	t.Helper()
	return openAt(t, s.client)
}

func openAt(t *testing.T, addr string) *Etcd {
	t.Helper()
	r, err := OpenEtcd(EtcdOptions{Endpoints: []string{addr}, Prefix: "/test/", RequestTimeout: 500 * time.Millisecond, DialTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func rec(alias string) Record {
	return Record{Alias: alias, KeyType: "ZPK", Cryptogram: redact.String("U" + fmt.Sprintf("%032X", len(alias))), KCV: "0A1B2C"}
}

// eventually polls cond until it holds or 5s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *Etcd) cachedAlias(alias string) bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	_, ok := e.cache[alias]
	return ok
}

func TestParseEtcdURL(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{"etcd://127.0.0.1:2379", []string{"127.0.0.1:2379"}, true},
		{"etcd://a:2379,b:2379,[::1]:2379", []string{"a:2379", "b:2379", "[::1]:2379"}, true},
		{"http://a:2379", nil, false},
		{"etcd://", nil, false},
		{"etcd://a", nil, false},
		{"etcd://a:2379,", nil, false},
		{"etcd://:2379", nil, false},
	}
	for _, tc := range tests {
		got, err := ParseEtcdURL(tc.in)
		if (err == nil) != tc.ok || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("ParseEtcdURL(%q) = %v, %v; want %v, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestEtcdSharedBetweenReplicas: what one registry client acknowledges,
// another on the same etcd reads at once, with no wait for the watch.
func TestEtcdSharedBetweenReplicas(t *testing.T) {
	srv := startEtcd(t)
	a, b := srv.open(t), srv.open(t)
	for i := range 50 {
		alias := fmt.Sprintf("key-%d", i)
		if _, err := a.Create(rec(alias)); err != nil {
			t.Fatal(err)
		}
		got, err := b.Get(alias)
		if err != nil {
			t.Fatalf("replica b, just after a's create of %s: %v", alias, err)
		}
		if got.KCV != "0A1B2C" || got.Cryptogram.Reveal() != rec(alias).Cryptogram.Reveal() || got.KeyType != "ZPK" {
			t.Fatalf("b read %+v", got)
		}
	}
	list, err := b.List()
	if err != nil || len(list) != 50 || list[0].Alias != "key-0" || list[1].Alias != "key-1" {
		t.Fatalf("List: %d records, %v", len(list), err)
	}
	if err := b.Delete("key-7"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Create(rec("key-7")); err != nil {
		t.Fatalf("re-create after delete: %v", err)
	}
	if err := a.Delete("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete unknown: %v", err)
	}
	if _, err := a.Get("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get unknown: %v", err)
	}
	// Another prefix is another registry.
	other, err := OpenEtcd(EtcdOptions{Endpoints: []string{srv.client}, Prefix: "/other/"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Get("key-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("other prefix sees key-1: %v", err)
	}
}

// TestEtcdCreateRace: replicas creating one alias at once: exactly one
// wins, the others get ErrExists, and every replica reads the winner's.
func TestEtcdCreateRace(t *testing.T) {
	srv := startEtcd(t)
	regs := []*Etcd{srv.open(t), srv.open(t)}
	for round := range 20 {
		alias := fmt.Sprintf("race-%d", round)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		kcvs := make([]string, 8)
		for i := range errs {
			wg.Go(func() {
				r := rec(alias)
				r.KCV = fmt.Sprintf("%06X", i)
				_, errs[i] = regs[i%2].Create(r)
				kcvs[i] = r.KCV
			})
		}
		wg.Wait()
		won := ""
		for i, err := range errs {
			switch {
			case err == nil && won == "":
				won = kcvs[i]
			case err == nil:
				t.Fatalf("%s: two creates succeeded", alias)
			case !errors.Is(err, ErrExists):
				t.Fatalf("%s: %v", alias, err)
			}
		}
		if won == "" {
			t.Fatalf("%s: no create succeeded", alias)
		}
		for _, r := range regs {
			if got, err := r.Get(alias); err != nil || got.KCV != won {
				t.Fatalf("%s: read %v %v, want the winner's KCV %s", alias, got.KCV, err, won)
			}
		}
	}
}

// TestEtcdCacheFollowsWatch: a replica's cache learns another's creates
// and deletes through the watch, without reading them.
func TestEtcdCacheFollowsWatch(t *testing.T) {
	srv := startEtcd(t)
	a, b := srv.open(t), srv.open(t)
	if _, err := a.Create(rec("watched")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b caches a's create", func() bool { return b.cachedAlias("watched") })
	if _, err := b.Get("watched"); err != nil {
		t.Fatal(err)
	}
	if err := a.Delete("watched"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "b drops a's delete", func() bool { return !b.cachedAlias("watched") })
	if _, err := b.Get("watched"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("b after delete: %v", err)
	}
}

// TestEtcdDown: with etcd gone, writes return ErrUnavailable at once (in
// RequestTimeout), reads are answered from the cache, and once etcd is
// back nothing acknowledged is lost and writes work.
func TestEtcdDown(t *testing.T) {
	srv := startEtcd(t)
	px := etcdtest.StartRelay(t, srv.client)
	a, b := openAt(t, px.Addr), openAt(t, px.Addr)
	for i := range 20 {
		if _, err := a.Create(rec(fmt.Sprintf("k%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "b mirrors a's creates", func() bool { return b.cachedAlias("k19") })
	px.Cut()

	start := time.Now()
	_, err := a.Create(rec("during"))
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("create with etcd down: %v, want ErrUnavailable", err)
	}
	if err := b.Delete("k1"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("delete with etcd down: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("two failed writes took %v", d)
	}
	for _, r := range []*Etcd{a, b} {
		if got, err := r.Get("k3"); err != nil || got.KCV != "0A1B2C" {
			t.Fatalf("cached read with etcd down: %+v %v", got, err)
		}
		if list, err := r.List(); err != nil || len(list) != 20 || list[0].Alias != "k0" {
			t.Fatalf("list with etcd down: %d %v", len(list), err)
		}
	}
	if _, err := b.Get("never"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("uncached read with etcd down: %v, want ErrUnavailable", err)
	}
	eventually(t, "b notices etcd is gone", func() bool { return !b.Synced() })

	// etcd itself restarts on its data directory while unreachable, then
	// the path heals.
	srv.stop()
	srv.start()
	px.Restore()
	eventually(t, "writes work again", func() bool {
		_, err := a.Create(rec("after"))
		return err == nil || errors.Is(err, ErrExists)
	})
	eventually(t, "b resyncs", func() bool { return b.Synced() && b.cachedAlias("after") })
	for _, r := range []*Etcd{a, b} {
		list, err := r.List()
		if err != nil || len(list) != 21 {
			t.Fatalf("after restart: %d records, %v", len(list), err)
		}
	}
	if _, err := b.Get("during"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the write that failed: %v", err)
	}
}

// TestOpenEtcdUnreachable: a required etcd that cannot be reached fails
// OpenEtcd with ErrUnavailable; an optional one opens, and serves once
// etcd appears.
func TestOpenEtcdUnreachable(t *testing.T) {
	addr := etcdtest.FreeAddr(t) // nothing listens here
	start := time.Now()
	_, err := OpenEtcd(EtcdOptions{Endpoints: []string{addr}, DialTimeout: 500 * time.Millisecond})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("OpenEtcd: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("OpenEtcd took %v to fail", d)
	}
	r, err := OpenEtcd(EtcdOptions{Endpoints: []string{addr}, DialTimeout: 500 * time.Millisecond,
		RequestTimeout: 300 * time.Millisecond, Optional: true})
	if err != nil {
		t.Fatalf("optional: %v", err)
	}
	defer r.Close()
	if _, err := r.Create(rec("x")); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("create: %v, want ErrUnavailable", err)
	}
	if _, err := r.List(); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("list before any load: %v, want ErrUnavailable", err)
	}
}
