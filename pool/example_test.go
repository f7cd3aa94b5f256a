package pool_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/pool"
	"github.com/payhsm/payhsm-gw/simulator"
)

// A pool over an HA pair of simulated HSMs: Do sends a command body (no
// header) to a healthy HSM and returns the answer body.
func Example() {
	a, _ := simulator.Start(simulator.Config{})
	defer a.Close()
	b, _ := simulator.Start(simulator.Config{})
	defer b.Close()

	p, err := pool.New(context.Background(), pool.Config{HSMs: []pool.HSMConfig{
		{Name: "hsm-a", Addr: a.Addr(), Pair: "pair-1", CPS: 250},
		{Name: "hsm-b", Addr: b.Addr(), Pair: "pair-1", CPS: 250},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.WaitReady(ctx); err != nil {
		fmt.Println(err)
		return
	}

	resp, err := p.Do(ctx, []byte("B20005hello")) // B2: echo
	var he *hostcmd.Error
	switch {
	case errors.As(err, &he) && he.Code == hostcmd.InternalError:
		fmt.Println("no HSM could answer in time")
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Printf("%s\n", resp)
	}
	// Output: B300hello
}
