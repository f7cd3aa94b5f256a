package main

import (
	"context"
	"io"
)

// runConform is the entry point of 'payhsm-gw conform'.
func runConform(_ context.Context, _ []string, _, stderr io.Writer) int {
	return notBuilt("conform", stderr)
}
