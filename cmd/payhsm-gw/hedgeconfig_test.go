package main

import (
	"log/slog"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/config"
	"github.com/payhsm/payhsm-gw/pool"
)

func TestPoolConfigCarriesTheHedgeOptions(t *testing.T) {
	c := config.Pool{
		HSMs: []config.HSM{{Name: "a", Addr: "127.0.0.1:1", HeaderLen: config.Int(4)}},
		Hedge: config.Hedge{Disabled: true, Multiplier: 3, MinDelay: 5 * time.Millisecond,
			MaxDelay: 50 * time.Millisecond, Budget: 0.01},
	}
	pc, err := poolConfig(c, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := pool.HedgeConfig{Off: true, Multiplier: 3, MinDelay: 5 * time.Millisecond, MaxDelay: 50 * time.Millisecond, Budget: 0.01}
	if pc.Hedge != want {
		t.Errorf("hedge: have %+v, want %+v", pc.Hedge, want)
	}
}
