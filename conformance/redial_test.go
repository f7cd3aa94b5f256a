package conformance

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// flakyConn answers "ok" until fail is set, then fails once.
type flakyConn struct {
	fail   *bool
	closed bool
}

func (c *flakyConn) RoundTrip(_ context.Context, _ []byte) ([]byte, error) {
	if *c.fail {
		*c.fail = false
		return nil, errors.New("connection reset")
	}
	return []byte("ok"), nil
}

func (c *flakyConn) Close() error { c.closed = true; return nil }

func TestRedialerDialsAgainAfterAFailedRoundTrip(t *testing.T) {
	fail := false
	var dialled []*flakyConn
	r := &Redialer{Dial: func(context.Context) (RoundTripCloser, error) {
		c := &flakyConn{fail: &fail}
		dialled = append(dialled, c)
		return c, nil
	}}
	ctx := context.Background()
	if err := r.Connect(ctx); err != nil || len(dialled) != 1 {
		t.Fatalf("Connect: %v, %d dials", err, len(dialled))
	}
	if _, err := r.RoundTrip(ctx, nil); err != nil || len(dialled) != 1 {
		t.Fatalf("first round trip: %v, %d dials (want the connection of Connect)", err, len(dialled))
	}
	fail = true
	if _, err := r.RoundTrip(ctx, nil); err == nil {
		t.Fatal("the failing round trip succeeded")
	}
	if !dialled[0].closed || r.Drops() != 1 {
		t.Fatalf("the failed connection: closed %v, drops %d", dialled[0].closed, r.Drops())
	}
	if resp, err := r.RoundTrip(ctx, nil); err != nil || string(resp) != "ok" || len(dialled) != 2 {
		t.Fatalf("after the failure: %q, %v, %d dials; want a new connection", resp, err, len(dialled))
	}
}

func TestRedialerReportsAFailedDial(t *testing.T) {
	r := &Redialer{Dial: func(context.Context) (RoundTripCloser, error) { return nil, errors.New("refused") }}
	if _, err := r.RoundTrip(context.Background(), nil); err == nil || !strings.Contains(err.Error(), "connecting: refused") {
		t.Fatalf("have %v", err)
	}
}

func TestSelectByCommand(t *testing.T) {
	base := []Case{{Name: "a", Command: "NC"}, {Name: "b", Command: "CA"}, {Name: "c", Command: "JG"}, {Name: "d", Command: "CA"}}
	names := func(s *Suite) string {
		var n []string
		for _, c := range s.Cases {
			n = append(n, c.Name)
		}
		return strings.Join(n, ",")
	}
	for _, tt := range []struct {
		only, skip []string
		want, err  string
	}{
		{want: "a,b,c,d"},
		{only: []string{"CA"}, want: "b,d"},
		{skip: []string{"CA", "NC"}, want: "c"},
		{only: []string{"CA", "JG"}, skip: []string{"JG"}, want: "b,d"},
		{only: []string{"ca"}, err: "two letters or digits"},
		{skip: []string{"NCX"}, err: "two letters or digits"},
		{only: []string{"ZZ"}, err: "no case left"},
	} {
		s := &Suite{Cases: append([]Case(nil), base...)}
		err := s.Select(tt.only, tt.skip)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Select(%v, %v): %v, want %q", tt.only, tt.skip, err, tt.err)
			}
			continue
		}
		if err != nil || names(s) != tt.want {
			t.Errorf("Select(%v, %v): %q, %v; want %q", tt.only, tt.skip, names(s), err, tt.want)
		}
	}
}
