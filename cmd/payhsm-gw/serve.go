package main

import (
	"context"
	"io"
)

// runServe is the entry point of 'payhsm-gw serve'.
func runServe(_ context.Context, _ []string, _, stderr io.Writer) int {
	return notBuilt("serve", stderr)
}
