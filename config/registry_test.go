package config

import (
	"errors"
	"strings"
	"testing"
	"time"
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
	c, err := Parse([]byte(`
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
`))
	if err != nil {
		t.Fatal(err)
	}
	c.SetDefaults()
	err = c.Validate()
	if err == nil {
		t.Fatal("Validate accepted a bad registry section")
	}
	for _, want := range []string{
		"registry.url: want etcd://",
		"registry.prefix",
		"registry.dial_timeout",
		"registry.request_timeout",
		"registry.tls: cert and key go together",
		"membership.weight",
		"membership.ttl",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no %q in:\n%v", want, err)
		}
	}
	c2, _ := Parse([]byte("registry: {url: \"etcd://e:2379\"}\nmembership: {name: \"a b\"}\n"))
	c2.SetDefaults()
	if err := c2.Validate(); err == nil || !strings.Contains(err.Error(), "membership.name") {
		t.Errorf("bad member name: %v", err)
	}
	c3, _ := Parse([]byte("registry: {tls: {ca: ca.pem}}\n"))
	c3.SetDefaults()
	if err := c3.Validate(); err == nil || !strings.Contains(err.Error(), "registry.tls: needs an etcd://") {
		t.Errorf("tls without etcd: %v", err)
	}
}
