package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/payhsm/payhsm-gw/cluster"
	"github.com/payhsm/payhsm-gw/config"
	"github.com/payhsm/payhsm-gw/pool"
	"github.com/payhsm/payhsm-gw/registry"
	"github.com/payhsm/payhsm-gw/rest"
)

// registryFlags are serve's --registry and --registry-optional.
type registryFlags struct {
	url      *string
	optional *bool
}

func addRegistryFlags(fs *flag.FlagSet) registryFlags {
	return registryFlags{
		url: fs.String("registry", "", "key registry `URL`: etcd://HOST:PORT[,HOST:PORT...] to share it (and split the HSM licences live) among replicas; default the embedded one under --data"),
		optional: fs.Bool("registry-optional", false,
			"start even when etcd cannot be reached: key writes answer 503 until it can (default: exit 2)"),
	}
}

// apply sets the flags given on the command line over the file's values.
func (f registryFlags) apply(cfg *config.Config, set map[string]bool) {
	if set["registry"] {
		cfg.Registry.URL = *f.url
	}
	if set["registry-optional"] {
		cfg.Registry.Optional = *f.optional
	}
}

// openRegistry opens the key registry the configuration names: the bbolt
// file under Data, or etcd. The *registry.Etcd is nil for bbolt. On failure
// it returns the exit code: exitUsage for an etcd that cannot be reached
// (a deployment error, like a bad configuration), exitFailed otherwise.
func openRegistry(cfg *config.Config, log *slog.Logger) (registry.Store, *registry.Etcd, int, error) {
	r := cfg.Registry
	if !r.Etcd() {
		reg, err := registry.Open(cfg.Data, registry.Options{})
		if err != nil {
			return nil, nil, exitFailed, fmt.Errorf("key registry in %s: %w", cfg.Data, err)
		}
		return reg, nil, exitOK, nil
	}
	eps, err := registry.ParseEtcdURL(r.URL)
	if err != nil {
		return nil, nil, exitUsage, err
	}
	// Data still holds the audit log by default.
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, nil, exitFailed, fmt.Errorf("creating data directory: %w", err)
	}
	opt := registry.EtcdOptions{
		Endpoints: eps, Prefix: r.Prefix, DialTimeout: r.DialTimeout, RequestTimeout: r.RequestTimeout,
		Optional: r.Optional, Logger: log,
	}
	if r.TLS != nil {
		t, err := r.TLS.Load(eps[0])
		if err != nil {
			return nil, nil, exitUsage, fmt.Errorf("registry.tls: %w", err)
		}
		if r.TLS.ServerName == "" {
			// Each endpoint's own host name is checked, not the first's.
			t.ServerName = ""
		}
		opt.TLS = t
	}
	reg, err := registry.OpenEtcd(opt)
	if err != nil {
		return nil, nil, exitUsage, fmt.Errorf("key registry on etcd (use --registry-optional to start without it): %w", err)
	}
	log.Info("serve: key registry on etcd", "endpoints", eps, "prefix", r.Prefix, "tls", r.TLS != nil)
	return reg, reg, exitOK, nil
}

// startMembership joins the replicas splitting the HSM licences on etcd
// and hands every new share to the pool. It returns nil without etcd or
// with membership disabled. It waits up to the registry's dial timeout
// for the first share, so that the first commands are held to it.
func startMembership(ctx context.Context, cfg *config.Config, etcd *registry.Etcd, p *pool.Pool,
	log *slog.Logger, reg prometheus.Registerer) (*cluster.Member, error) {
	if etcd == nil || cfg.Membership.Disabled {
		return nil, nil
	}
	m, err := cluster.Join(cluster.Options{
		Client: etcd.Client(), Prefix: etcd.Prefix(), Name: cfg.Membership.Name,
		Weight: cfg.Membership.Weight, TTL: cfg.Membership.TTL, InitialShare: p.LicenceShare(),
		OnShare: func(share float64) {
			if err := p.SetLicenceShare(share); err != nil {
				log.Error("serve: licence share", "err", err)
			}
		},
		Logger: log, Registerer: reg,
	})
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, cfg.Registry.DialTimeout)
	defer cancel()
	if err := m.WaitJoined(wctx); err != nil {
		log.Warn("serve: membership not joined yet; holding the configured licence share until it is",
			"share", p.LicenceShare())
	} else {
		st := m.Status()
		log.Info("serve: joined the replicas", "name", st.Name, "members", st.Members, "share", st.Share)
	}
	return m, nil
}

// clusterStatus is rest.PoolStatus with this replica's membership view.
func clusterStatus(p *pool.Pool, m *cluster.Member) func() rest.Status {
	ps := rest.PoolStatus(p)
	if m == nil {
		return ps
	}
	return func() rest.Status {
		st := ps()
		ms := m.Status()
		st.Membership = &rest.Membership{Name: ms.Name, Members: ms.Members, Live: ms.Live}
		return st
	}
}
