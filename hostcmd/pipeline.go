package hostcmd

import (
	"io"
	"runtime"
	"time"
)

// WriteFailDrain is how long the reader of a pipelined connection goes on
// after a write failed, taking the answers already on their way, before it
// fails the requests left. Client and the gateway's HSM pool use this one
// value. A peer that answers and then closes with requests unread resets
// the connection, and the reset can fail a write before the reader has
// taken the answers that came before it; failing those requests at once
// would report commands the peer executed as lost. A second holds a LAN
// peer's answers in flight many times over (ours).
const WriteFailDrain = time.Second

// maxKeptWriteBuf is the largest write buffer WriteLoop keeps between
// writes, so that one burst does not pin its buffer forever.
const maxKeptWriteBuf = 1 << 20

// WriteLoop is the writer of a pipelined connection, shared by Client and
// the gateway's HSM pool. Each time wake fires it yields once, so that
// frames queued meanwhile by other goroutines join this write (on loopback
// and LAN the cost is per write, not per byte), then calls take to swap the
// queued frames into buf and writes them in one write. take runs with no
// lock held and must not block. WriteLoop returns nil once done is closed,
// or the error of the first write that fails.
func WriteLoop(w io.Writer, wake, done <-chan struct{}, take func(buf []byte) []byte) error {
	var out []byte
	for {
		select {
		case <-wake:
		case <-done:
			return nil
		}
		runtime.Gosched()
		out = take(out[:0])
		if len(out) == 0 {
			continue
		}
		if _, err := w.Write(out); err != nil {
			return err
		}
		if cap(out) > maxKeptWriteBuf {
			out = nil
		}
	}
}
