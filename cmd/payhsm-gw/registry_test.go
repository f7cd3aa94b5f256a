package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/payhsm/payhsm-gw/internal/etcdtest"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/simulator"
)

// TestServeExits2WhenEtcdIsUnreachable: a required etcd that does not
// answer stops serve at start with exit 2 and a line saying what to do;
// with --registry-optional serve starts, and key writes answer 503.
func TestServeExits2WhenEtcdIsUnreachable(t *testing.T) {
	dir := t.TempDir()
	gone := etcdtest.FreeAddr(t)
	file := write(t, dir, "gw.yaml", "registry: {dial_timeout: 500ms, request_timeout: 300ms}\n")
	var errb syncBuffer
	start := time.Now()
	code := runServe(context.Background(), []string{"--config", file, "--hsm", "a=127.0.0.1:1", "--registry", "etcd://" + gone,
		"--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", filepath.Join(dir, "data")}, io.Discard, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "--registry-optional") || !strings.Contains(errb.String(), "etcd") {
		t.Fatalf("have exit %d, stderr %q; want 2 and a line naming etcd and --registry-optional", code, errb.String())
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to give up", d)
	}

	s := startServe(t, "--config", file, "--hsm", "a=127.0.0.1:1", "--registry", "etcd://"+gone, "--registry-optional",
		"--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", filepath.Join(dir, "data"))
	v := loadRESTVectors(t)
	if code, body := s.do(t, "POST", "/v1/keys", v.KeyImport.Request); code != http.StatusServiceUnavailable {
		t.Fatalf("POST /v1/keys with etcd unreachable: have %d %s, want 503", code, body)
	}
}

type hsmsBody struct {
	Pairs []struct {
		HSMs []struct {
			Name         string  `json:"name"`
			UsableCPS    float64 `json:"usableCps"`
			LicenceShare float64 `json:"licenceShare"`
		} `json:"hsms"`
	} `json:"pairs"`
	Membership *struct {
		Name    string `json:"name"`
		Members int    `json:"members"`
		Live    bool   `json:"live"`
	} `json:"membership"`
}

func hsms(t *testing.T, s *served) hsmsBody {
	t.Helper()
	code, body := s.do(t, "GET", "/v1/hsms", nil)
	var b hsmsBody
	if err := json.Unmarshal(body, &b); code != http.StatusOK || err != nil {
		t.Fatalf("GET /v1/hsms: %d %s", code, body)
	}
	return b
}

func metric(t *testing.T, s *served, name string) float64 {
	t.Helper()
	_, body := s.do(t, "GET", "/metrics", nil)
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in /metrics", name)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestServeReplicasShareEtcd: two serve replicas on one etcd share the key
// registry (an alias acknowledged by one is read at once on the other, a
// create race has one winner) and split the HSM licence live.
func TestServeReplicasShareEtcd(t *testing.T) {
	etcd := etcdtest.Start(t)
	sim, err := simulator.Start(simulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	dir := t.TempDir()
	replica := func(name string) *served {
		file := write(t, dir, name+".yaml", "membership: {name: "+name+", ttl: 2s}\n")
		return startServe(t, "--config", file, "--hsm", "a="+sim.Addr()+",cps=400", "--registry", "etcd://"+etcd,
			"--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", filepath.Join(dir, name))
	}
	r1, r2 := replica("r1"), replica("r2")
	eventually := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("not within 5s: %s", what)
			}
		}
	}
	for _, r := range []*served{r1, r2} {
		eventually("a share of 1/2 on each", func() bool {
			b := hsms(t, r)
			return b.Membership != nil && b.Membership.Members == 2 && b.Membership.Live &&
				b.Pairs[0].HSMs[0].LicenceShare == 0.5 && b.Pairs[0].HSMs[0].UsableCPS == 200
		})
		if v := metric(t, r, "payhsm_licence_share"); v != 0.5 {
			t.Errorf("payhsm_licence_share %v", v)
		}
	}

	v := loadRESTVectors(t)
	if code, body := r1.do(t, "POST", "/v1/keys", v.KeyImport.Request); code != http.StatusCreated {
		t.Fatalf("POST on r1: %d %s", code, body)
	}
	if code, body := r2.do(t, "GET", "/v1/keys/zpk-issuer-1", nil); code != http.StatusOK || !strings.Contains(string(body), `"6F1E3F"`) {
		t.Fatalf("GET on r2 just after r1's 201: %d %s", code, body)
	}

	// Both replicas create the same new alias at once: one 201, one 409.
	var req map[string]any
	json.Unmarshal(v.KeyImport.Request, &req)
	for i := range 5 {
		req["alias"] = fmt.Sprintf("race-%d", i)
		body, _ := json.Marshal(req)
		var wg sync.WaitGroup
		codes := make([]int, 2)
		for j, r := range []*served{r1, r2} {
			wg.Go(func() { codes[j], _ = r.do(t, "POST", "/v1/keys", body) })
		}
		wg.Wait()
		if !(codes[0] == http.StatusCreated && codes[1] == http.StatusConflict ||
			codes[0] == http.StatusConflict && codes[1] == http.StatusCreated) {
			t.Fatalf("race %d: codes %v, want one 201 and one 409", i, codes)
		}
	}

	// r2 stops: it leaves, and r1 takes the whole licence.
	if code := r2.stop(); code != exitOK {
		t.Fatalf("r2 exit %d", code)
	}
	eventually("r1's share back to 1", func() bool {
		b := hsms(t, r1)
		return b.Membership.Members == 1 && b.Pairs[0].HSMs[0].LicenceShare == 1
	})
	if v := metric(t, r1, "payhsm_cluster_members"); v != 1 {
		t.Errorf("payhsm_cluster_members %v", v)
	}
}

// TestServeKeepsServingWhenEtcdIsLost: with etcd gone, host commands keep
// flowing, a cached alias still resolves, key writes answer 503, and
// /v1/hsms says the share is held.
func TestServeKeepsServingWhenEtcdIsLost(t *testing.T) {
	etcd := etcdtest.Start(t)
	px := etcdtest.StartRelay(t, etcd)
	sim, err := simulator.Start(simulator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	dir := t.TempDir()
	file := write(t, dir, "gw.yaml", "registry: {request_timeout: 300ms}\nmembership: {name: r1, ttl: 2s}\n")
	s := startServe(t, "--config", file, "--hsm", "a="+sim.Addr()+",cps=400", "--registry", "etcd://"+px.Addr,
		"--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", filepath.Join(dir, "data"))
	v := loadRESTVectors(t)
	if code, body := s.do(t, "POST", "/v1/keys", v.KeyImport.Request); code != http.StatusCreated {
		t.Fatalf("POST: %d %s", code, body)
	}
	px.Cut()

	c, err := net.Dial("tcp", s.front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := hostcmd.NewReader(c, 4)
	for range 3 {
		if _, err := c.Write(hostcmd.AppendFrame(nil, []byte("0001"), []byte("NC"))); err != nil {
			t.Fatal(err)
		}
		if f, err := r.ReadFrame(); err != nil || !strings.HasPrefix(string(f.Body()), "ND00") {
			t.Fatalf("NC with etcd lost: %q %v", f.Body(), err)
		}
	}
	if code, body := s.do(t, "GET", "/v1/keys/zpk-issuer-1", nil); code != http.StatusOK {
		t.Fatalf("cached GET with etcd lost: %d %s", code, body)
	}
	var req map[string]any
	json.Unmarshal(v.KeyImport.Request, &req)
	req["alias"] = "during-outage"
	body, _ := json.Marshal(req)
	if code, b := s.do(t, "POST", "/v1/keys", body); code != http.StatusServiceUnavailable {
		t.Fatalf("POST with etcd lost: %d %s, want 503", code, b)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		b := hsms(t, s)
		if !b.Membership.Live {
			if b.Pairs[0].HSMs[0].LicenceShare != 1 {
				t.Fatalf("held share %v, want its last, 1", b.Pairs[0].HSMs[0].LicenceShare)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/v1/hsms never said the share is held")
		}
	}
	if v := metric(t, s, "payhsm_cluster_live"); v != 0 {
		t.Errorf("payhsm_cluster_live %v while etcd is lost", v)
	}
}
