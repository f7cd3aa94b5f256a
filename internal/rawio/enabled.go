//go:build !norawio

package rawio

// Enabled is the one switch of the raw-system-call path: false in a build
// with the tag norawio, and then New returns nil and every caller (the
// gateway front, the pool's HSM connections, hostcmd.Client) keeps the
// plain net.Conn path. scripts/check runs their tests both ways.
const Enabled = true
