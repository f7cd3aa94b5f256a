//go:build !unix

package gateway

// nbWrite is unused where non-blocking writes are not available.
type nbWrite struct{}

// writeNow writes nothing where non-blocking writes are not available:
// every answer goes through the connection's writer goroutine.
func (c *client) writeNow(b []byte) (int, error) { return 0, nil }
