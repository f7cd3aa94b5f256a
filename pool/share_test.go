package pool

import (
	"testing"
	"time"
)

func TestLimiterSetRate(t *testing.T) {
	const sec = int64(1e9)
	l := newLimiter(1000) // burst 20
	if k := l.take(100, 0); k != 20 {
		t.Fatalf("burst at 1000/s: %d", k)
	}
	l.setRate(500, 0.5) // burst 10
	if k := l.take(1000, sec); k != 10 {
		t.Fatalf("after a second at 500/s, capped at the new burst: %d, want 10", k)
	}
	if k := l.take(1000, sec+sec/10); k != 10 {
		t.Fatalf("100ms at 500/s: %d, want 10 (capped)", k)
	}
	if k := l.take(1000, sec+sec/10+sec/100); k != 5 {
		t.Fatalf("10ms at 500/s: %d, want 5", k)
	}
	u := newLimiter(0)
	u.setRate(100, 0.5)
	if k := u.take(1000, 0); k != 1000 {
		t.Fatalf("an unlimited HSM stays unlimited: %d", k)
	}
}

// TestPoolSetLicenceShareHoldsTheNewRate: halving the share while load
// flows halves what the HSM gets, and Status reports the share.
func TestPoolSetLicenceShareHoldsTheNewRate(t *testing.T) {
	const cps = 400
	p, sp := licensedPool(t, cps)
	if s := p.LicenceShare(); s != 1 {
		t.Fatalf("initial share %v, want the configured 1", s)
	}
	for _, bad := range []float64{0, -0.5, 1.01} {
		if err := p.SetLicenceShare(bad); err == nil {
			t.Fatalf("SetLicenceShare(%v) accepted", bad)
		}
	}
	if err := p.SetLicenceShare(0.5); err != nil {
		t.Fatal(err)
	}
	if st := hsmStatus(p, "a"); st.LicenceShare != 0.5 || st.LimitCPS != cps/2 {
		t.Fatalf("status: share %v limit %v", st.LicenceShare, st.LimitCPS)
	}
	flood(p, 16, 1500*time.Millisecond)
	half, burst := cps/2, max(1, cps/2/50)
	if m := sp.maxInWindow("", time.Second); m > half*11/10+burst || m < half*8/10 {
		t.Errorf("HSM got %d commands in one second at share 0.5 of %d, want about %d", m, cps, half)
	}
}
