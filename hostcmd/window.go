package hostcmd

import "iter"

// Window is the bookkeeping of a pipelined connection's commands in flight,
// shared by Client and the gateway's HSM pool: it numbers commands, writes
// each one's message header, matches an answer to its command by the header
// (in order when the header length is 0), finds the oldest, and hands back
// all that are left when the connection fails. The caller builds frames
// (AppendFrame), writes them (WriteLoop) and locks the Window: it is not
// safe for concurrent use.
//
// Commands get sequence numbers 1, 2, 3 …; a command's header is its
// sequence number modulo a power of two no larger than the header's id
// space (HeaderIDs), in HeaderIDs' base 62. The commands in flight are kept
// in a ring indexed by the sequence number, so matching an answer is an
// index and one comparison. The ring spans from the oldest command in
// flight to the newest: a command that stays unanswered while later ones
// are answered holds the ring's room until it is answered, removed or
// failed (a header can then never be taken for another command's).
type Window[T any] struct {
	ids    HeaderIDs
	hl     int
	slots  []slot[T]
	mask   uint64 // len(slots)-1
	max    int    // the ring grows up to this many slots
	idMask uint64 // header id = seq & idMask
	next   uint64 // sequence number of the next command
	tail   uint64 // oldest sequence number that may be in flight
	n      int    // commands in flight
}

type slot[T any] struct {
	seq uint64 // 0: empty (sequence numbers start at 1)
	v   T
}

// NewWindow returns a Window for headers of headerLen characters (0 or
// NoHeader for none: answers then come in order) holding at most limit
// commands in flight (rounded down to a power of two), fewer when the
// header's id space is smaller (32 with a 1-character header, 2048 with
// 2). Its ring starts at initial slots and doubles as needed. It panics if
// headerLen is outside NoHeader..MaxHeaderLen or limit is below 1.
func NewWindow[T any](headerLen, initial, limit int) *Window[T] {
	if headerLen == NoHeader {
		headerLen = 0
	}
	checkHeaderLen(headerLen)
	if limit < 1 {
		panic("hostcmd: window of no command")
	}
	w := &Window[T]{ids: NewHeaderIDs(headerLen), hl: headerLen, next: 1, tail: 1}
	w.max = floorPow2(uint64(limit))
	w.idMask = ^uint64(0)
	if headerLen > 0 {
		ids := floorPow2(w.ids.Space())
		w.max = min(w.max, ids)
		w.idMask = uint64(ids) - 1
	}
	size := min(floorPow2(uint64(max(initial, 1))), w.max)
	w.slots = make([]slot[T], size)
	w.mask = uint64(size) - 1
	return w
}

// floorPow2 returns the largest power of two not above n (n ≥ 1), capped
// at 1<<30.
func floorPow2(n uint64) int {
	p := 1
	for p < 1<<30 && uint64(p)*2 <= n {
		p *= 2
	}
	return p
}

// HeaderLen returns the header length the Window writes and reads.
func (w *Window[T]) HeaderLen() int { return w.hl }

// Max returns the most commands the Window holds at once.
func (w *Window[T]) Max() int { return w.max }

// Len returns the number of commands in flight.
func (w *Window[T]) Len() int { return w.n }

// Free returns how many commands Add takes now without growing the ring.
func (w *Window[T]) Free() int { return len(w.slots) - int(w.next-w.tail) }

// Room returns how many commands Add takes now, growing the ring.
func (w *Window[T]) Room() int { return w.max - int(w.next-w.tail) }

// Next returns the sequence number the next Add gives: every command
// added before has a lower one.
func (w *Window[T]) Next() uint64 { return w.next }

// Header writes the header of sequence number seq to dst, which is
// HeaderLen bytes long. It is what Add writes; a caller uses it for a
// command outside the Window (sequence number 0, which the Window gives
// to none of its first commands).
func (w *Window[T]) Header(dst []byte, seq uint64) {
	w.ids.Put(dst, seq&w.idMask)
}

// Add puts v in flight, writes its header to hdr (HeaderLen bytes) and
// returns its sequence number. ok is false, and nothing changes, when the
// Window is full.
func (w *Window[T]) Add(hdr []byte, v T) (seq uint64, ok bool) {
	if w.next-w.tail >= uint64(len(w.slots)) && !w.grow() {
		return 0, false
	}
	seq = w.next
	w.next++
	s := &w.slots[seq&w.mask]
	s.seq, s.v = seq, v
	w.n++
	if w.hl > 0 {
		w.ids.Put(hdr, seq&w.idMask)
	}
	return seq, true
}

// grow doubles the ring, if its span allows.
func (w *Window[T]) grow() bool {
	if len(w.slots) >= w.max {
		return false
	}
	slots := make([]slot[T], 2*len(w.slots))
	mask := uint64(len(slots)) - 1
	for s := w.tail; s < w.next; s++ {
		slots[s&mask] = w.slots[s&w.mask]
	}
	w.slots, w.mask = slots, mask
	return true
}

// Match removes and returns the command an answer with header hdr
// answers: the one whose header it is or, with header length 0, the
// oldest. ok is false when no command in flight has that header.
func (w *Window[T]) Match(hdr []byte) (v T, seq uint64, ok bool) {
	if w.hl == 0 {
		if w.n == 0 {
			return v, 0, false
		}
		// Nothing removes from the middle here (Remove refuses), so the
		// oldest is at tail.
		seq = w.tail
	} else {
		id, ok := w.ids.ID(hdr)
		if !ok {
			return v, 0, false
		}
		seq = w.slots[id&w.mask].seq
		if seq == 0 || seq&w.idMask != id {
			return v, 0, false
		}
	}
	return w.take(seq), seq, true
}

// take empties the slot of seq, which is in flight, and moves tail past
// the empty slots at its end.
func (w *Window[T]) take(seq uint64) T {
	s := &w.slots[seq&w.mask]
	v := s.v
	*s = slot[T]{}
	w.n--
	for w.tail < w.next && w.slots[w.tail&w.mask].seq == 0 {
		w.tail++
	}
	return v
}

// Remove removes the command seq, if it is in flight, and reports whether
// it was: its answer, when it comes, then matches nothing. With header
// length 0 an answer can only be matched in order, so nothing is removed
// and Remove returns false; the caller marks the command as abandoned
// instead.
func (w *Window[T]) Remove(seq uint64) bool {
	if w.hl == 0 || seq < w.tail || seq >= w.next || w.slots[seq&w.mask].seq != seq {
		return false
	}
	w.take(seq)
	return true
}

// Replace puts v in the place of the command seq, which keeps its header,
// and reports whether seq was in flight.
func (w *Window[T]) Replace(seq uint64, v T) bool {
	if seq < w.tail || seq >= w.next || w.slots[seq&w.mask].seq != seq {
		return false
	}
	w.slots[seq&w.mask].v = v
	return true
}

// Oldest returns the command in flight the longest.
func (w *Window[T]) Oldest() (v T, seq uint64, ok bool) {
	if w.n == 0 {
		return v, 0, false
	}
	// tail is always in flight when any command is: take moves it on.
	s := &w.slots[w.tail&w.mask]
	return s.v, s.seq, true
}

// All returns the commands in flight with their sequence numbers, oldest
// first. The loop body must not add or remove commands; it may Replace.
func (w *Window[T]) All() iter.Seq2[uint64, T] {
	return func(yield func(uint64, T) bool) {
		for s := w.tail; s < w.next; s++ {
			sl := &w.slots[s&w.mask]
			if sl.seq == s && !yield(s, sl.v) {
				return
			}
		}
	}
}

// TakeAll removes every command in flight and appends them to dst, oldest
// first: what is left when the connection fails. Sequence numbers go on
// from where they were.
func (w *Window[T]) TakeAll(dst []T) []T {
	for s := w.tail; s < w.next; s++ {
		sl := &w.slots[s&w.mask]
		if sl.seq == s {
			dst = append(dst, sl.v)
		}
		*sl = slot[T]{}
	}
	w.tail, w.n = w.next, 0
	return dst
}
