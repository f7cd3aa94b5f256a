package main

import (
	"context"
	"io"
)

// runLoad is the entry point of 'payhsm-gw load'.
func runLoad(_ context.Context, _ []string, _, stderr io.Writer) int {
	return notBuilt("load", stderr)
}
