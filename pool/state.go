package pool

// State is the health state of one HSM (ours).
type State int32

// The states of an HSM. Only Up HSMs receive commands.
const (
	// Down: unreachable, failing probes, or not yet probed.
	Down State = iota
	// Up: probes pass and the LMK check value matches the pool's.
	Up
	// Draining: taken out by an operator; commands in flight finish, no new
	// ones are sent.
	Draining
	// LMKMismatch: the HSM reports another LMK check value than the pool's;
	// quarantined, it receives nothing but probes.
	LMKMismatch
)

// String returns the state's name: "up", "down", "draining" or "lmk-mismatch".
func (s State) String() string {
	switch s {
	case Up:
		return "up"
	case Down:
		return "down"
	case Draining:
		return "draining"
	case LMKMismatch:
		return "lmk-mismatch"
	}
	return "unknown"
}

// MarshalText returns String, so that Status encodes states by name in JSON.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
