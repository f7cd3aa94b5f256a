//go:build !unix

package gateway

// writeNow writes nothing where non-blocking writes are not available:
// every answer goes through the connection's writer goroutine.
func (c *client) writeNow(b []byte) (int, error) { return 0, nil }
