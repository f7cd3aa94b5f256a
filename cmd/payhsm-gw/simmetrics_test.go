package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

// `sim --metrics ADDR` serves the simulator's own counters: three commands
// sent are three counted, within one second, under the licence given.
func TestSimMetricsCountsCommands(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"sim", "--listen", "127.0.0.1:0", "--cps", "500", "--metrics", "127.0.0.1:0"}, &out, &errb)
	}()
	defer func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("sim exited %d: %s", code, errb.String())
		}
	}()
	listening := regexp.MustCompile(`msg="simulator listening" addr=(\S+)`)
	metrics := regexp.MustCompile(`msg="simulator metrics listening" addr=(\S+)`)
	var addr, maddr string
	for deadline := time.Now().Add(10 * time.Second); (addr == "" || maddr == "") && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := listening.FindStringSubmatch(errb.String()); m != nil {
			addr = m[1]
		}
		if m := metrics.FindStringSubmatch(errb.String()); m != nil {
			maddr = m[1]
		}
	}
	if addr == "" || maddr == "" {
		t.Fatalf("sim did not log both addresses: %s", errb.String())
	}
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	r := hostcmd.NewReader(nc, 4)
	for range 3 {
		if _, err := nc.Write(hostcmd.AppendFrame(nil, []byte("0001"), []byte("NC"))); err != nil {
			t.Fatal(err)
		}
		if _, err := r.ReadFrame(); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Get("http://" + maddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"payhsm_sim_commands_total 3\n",
		"payhsm_sim_commands_max_per_second 3\n",
		"payhsm_sim_licence_cps 500\n",
		"payhsm_sim_connections 1\n",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}

// A --metrics address that cannot be listened on fails the command.
func TestSimMetricsBadAddress(t *testing.T) {
	var out, errb syncBuffer
	code := run(context.Background(), []string{"sim", "--listen", "127.0.0.1:0", "--metrics", "256.0.0.1:1"}, &out, &errb)
	if code != exitFailed || !strings.Contains(errb.String(), "--metrics") {
		t.Errorf("exit %d, stderr %q; want %d and an error naming --metrics", code, errb.String(), exitFailed)
	}
}
