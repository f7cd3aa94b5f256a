// Package cluster splits the HSM licences among gateway replicas that
// share one etcd, live (ours). Each replica holds a membership key under a
// lease it renews; its share of every HSM's licensed rate is its weight
// over the total weight of the live members, recomputed whenever a member
// joins or its lease ends. A replica killed without a word drops out
// within the lease TTL, and the others' shares rise.
//
// When a replica cannot reach etcd it keeps its last share, which is never
// more than its weight over the last members it saw (1/N with equal
// weights), and reports itself held (Status.Live false) until it is back.
// While held, a replica that etcd has already dropped may run at its old
// share alongside the others' raised ones: the licence is then overshot
// by at most that old share until the partition heals or the replica is
// stopped; host commands keep flowing meanwhile.
package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Options configures Join.
type Options struct {
	// Client is the etcd client, normally the registry's (required).
	Client *clientv3.Client
	// Prefix is the gateway cluster's key prefix; members live under
	// Prefix + "members/" (required, e.g. "/payhsm-gw/").
	Prefix string
	// Name is this replica's name, unique among live members (required).
	Name string
	// Weight is this replica's weight in the split (default 1).
	Weight float64
	// TTL is the membership lease (default 5s, whole seconds, at least 2s).
	TTL time.Duration
	// InitialShare is the share before the first membership view
	// (default 1).
	InitialShare float64
	// OnShare is called with every new share, in (0, 1], from one
	// goroutine at a time (required).
	OnShare func(share float64)
	// Logger receives membership changes (default: discard).
	Logger *slog.Logger
	// Registerer receives payhsm_cluster_members and payhsm_cluster_live
	// (default: not registered).
	Registerer prometheus.Registerer
}

// Status is a replica's view of the membership.
type Status struct {
	// Name is this replica's member name.
	Name string `json:"name"`
	// Members is the number of live members last seen, this one included
	// (0 before the first view).
	Members int `json:"members"`
	// Share is this replica's share of every HSM's licensed rate.
	Share float64 `json:"share"`
	// Live is true while the view is current; false while etcd cannot be
	// reached and the last share is held.
	Live bool `json:"live"`
}

// Member is this replica's membership. Close leaves the cluster.
type Member struct {
	opt   Options
	key   string // this member's key
	dir   string // Prefix + "members/"
	log   *slog.Logger
	ttlS  int64
	mu    sync.Mutex
	st    Status
	lease clientv3.LeaseID
	// published is set once the first view is handed to OnShare.
	published bool

	joined chan struct{}
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

type memberValue struct {
	Weight float64 `json:"weight"`
}

// Join starts keeping this replica's membership and returns at once; see
// WaitJoined. It fails only on bad options or metric registration.
func Join(opt Options) (*Member, error) {
	if opt.Client == nil || opt.OnShare == nil || opt.Name == "" || opt.Prefix == "" {
		return nil, errors.New("cluster: Join needs Client, Prefix, Name and OnShare")
	}
	if strings.Contains(opt.Name, "/") {
		return nil, fmt.Errorf("cluster: member name %q has a '/'", opt.Name)
	}
	if opt.Weight == 0 {
		opt.Weight = 1
	}
	if opt.Weight < 0 {
		return nil, errors.New("cluster: negative weight")
	}
	if opt.TTL == 0 {
		opt.TTL = 5 * time.Second
	}
	if opt.TTL < 2*time.Second {
		return nil, errors.New("cluster: TTL under 2s")
	}
	if opt.InitialShare <= 0 || opt.InitialShare > 1 {
		opt.InitialShare = 1
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Member{
		opt: opt, dir: opt.Prefix + "members/", log: opt.Logger,
		ttlS:   int64((opt.TTL + time.Second - 1) / time.Second),
		st:     Status{Name: opt.Name, Share: opt.InitialShare},
		joined: make(chan struct{}), done: make(chan struct{}),
	}
	m.key = m.dir + opt.Name
	if opt.Registerer != nil {
		for _, c := range []prometheus.Collector{
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "payhsm_cluster_members",
				Help: "Gateway replicas live in the membership, this one included, as last seen."},
				func() float64 { return float64(m.Status().Members) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "payhsm_cluster_live",
				Help: "1 while this replica's membership view is current, 0 while etcd is unreachable and the last licence share is held."},
				func() float64 {
					if m.Status().Live {
						return 1
					}
					return 0
				}),
		} {
			if err := opt.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("cluster: registering metrics: %w", err)
			}
		}
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	go m.loop()
	return m, nil
}

// Status returns this replica's view.
func (m *Member) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st
}

// WaitJoined waits for the first membership view, or ctx.
func (m *Member) WaitJoined(ctx context.Context) error {
	select {
	case <-m.joined:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("cluster: joining: %w", ctx.Err())
	}
}

// Close leaves the cluster: it stops renewing the lease and revokes it, so
// that the others' shares rise at once rather than after the TTL.
func (m *Member) Close() error {
	m.cancel()
	<-m.done
	m.mu.Lock()
	lease := m.lease
	m.mu.Unlock()
	if lease == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := m.opt.Client.Revoke(ctx, lease); err != nil {
		return fmt.Errorf("cluster: revoking the membership lease: %w", err)
	}
	return nil
}

func (m *Member) loop() {
	defer close(m.done)
	backoff := 200 * time.Millisecond
	for m.ctx.Err() == nil {
		err := m.session()
		if m.ctx.Err() != nil {
			return
		}
		if m.setLive(false) {
			m.log.Warn("cluster: membership lost; holding the last licence share",
				"share", m.Status().Share, "err", err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-m.ctx.Done():
			t.Stop()
			return
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// setLive records whether the view is current and reports whether it
// changed.
func (m *Member) setLive(live bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	was := m.st.Live
	m.st.Live = live
	return was != live
}

// session holds one lease: it grants it, puts this member's key, reads the
// members and follows them until the lease is lost, the watch breaks or
// Close. A session that ends leaves the share as it was.
func (m *Member) session() error {
	ctx, cancel := context.WithCancel(m.ctx)
	defer cancel()
	cli := m.opt.Client
	rctx, rcancel := context.WithTimeout(ctx, m.opt.TTL/2)
	defer rcancel()
	lease, err := cli.Grant(rctx, m.ttlS)
	if err != nil {
		return fmt.Errorf("granting lease: %w", err)
	}
	m.mu.Lock()
	m.lease = lease.ID
	m.mu.Unlock()
	val, _ := json.Marshal(memberValue{Weight: m.opt.Weight})
	if _, err := cli.Put(rctx, m.key, string(val), clientv3.WithLease(lease.ID)); err != nil {
		return fmt.Errorf("putting member key: %w", err)
	}
	ka, err := cli.KeepAlive(ctx, lease.ID)
	if err != nil {
		return fmt.Errorf("keeping the lease alive: %w", err)
	}
	resp, err := cli.Get(rctx, m.dir, clientv3.WithPrefix())
	if err != nil {
		return fmt.Errorf("reading members: %w", err)
	}
	members := map[string]float64{}
	for _, kv := range resp.Kvs {
		members[strings.TrimPrefix(string(kv.Key), m.dir)] = weightOf(kv.Value)
	}
	m.publish(members)
	wch := cli.Watch(clientv3.WithRequireLeader(ctx), m.dir, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1))

	// A keepalive answer a third of the TTL late means etcd is out of
	// reach: say so at once, well before the lease itself runs out.
	lastKA := time.Now()
	tick := time.NewTicker(m.opt.TTL / 4)
	defer tick.Stop()
	for {
		select {
		case _, ok := <-ka:
			if !ok {
				return errors.New("lease lost")
			}
			lastKA = time.Now()
			if m.setLive(true) {
				m.log.Info("cluster: membership back", "share", m.Status().Share)
			}
		case wr, ok := <-wch:
			if !ok {
				return errors.New("watch closed")
			}
			if err := wr.Err(); err != nil {
				return fmt.Errorf("watching members: %w", err)
			}
			for _, ev := range wr.Events {
				name := strings.TrimPrefix(string(ev.Kv.Key), m.dir)
				if ev.Type == clientv3.EventTypeDelete {
					delete(members, name)
				} else {
					members[name] = weightOf(ev.Kv.Value)
				}
			}
			m.publish(members)
		case <-tick.C:
			if time.Since(lastKA) > m.opt.TTL/3+m.opt.TTL/4 && m.setLive(false) {
				m.log.Warn("cluster: etcd not answering; holding the last licence share", "share", m.Status().Share)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func weightOf(v []byte) float64 {
	var mv memberValue
	if err := json.Unmarshal(v, &mv); err != nil || !(mv.Weight > 0) {
		return 1
	}
	return mv.Weight
}

// publish computes this replica's share from the live members and hands
// it to OnShare when it changed. This replica counts even before its own
// key shows in the view.
func (m *Member) publish(members map[string]float64) {
	total := m.opt.Weight
	for name, w := range members {
		if name != m.opt.Name {
			total += w
		}
	}
	n := len(members)
	if _, ok := members[m.opt.Name]; !ok {
		n++
	}
	share := min(1, m.opt.Weight/total)
	m.mu.Lock()
	changed := share != m.st.Share || n != m.st.Members
	shareChanged := share != m.st.Share || !m.published
	m.st.Share, m.st.Members, m.st.Live, m.published = share, n, true, true
	m.mu.Unlock()
	m.once.Do(func() { close(m.joined) })
	if changed {
		m.log.Info("cluster: membership changed", "members", n, "share", share)
	}
	if shareChanged {
		m.opt.OnShare(share)
	}
}
