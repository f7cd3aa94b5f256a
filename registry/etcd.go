package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// EtcdScheme is the scheme of a registry URL naming etcd endpoints:
// etcd://HOST:PORT[,HOST:PORT...] (ours).
const EtcdScheme = "etcd://"

// DefaultEtcdPrefix is the default key prefix of EtcdOptions.Prefix.
const DefaultEtcdPrefix = "/payhsm-gw/"

// ParseEtcdURL returns the endpoints of an etcd:// registry URL, each a
// HOST:PORT. TLS is chosen by configuration (client certificates), not by
// the URL.
func ParseEtcdURL(s string) ([]string, error) {
	rest, ok := strings.CutPrefix(s, EtcdScheme)
	if !ok {
		return nil, fmt.Errorf("registry: %q: want etcd://HOST:PORT[,HOST:PORT...]", s)
	}
	var eps []string
	for ep := range strings.SplitSeq(rest, ",") {
		host, port, err := net.SplitHostPort(ep)
		if err != nil || host == "" || port == "" {
			return nil, fmt.Errorf("registry: etcd endpoint %q: want HOST:PORT", ep)
		}
		eps = append(eps, ep)
	}
	return eps, nil
}

// EtcdOptions configures OpenEtcd.
type EtcdOptions struct {
	// Endpoints are the etcd members, each HOST:PORT (required).
	Endpoints []string
	// TLS, when set, is used for every connection to etcd, with the
	// client certificate etcd's --client-cert-auth checks (default: plain
	// gRPC, for a loopback or test etcd only).
	TLS *tls.Config
	// Prefix is prepended to every key this gateway writes, so that one
	// etcd can serve several gateway clusters (default DefaultEtcdPrefix).
	Prefix string
	// DialTimeout bounds the first connection (default 5s).
	DialTimeout time.Duration
	// RequestTimeout bounds one read or write; past it the operation
	// returns ErrUnavailable (default 2s).
	RequestTimeout time.Duration
	// Optional makes OpenEtcd return a working store even when etcd cannot
	// be reached: writes and cache misses return ErrUnavailable until it
	// can (default false: OpenEtcd fails).
	Optional bool
	// Logger receives connection changes (default: discard).
	Logger *slog.Logger
}

// Etcd is a key registry on etcd, shared by every gateway replica that
// opens the same endpoints and prefix. It is strongly consistent for what
// a caller can observe through it: Create is an etcd transaction that
// succeeds only when the alias has no key (so of two replicas creating one
// alias at once, one gets ErrExists), and a record acknowledged by any
// replica is read at once by every other, since a Get that its cache does
// not answer is a linearizable etcd read.
//
// Each replica mirrors the registry in memory, loaded at start and kept
// current by an etcd watch: Get answers a cached alias without a round
// trip, and when etcd cannot be reached Get and List answer from the
// mirror while Create and Delete return ErrUnavailable. Records are never
// modified once created, so the mirror can only lag on a delete made by
// another replica, for as long as the watch takes to deliver it.
type Etcd struct {
	cli     *clientv3.Client
	prefix  string // Prefix + "keys/"
	bg      sync.WaitGroup
	timeout time.Duration
	log     *slog.Logger

	mu        sync.RWMutex
	cache     map[string]cached
	rev       int64 // etcd revision the mirror reflects; 0 before the first load
	watching  atomic.Bool
	reachable atomic.Bool

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

type cached struct {
	rec Record
	rev int64 // ModRevision of the key
}

// OpenEtcd connects to etcd, loads the registry's mirror and starts
// watching. Unless opt.Optional, it fails when etcd cannot be reached
// within DialTimeout; the error wraps ErrUnavailable.
func OpenEtcd(opt EtcdOptions) (*Etcd, error) {
	if len(opt.Endpoints) == 0 {
		return nil, errors.New("registry: etcd: no endpoints")
	}
	if opt.Prefix == "" {
		opt.Prefix = DefaultEtcdPrefix
	}
	if opt.DialTimeout <= 0 {
		opt.DialTimeout = 5 * time.Second
	}
	if opt.RequestTimeout <= 0 {
		opt.RequestTimeout = 2 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   opt.Endpoints,
		TLS:         opt.TLS,
		DialTimeout: opt.DialTimeout,
		// Our own logger says what matters; the client's is zap.
		Logger: zap.NewNop(),
		// Let a partitioned replica notice: keepalives on the gRPC stream.
		DialKeepAliveTime:    5 * time.Second,
		DialKeepAliveTimeout: 2 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: connecting to etcd: %w", ErrUnavailable, err)
	}
	e := &Etcd{
		cli: cli, prefix: opt.Prefix + "keys/", timeout: opt.RequestTimeout, log: opt.Logger,
		cache: map[string]cached{}, done: make(chan struct{}),
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	ctx, cancel := context.WithTimeout(e.ctx, opt.DialTimeout)
	err = e.load(ctx)
	cancel()
	if err != nil && !opt.Optional {
		e.cancel()
		cli.Close()
		return nil, fmt.Errorf("%w: etcd %s: %w", ErrUnavailable, strings.Join(opt.Endpoints, ","), err)
	}
	if err != nil {
		e.log.Warn("registry: etcd unreachable at start; key writes answer 503 until it is", "err", err)
	}
	e.reachable.Store(err == nil)
	e.bg.Add(1)
	go func() { defer e.bg.Done(); e.healthLoop() }()
	go e.watchLoop()
	return e, nil
}

// Client returns the etcd client, for other users of the same cluster
// (the cluster package's membership). It is closed by Close.
func (e *Etcd) Client() *clientv3.Client { return e.cli }

// Prefix returns the key prefix of this gateway cluster (EtcdOptions.Prefix).
func (e *Etcd) Prefix() string { return strings.TrimSuffix(e.prefix, "keys/") }

// Synced reports whether the mirror is being kept current: the watch is
// established and etcd answered the last health read (one a second).
// It is false while etcd is unreachable.
func (e *Etcd) Synced() bool { return e.watching.Load() && e.reachable.Load() }

// healthInterval is how often a replica checks that etcd answers.
const healthInterval = time.Second

// healthLoop reads one key's count, linearizably, every healthInterval: a
// broken connection does not end a watch (the client resumes it), so this
// is how Synced learns that etcd is gone.
func (e *Etcd) healthLoop() {
	t := time.NewTicker(healthInterval)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(e.ctx, e.timeout)
		_, err := e.cli.Get(ctx, e.prefix, clientv3.WithCountOnly())
		cancel()
		if e.ctx.Err() != nil {
			return
		}
		if was := e.reachable.Swap(err == nil); was != (err == nil) {
			if err != nil {
				e.log.Warn("registry: etcd unreachable; key writes answer 503, reads come from the cache", "err", err)
			} else {
				e.log.Info("registry: etcd reachable")
			}
		}
		select {
		case <-t.C:
		case <-e.ctx.Done():
			return
		}
	}
}

// Close stops the watch and closes the client.
func (e *Etcd) Close() error {
	e.cancel()
	<-e.done
	e.bg.Wait()
	if err := e.cli.Close(); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("registry: closing etcd client: %w", err)
	}
	return nil
}

// load replaces the mirror with the registry as of one revision.
func (e *Etcd) load(ctx context.Context) error {
	resp, err := e.cli.Get(ctx, e.prefix, clientv3.WithPrefix())
	if err != nil {
		return err
	}
	m := make(map[string]cached, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		alias := strings.TrimPrefix(string(kv.Key), e.prefix)
		rec, err := decode(alias, kv.Value)
		if err != nil {
			e.log.Error("registry: skipping a corrupt record", "alias", alias, "err", err)
			continue
		}
		m[alias] = cached{rec: rec, rev: kv.ModRevision}
	}
	e.mu.Lock()
	e.cache, e.rev = m, resp.Header.Revision
	e.mu.Unlock()
	return nil
}

// watchLoop keeps the mirror current: it watches from the revision after
// the mirror's, and reloads the mirror whenever the watch breaks (etcd
// lost, leader lost, history compacted), until Close.
func (e *Etcd) watchLoop() {
	defer close(e.done)
	backoff := 100 * time.Millisecond
	for e.ctx.Err() == nil {
		e.mu.RLock()
		rev := e.rev
		e.mu.RUnlock()
		if rev == 0 {
			ctx, cancel := context.WithTimeout(e.ctx, e.timeout)
			err := e.load(ctx)
			cancel()
			if err != nil {
				e.sleep(backoff)
				backoff = min(2*backoff, 2*time.Second)
				continue
			}
			e.log.Info("registry: etcd reached; key registry loaded")
			continue
		}
		backoff = 100 * time.Millisecond
		e.watch(rev + 1)
		if e.ctx.Err() != nil {
			return
		}
		// The watch broke: the mirror may have missed events, but stays
		// the best answer for reads until a reload replaces it.
		e.watching.Store(false)
		e.log.Warn("registry: etcd watch lost; answering reads from the cache")
		e.mu.Lock()
		e.rev = 0
		e.mu.Unlock()
	}
}

// watch applies events from rev on until the watch ends.
func (e *Etcd) watch(rev int64) {
	ctx, cancel := context.WithCancel(clientv3.WithRequireLeader(e.ctx))
	defer cancel()
	wch := e.cli.Watch(ctx, e.prefix, clientv3.WithPrefix(), clientv3.WithRev(rev), clientv3.WithCreatedNotify())
	for wr := range wch {
		if err := wr.Err(); err != nil {
			e.log.Debug("registry: etcd watch ended", "err", err)
			return
		}
		if wr.Created {
			e.watching.Store(true)
			continue
		}
		e.mu.Lock()
		for _, ev := range wr.Events {
			alias := strings.TrimPrefix(string(ev.Kv.Key), e.prefix)
			if c, ok := e.cache[alias]; ok && c.rev > ev.Kv.ModRevision {
				continue // a newer version came from a read already
			}
			switch ev.Type {
			case clientv3.EventTypeDelete:
				delete(e.cache, alias)
			case clientv3.EventTypePut:
				rec, err := decode(alias, ev.Kv.Value)
				if err != nil {
					e.log.Error("registry: skipping a corrupt record", "alias", alias, "err", err)
					delete(e.cache, alias)
					continue
				}
				e.cache[alias] = cached{rec: rec, rev: ev.Kv.ModRevision}
			}
		}
		e.rev = max(e.rev, wr.Header.Revision)
		e.mu.Unlock()
	}
}

func (e *Etcd) sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-e.ctx.Done():
	}
}

// remember caches rec read or written at etcd revision rev, unless the
// mirror is already past rev: a delete after rev may then have been
// applied, and caching rec would resurrect it.
func (e *Etcd) remember(rec Record, modRev, rev int64) {
	e.mu.Lock()
	if e.rev != 0 && rev >= e.rev {
		e.cache[rec.Alias] = cached{rec: rec, rev: modRev}
	}
	e.mu.Unlock()
}

func unavailable(op string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}

// Create registers rec with a transaction that succeeds only if the alias
// has no key. It returns nil once etcd has committed it (to a quorum).
// ErrUnavailable means the outcome is unknown: the write may have
// committed, and a retry then finds ErrExists.
func (e *Etcd) Create(rec Record) (Record, error) {
	rec, val, err := prepare(rec)
	if err != nil {
		return Record{}, err
	}
	key := e.prefix + rec.Alias
	ctx, cancel := context.WithTimeout(e.ctx, e.timeout)
	defer cancel()
	resp, err := e.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(val))).
		Commit()
	if err != nil {
		return Record{}, unavailable("writing record", err)
	}
	if !resp.Succeeded {
		return Record{}, ErrExists
	}
	rev := resp.Header.Revision
	e.remember(rec, rev, rev)
	return rec, nil
}

// Get returns the record of alias: from the mirror when it holds it, else
// from etcd with a linearizable read, so that an alias another replica
// has just created is found. When etcd cannot be reached, an alias not in
// the mirror returns ErrUnavailable.
func (e *Etcd) Get(alias string) (Record, error) {
	if !ValidAlias(alias) {
		return Record{}, ErrNotFound
	}
	e.mu.RLock()
	c, ok := e.cache[alias]
	e.mu.RUnlock()
	if ok {
		return c.rec, nil
	}
	ctx, cancel := context.WithTimeout(e.ctx, e.timeout)
	defer cancel()
	resp, err := e.cli.Get(ctx, e.prefix+alias)
	if err != nil {
		return Record{}, unavailable("reading record", err)
	}
	if len(resp.Kvs) == 0 {
		return Record{}, ErrNotFound
	}
	kv := resp.Kvs[0]
	rec, err := decode(alias, kv.Value)
	if err != nil {
		return Record{}, err
	}
	e.remember(rec, kv.ModRevision, resp.Header.Revision)
	return rec, nil
}

// List returns every record, ordered by alias: read from etcd, or from the
// mirror when etcd cannot be reached.
func (e *Etcd) List() ([]Record, error) {
	ctx, cancel := context.WithTimeout(e.ctx, e.timeout)
	defer cancel()
	var recs []Record
	resp, err := e.cli.Get(ctx, e.prefix, clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortAscend))
	if err != nil {
		e.mu.RLock()
		loaded := e.rev != 0 || len(e.cache) > 0
		for _, c := range e.cache {
			recs = append(recs, c.rec)
		}
		e.mu.RUnlock()
		if !loaded {
			return nil, unavailable("listing records", err)
		}
		slices.SortFunc(recs, func(a, b Record) int { return strings.Compare(a.Alias, b.Alias) })
		return recs, nil
	}
	for _, kv := range resp.Kvs {
		alias := strings.TrimPrefix(string(kv.Key), e.prefix)
		rec, err := decode(alias, kv.Value)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// Delete removes alias with a transaction that succeeds only if it
// exists, and drops it from this replica's mirror at once.
func (e *Etcd) Delete(alias string) error {
	if !ValidAlias(alias) {
		return ErrNotFound
	}
	key := e.prefix + alias
	ctx, cancel := context.WithTimeout(e.ctx, e.timeout)
	defer cancel()
	resp, err := e.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), ">", 0)).
		Then(clientv3.OpDelete(key)).
		Commit()
	if err != nil {
		return unavailable("deleting record", err)
	}
	e.mu.Lock()
	delete(e.cache, alias)
	e.mu.Unlock()
	if !resp.Succeeded {
		return ErrNotFound
	}
	return nil
}
