package pool

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// latencyWindow is an HSM's own recent answer latency (written to answered),
// kept as a histogram per second over the last few seconds, for the hedge
// delay (ours). Any reader goroutine records with one atomic add; the hedge
// loop alone rotates and reads it.
//
// Buckets are log-linear: four per power of two from 2^14 ns (16 µs) to
// 2^34 ns (17 s), so that a quantile is within a quarter of its value.
type latencyWindow struct {
	cur   atomic.Int32
	slots [latSlots][latBuckets]atomic.Uint64
}

const (
	latSlots    = 4 // seconds kept: the current one and the three before it
	latMinExp   = 14
	latMaxExp   = 34
	latSub      = 4 // buckets per power of two
	latBuckets  = (latMaxExp - latMinExp) * latSub
	latSlotSpan = time.Second
)

// latBucket returns the bucket of a latency of d nanoseconds.
func latBucket(d int64) int {
	if d < 1<<latMinExp {
		return 0
	}
	e := bits.Len64(uint64(d)) - 1 // d is in [2^e, 2^(e+1))
	if e >= latMaxExp {
		return latBuckets - 1
	}
	sub := int(d>>(e-2)) & (latSub - 1)
	return (e-latMinExp)*latSub + sub
}

// latUpper returns the upper bound of bucket i in nanoseconds.
func latUpper(i int) int64 {
	e := latMinExp + i/latSub
	sub := int64(i % latSub)
	return (latSub + sub + 1) << (e - 2)
}

// observe records one answer that took d nanoseconds.
func (w *latencyWindow) observe(d int64) {
	w.slots[w.cur.Load()][latBucket(d)].Add(1)
}

// rotate starts a new second, dropping the oldest one.
func (w *latencyWindow) rotate() {
	next := (w.cur.Load() + 1) % latSlots
	for i := range w.slots[next] {
		w.slots[next][i].Store(0)
	}
	w.cur.Store(next)
}

// quantile returns an upper bound of the q-quantile of the recorded
// latencies, in nanoseconds, and how many latencies were recorded.
func (w *latencyWindow) quantile(q float64) (int64, uint64) {
	var counts [latBuckets]uint64
	var n uint64
	for s := range w.slots {
		for i := range w.slots[s] {
			v := w.slots[s][i].Load()
			counts[i] += v
			n += v
		}
	}
	if n == 0 {
		return 0, 0
	}
	rank := uint64(q*float64(n) + 0.5)
	rank = max(1, min(rank, n))
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen >= rank {
			return latUpper(i), n
		}
	}
	return latUpper(latBuckets - 1), n
}
