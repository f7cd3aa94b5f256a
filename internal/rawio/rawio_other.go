//go:build !linux

package rawio

import "net"

// Conn is not available here; New returns nil.
type Conn struct{ net.Conn }

// New returns nil: raw calls are used on Linux only.
func New(net.Conn) *Conn { return nil }
