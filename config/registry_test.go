package config

import (
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/registry"
)

func TestRegistryAndMembershipDefaults(t *testing.T) {
	c, err := Parse([]byte("registry: {url: \"etcd://e1:2379,e2:2379\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	c.setRegistryDefaults(func() (string, error) { return "payhsm-gw-7c9d-abcde", nil })
	c.SetDefaults() // keeps the name already set
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	r, m := c.Registry, c.Membership
	if !r.Etcd() || r.Prefix != "/payhsm-gw/" || r.DialTimeout != 5*time.Second || r.RequestTimeout != 2*time.Second || r.Optional {
		t.Errorf("registry defaults: %+v", r)
	}
	if m.Name != "payhsm-gw-7c9d-abcde" || m.Weight != 1 || m.TTL != 5*time.Second || m.Disabled {
		t.Errorf("membership defaults: %+v", m)
	}

	var bolt Config
	bolt.setRegistryDefaults(func() (string, error) { return "", errors.New("no host name") })
	if bolt.Registry.Etcd() || bolt.Membership.Name != "" {
		t.Errorf("embedded registry: %+v %+v", bolt.Registry, bolt.Membership)
	}
	bolt.SetDefaults()
	if err := bolt.Validate(); err != nil {
		t.Errorf("embedded registry without a member name: %v", err)
	}
}

func TestRegistryValidateNamesEveryPath(t *testing.T) {
	rejects(t, `
registry:
  url: "etcd://nohost"
  prefix: payhsm
  dial_timeout: 1ms
  request_timeout: 2m
  tls: {cert: c.pem}
membership:
  name: "has space"
  weight: -1
  ttl: 1s
`,
		"registry.url: want etcd://",
		"registry.prefix",
		"registry.dial_timeout",
		"registry.request_timeout",
		"registry.tls: cert and key go together",
		"membership.weight",
		"membership.ttl",
	)
	rejects(t, "registry: {url: \"etcd://e:2379\"}\nmembership: {name: \"a b\"}\n", "membership.name")
	rejects(t, "registry: {tls: {ca: ca.pem}}\n", "registry.tls: needs an etcd://")
}

// FuzzRegistryURL: registry.ParseEtcdURL, as Validate uses it on
// registry.url, refuses any string or gives endpoints that are each a
// HOST:PORT and, joined, give the URL back. (Here rather than in registry,
// whose test binary links an embedded etcd server: too heavy to rebuild
// instrumented for a parser of one line.)
func FuzzRegistryURL(f *testing.F) {
	for _, s := range []string{"etcd://127.0.0.1:2379", "etcd://a:1,b:2", "etcd://[::1]:2379", "etcd://", "etcd://a:1,,b:2", "http://a:1", "etcd://a:b:c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		eps, err := registry.ParseEtcdURL(s)
		if err != nil {
			return
		}
		for _, ep := range eps {
			if h, p, err := net.SplitHostPort(ep); err != nil || h == "" || p == "" {
				t.Fatalf("%q gave endpoint %q", s, ep)
			}
		}
		if registry.EtcdScheme+strings.Join(eps, ",") != s {
			t.Fatalf("%q gave %v", s, eps)
		}
	})
}
