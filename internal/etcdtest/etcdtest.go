// Package etcdtest starts a real etcd for this module's tests (embedded,
// single member, on loopback) and a relay in front of it that can cut
// every connection, as a partition or a lost etcd does. For tests only:
// importing it links etcd's server.
package etcdtest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// FreeAddr returns a loopback address with a port free at the time.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Config returns the configuration of a single-member etcd with its data
// in dir, serving clients on client and peers on peer.
func Config(dir, client, peer string) *embed.Config {
	cfg := embed.NewConfig()
	cfg.Name = "test"
	cfg.Dir = dir
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.UnsafeNoFsync = true
	cu, pu := url.URL{Scheme: "http", Host: client}, url.URL{Scheme: "http", Host: peer}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{cu}, []url.URL{cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{pu}, []url.URL{pu}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	return cfg
}

// StartConfig starts etcd with cfg and waits until it serves; it is
// closed when the test ends.
func StartConfig(t testing.TB, cfg *embed.Config) *embed.Etcd {
	t.Helper()
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	select {
	case <-e.Server.ReadyNotify():
	case <-time.After(30 * time.Second):
		t.Fatal("etcd did not become ready")
	}
	return e
}

// Start starts an etcd for the test and returns its client address.
func Start(t testing.TB) string {
	t.Helper()
	client := FreeAddr(t)
	StartConfig(t, Config(t.TempDir(), client, FreeAddr(t)))
	return client
}

// Relay is a TCP relay in front of a backend; Cut drops every connection
// and refuses new ones, Restore listens again on the same address.
type Relay struct {
	// Addr is the relay's address, for clients.
	Addr    string
	t       testing.TB
	backend string
	mu      sync.Mutex
	l       net.Listener
	conns   map[net.Conn]bool
}

// StartRelay starts a relay to backend; it is cut when the test ends.
func StartRelay(t testing.TB, backend string) *Relay {
	t.Helper()
	r := &Relay{Addr: FreeAddr(t), t: t, backend: backend, conns: map[net.Conn]bool{}}
	r.Restore()
	t.Cleanup(r.Cut)
	return r
}

// Restore listens again after Cut.
func (r *Relay) Restore() {
	r.t.Helper()
	l, err := net.Listen("tcp", r.Addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.mu.Lock()
	r.l = l
	r.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", r.backend)
			if err != nil {
				c.Close()
				continue
			}
			r.mu.Lock()
			r.conns[c], r.conns[b] = true, true
			r.mu.Unlock()
			go func() { io.Copy(b, c); b.Close(); c.Close() }()
			go func() { io.Copy(c, b); b.Close(); c.Close() }()
		}
	}()
}

// Cut closes the listener and every relayed connection.
func (r *Relay) Cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.l != nil {
		r.l.Close()
		r.l = nil
	}
	for c := range r.conns {
		c.Close()
		delete(r.conns, c)
	}
}
