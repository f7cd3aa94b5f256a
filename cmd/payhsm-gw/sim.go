package main

import (
	"context"
	"io"
)

// runSim is the entry point of 'payhsm-gw sim'.
func runSim(_ context.Context, _ []string, _, stderr io.Writer) int {
	return notBuilt("sim", stderr)
}
