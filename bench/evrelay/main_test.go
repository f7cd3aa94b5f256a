//go:build linux

package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/simulator"
)

// TestRelaysEveryAnswerToItsClient sends pipelined echo commands from
// several clients through the relay to two simulators and checks that each
// client gets back, for each command, the answer to that command: the
// relay's figures in bench/compare.sh mean something only if it relays
// correctly.
func TestRelaysEveryAnswerToItsClient(t *testing.T) {
	var addrs []string
	for range 2 {
		s, err := simulator.Start(simulator.Config{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		addrs = append(addrs, s.Addr())
	}
	r, err := newRelay("127.0.0.1:0", addrs, 2)
	if err != nil {
		t.Fatal(err)
	}
	go r.loop() // ends when the simulators close

	const clients, perClient, inFlight = 4, 500, 16
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, clients*inFlight)
	for i := range clients {
		c, err := hostcmd.Dial(ctx, r.addr, hostcmd.ClientOptions{HeaderLen: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		for w := range inFlight {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := w; k < perClient; k += inFlight {
					data := fmt.Sprintf("c%02dk%04d", i, k)
					body := fmt.Appendf(nil, "B2%04X%s", len(data), data)
					resp, err := c.RoundTrip(ctx, body)
					if err != nil {
						errs <- err
						return
					}
					if want := "B300" + data; string(resp) != want {
						errs <- fmt.Errorf("client %d: answer %q, want %q", i, resp, want)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
