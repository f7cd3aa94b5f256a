//go:build norawio

package rawio

// Enabled is false: this build (tag norawio) keeps the plain net.Conn path.
const Enabled = false
