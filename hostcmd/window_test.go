package hostcmd

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestWindowSizes(t *testing.T) {
	for _, tt := range []struct {
		hl, limit, want int
	}{
		{0, 256, 256},
		{NoHeader, 300, 256}, // rounded down to a power of two
		{1, 256, 32},         // 62 header values
		{2, 1 << 16, 2048},   // 3844
		{4, 256, 256},
		{16, 1 << 16, 1 << 16},
	} {
		w := NewWindow[int](tt.hl, 1, tt.limit)
		if w.Max() != tt.want {
			t.Errorf("NewWindow(%d, 1, %d).Max() = %d, want %d", tt.hl, tt.limit, w.Max(), tt.want)
		}
		// It takes exactly Max commands, growing from one slot.
		hdr := make([]byte, w.HeaderLen())
		for i := range w.Max() {
			if _, ok := w.Add(hdr, i); !ok {
				t.Fatalf("hl=%d: Add %d of %d refused", tt.hl, i+1, w.Max())
			}
		}
		if _, ok := w.Add(hdr, -1); ok || w.Room() != 0 || w.Len() != w.Max() {
			t.Errorf("hl=%d: full window took one more (Room %d, Len %d)", tt.hl, w.Room(), w.Len())
		}
	}
}

// Each command's header is written with HeaderIDs and matches that command
// only, in any order of answers, at every header length.
func TestWindowMatchesByHeader(t *testing.T) {
	for _, hl := range []int{1, 2, 4, 10, 11, 16} {
		t.Run(fmt.Sprint(hl), func(t *testing.T) {
			w := NewWindow[string](hl, 4, 64)
			ids := NewHeaderIDs(hl)
			hdrs := map[string]string{}
			for i := range w.Max() {
				hdr := make([]byte, hl)
				v := fmt.Sprint("cmd", i)
				seq, ok := w.Add(hdr, v)
				if !ok || seq != uint64(i+1) {
					t.Fatalf("Add %d: seq %d, %v", i, seq, ok)
				}
				if id, ok := ids.ID(hdr); !ok || id != seq&w.idMask {
					t.Fatalf("header %q of seq %d reads as %d, %v", hdr, seq, id, ok)
				}
				hdrs[string(hdr)] = v
			}
			keys := make([]string, 0, len(hdrs))
			for h := range hdrs {
				keys = append(keys, h)
			}
			rand.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
			for _, h := range keys {
				v, _, ok := w.Match([]byte(h))
				if !ok || v != hdrs[h] {
					t.Fatalf("Match(%q) = %q, %v; want %q", h, v, ok, hdrs[h])
				}
				if _, _, ok := w.Match([]byte(h)); ok {
					t.Fatalf("Match(%q) answered twice", h)
				}
			}
			if w.Len() != 0 || w.Room() != w.Max() {
				t.Errorf("after every answer: Len %d, Room %d of %d", w.Len(), w.Room(), w.Max())
			}
			foreign := make([]byte, hl)
			for i := range foreign {
				foreign[i] = '-'
			}
			if _, _, ok := w.Match(foreign); ok {
				t.Error("a header HeaderIDs cannot write matched")
			}
		})
	}
}

// With no header answers are taken in order.
func TestWindowInOrderWithoutHeader(t *testing.T) {
	w := NewWindow[int](NoHeader, 2, 8)
	for i := range 5 {
		w.Add(nil, i)
	}
	for i := range 5 {
		v, seq, ok := w.Match(nil)
		if !ok || v != i || seq != uint64(i+1) {
			t.Fatalf("answer %d matched %d (seq %d), %v", i, v, seq, ok)
		}
	}
	if _, _, ok := w.Match(nil); ok {
		t.Error("an answer with nothing in flight matched")
	}
	seq, _ := w.Add(nil, 9)
	if w.Remove(seq) {
		t.Error("Remove took a command out of an in-order window")
	}
}

// A late answer to a removed command, or to a command of an earlier lap of
// the ring whose slot now holds another, matches nothing.
func TestWindowStaleHeaderMatchesNothing(t *testing.T) {
	w := NewWindow[int](2, 32, 32) // a ring of 32, ids 0..2047
	hdr := make([]byte, 2)
	seq, _ := w.Add(hdr, 1)
	old := string(hdr)
	if !w.Remove(seq) || w.Remove(seq) {
		t.Fatal("Remove: want true once")
	}
	if _, _, ok := w.Match([]byte(old)); ok {
		t.Fatal("the answer to a removed command matched")
	}
	// Thirty-one commands later the same slot holds a new command, with
	// another header.
	for i := range 31 {
		w.Add(hdr, i)
		w.Match(hdr)
	}
	seq, _ = w.Add(hdr, 99)
	if seq&w.mask != 1&w.mask || string(hdr) == old {
		t.Fatalf("seq %d header %q: want slot of seq 1 with another header", seq, hdr)
	}
	if _, _, ok := w.Match([]byte(old)); ok {
		t.Fatal("an answer of an earlier lap matched the slot's new command")
	}
	if v, _, ok := w.Match(hdr); !ok || v != 99 {
		t.Fatalf("Match = %d, %v", v, ok)
	}
}

// An unanswered command holds the ring's room: the ring spans from it to
// the newest, and the slot it holds is never given to another command.
func TestWindowOldestHoldsItsSlot(t *testing.T) {
	w := NewWindow[int](4, 4, 4)
	hdrs := make([][]byte, 4)
	for i := range 4 {
		hdrs[i] = make([]byte, 4)
		w.Add(hdrs[i], i)
	}
	for i := 1; i < 4; i++ {
		w.Match(hdrs[i])
	}
	if w.Len() != 1 || w.Free() != 0 {
		t.Fatalf("Len %d Free %d, want 1 and 0 while the oldest is unanswered", w.Len(), w.Free())
	}
	if _, ok := w.Add(make([]byte, 4), 9); ok {
		t.Fatal("Add took the slot of the unanswered oldest command")
	}
	if v, seq, ok := w.Oldest(); !ok || v != 0 || seq != 1 {
		t.Fatalf("Oldest = %d (seq %d), %v", v, seq, ok)
	}
	if v, _, ok := w.Match(hdrs[0]); !ok || v != 0 {
		t.Fatalf("the oldest's answer: %d, %v", v, ok)
	}
	if w.Free() != 4 {
		t.Fatalf("Free %d after the oldest was answered, want 4", w.Free())
	}
}

func TestWindowAllReplaceTakeAll(t *testing.T) {
	w := NewWindow[string](4, 2, 16)
	hdr := make([]byte, 4)
	var seqs []uint64
	for _, v := range []string{"a", "b", "c", "d", "e"} { // grows 2 → 8
		seq, _ := w.Add(hdr, v)
		seqs = append(seqs, seq)
	}
	w.Remove(seqs[1])
	if !w.Replace(seqs[3], "D") || w.Replace(seqs[1], "B") {
		t.Fatal("Replace: want true for a command in flight, false for a removed one")
	}
	var got []string
	for seq, v := range w.All() {
		got = append(got, fmt.Sprint(seq, v))
	}
	if want := []string{"1a", "3c", "4D", "5e"}; !slices.Equal(got, want) {
		t.Errorf("All = %v, want %v", got, want)
	}
	if rest := w.TakeAll(nil); !slices.Equal(rest, []string{"a", "c", "D", "e"}) {
		t.Errorf("TakeAll = %v", rest)
	}
	if _, _, ok := w.Oldest(); ok || w.Len() != 0 {
		t.Error("commands left after TakeAll")
	}
	if seq, _ := w.Add(hdr, "f"); seq != 6 {
		t.Errorf("sequence numbers restarted after TakeAll: %d", seq)
	}
}

// A random mix of adds, answers in random order, removals and growth,
// checked against a map from header to command.
func TestWindowAgainstAModel(t *testing.T) {
	for _, hl := range []int{0, 1, 2, 4} {
		w := NewWindow[uint64](hl, 1, 128)
		rng := rand.New(rand.NewPCG(1, uint64(hl)))
		type cmd struct {
			seq uint64
			hdr string
		}
		var model []cmd // in flight, oldest first
		for range 20000 {
			switch op := rng.IntN(10); {
			case op < 5:
				hdr := make([]byte, hl)
				full := len(model) > 0 && w.Next()-model[0].seq >= uint64(w.Max())
				seq, ok := w.Add(hdr, 0)
				if ok == full {
					t.Fatalf("hl=%d: Add at seq %d: %v, want %v", hl, w.Next(), ok, !full)
				}
				if ok {
					w.Replace(seq, seq)
					model = append(model, cmd{seq, string(hdr)})
				}
			case op < 9 && len(model) > 0:
				i := 0
				if hl > 0 {
					i = rng.IntN(len(model))
				}
				v, seq, ok := w.Match([]byte(model[i].hdr))
				if !ok || v != model[i].seq || seq != v {
					t.Fatalf("hl=%d: Match %q = %d, %v; want %d", hl, model[i].hdr, v, ok, model[i].seq)
				}
				model = slices.Delete(model, i, i+1)
			case len(model) > 0 && hl > 0:
				i := rng.IntN(len(model))
				if !w.Remove(model[i].seq) {
					t.Fatalf("hl=%d: Remove %d failed", hl, model[i].seq)
				}
				model = slices.Delete(model, i, i+1)
			}
			if w.Len() != len(model) {
				t.Fatalf("hl=%d: Len %d, model %d", hl, w.Len(), len(model))
			}
			if v, _, ok := w.Oldest(); ok != (len(model) > 0) || ok && v != model[0].seq {
				t.Fatalf("hl=%d: Oldest %d, %v; model %v", hl, v, ok, model[:min(1, len(model))])
			}
		}
	}
}

func BenchmarkWindowAddMatch(b *testing.B) {
	w := NewWindow[*int](4, 256, 256)
	var hdrs [32][4]byte
	x := new(int)
	for b.Loop() {
		for i := range hdrs {
			w.Add(hdrs[i][:], x)
		}
		for i := range hdrs {
			w.Match(hdrs[i][:])
		}
	}
}
