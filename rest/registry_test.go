package rest

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/payhsm/payhsm-gw/registry"
)

// flakyStore is a real registry that fails like a shared registry whose
// etcd is unreachable while down is set: writes and reads return
// registry.ErrUnavailable.
type flakyStore struct {
	registry.Store
	down atomic.Bool
}

func (f *flakyStore) err() error {
	if f.down.Load() {
		return fmt.Errorf("%w: writing record: context deadline exceeded", registry.ErrUnavailable)
	}
	return nil
}

func (f *flakyStore) Create(r registry.Record) (registry.Record, error) {
	if err := f.err(); err != nil {
		return registry.Record{}, err
	}
	return f.Store.Create(r)
}

func (f *flakyStore) Get(alias string) (registry.Record, error) {
	if err := f.err(); err != nil {
		return registry.Record{}, err
	}
	return f.Store.Get(alias)
}

func (f *flakyStore) Delete(alias string) error {
	if err := f.err(); err != nil {
		return err
	}
	return f.Store.Delete(alias)
}

// TestRegistryUnavailableIs503: an unreachable shared registry answers
// 503 with Retry-After on key writes, reads and alias resolution (the
// client may retry), never 500; once back, the same request succeeds.
func TestRegistryUnavailableIs503(t *testing.T) {
	fs := &flakyStore{}
	e := newEnv(t, func(c *Config) {
		fs.Store = c.Registry
		c.Registry = fs
	})
	body := string(mustJSON(t, validBodies(t)["/v1/keys"]))
	fs.down.Store(true)
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodPost, "/v1/keys", body},
		{http.MethodGet, "/v1/keys/zpk-1", ""},
		{http.MethodDelete, "/v1/keys/zpk-1", ""},
	} {
		r := e.do(tc.method, tc.path, strings.NewReader(tc.body), nil)
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" {
			t.Fatalf("%s %s with the registry down: %d %s, want 503 with Retry-After", tc.method, tc.path, r.status, r.body)
		}
		if code, _, _ := r.errorOf(t); code != CodeUnavailable {
			t.Fatalf("%s %s: code %q", tc.method, tc.path, code)
		}
	}
	fs.down.Store(false)
	if r := e.do(http.MethodPost, "/v1/keys", strings.NewReader(body), nil); r.status != http.StatusCreated {
		t.Fatalf("registry back: %d %s", r.status, r.body)
	}
}
