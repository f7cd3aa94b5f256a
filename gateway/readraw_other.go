//go:build !linux

package gateway

// readRaw returns false: without Linux's TCP_INQ the front reads through
// the net.Conn (readConn).
func (c *client) readRaw(r *reading) bool { return false }
