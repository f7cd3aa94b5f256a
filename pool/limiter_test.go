package pool

import "testing"

func TestLimiterHoldsTheRate(t *testing.T) {
	const sec = int64(1e9)
	// 100/s: burst 2 (1/50 s of licence, at least 1).
	l := newLimiter(100)
	steps := []struct {
		name string
		at   int64
		take int
		want int
	}{
		{"burst at start", 0, 5, 2},
		{"empty", 0, 1, 0},
		{"one token after 10ms", sec / 100, 5, 1},
		{"refill caps at burst", 10 * sec, 5, 2},
		{"half a token is none", 10*sec + sec/200, 1, 0},
	}
	for _, s := range steps {
		if have := l.take(s.take, s.at); have != s.want {
			t.Errorf("%s: take(%d) at %dns: have %d, want %d", s.name, s.take, s.at, have, s.want)
		}
	}
	// Probes may drive the bucket negative; the debt is paid before any
	// command gets a token.
	l.force(3, 20*sec)
	if w := l.wait(20 * sec); w <= 0 {
		t.Errorf("after forced probes: wait %dns, want a positive wait", w)
	}
	if have := l.take(1, 20*sec); have != 0 {
		t.Errorf("take after forced probes: have %d, want 0", have)
	}
	l.giveBack(1)
	if have := l.take(3, 30*sec); have != 2 {
		t.Errorf("take after refill: have %d, want 2", have)
	}
}

func TestLimiterUnlimited(t *testing.T) {
	l := newLimiter(0)
	if have := l.take(1000, 0); have != 1000 {
		t.Errorf("unlimited take: have %d, want 1000", have)
	}
	if w := l.wait(0); w != 0 {
		t.Errorf("unlimited wait: have %d, want 0", w)
	}
}
