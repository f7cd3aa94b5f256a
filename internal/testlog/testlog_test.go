package testlog

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

func TestBufferTakesConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 100 {
				fmt.Fprintf(&b, "%d\n", i)
			}
		})
	}
	wg.Wait()
	if n := strings.Count(b.String(), "\n"); n != 800 {
		t.Fatalf("have %d lines, want 800", n)
	}
}

// secret prints as "hidden" every way; leaky does not.
type secret struct{ b []byte }

func (secret) Format(f fmt.State, _ rune)   { f.Write([]byte("hidden")) }
func (secret) LogValue() slog.Value         { return slog.StringValue("hidden") }
func (secret) MarshalJSON() ([]byte, error) { return []byte(`"hidden"`), nil }

type leaky struct{ B []byte }

func TestRenderings(t *testing.T) {
	b := []byte{0xC0, 0xFF, 0xEE, 0x42}
	for _, v := range []any{secret{b}, &secret{b}, struct{ S secret }{secret{b}}} {
		r := Renderings(t, v)
		for _, s := range r {
			if !strings.Contains(s, "hidden") || strings.Contains(strings.ToLower(s), "c0ffee") || strings.Contains(s, "192 255 238") {
				t.Errorf("%T rendered as %q", v, s)
			}
		}
	}
	// Each way a careless type leaks is among the renderings: hex (%x),
	// decimal bytes (%v), slog's text and JSON handlers, and JSON (base64).
	r := strings.Join(Renderings(t, leaky{b}), "\n")
	if strings.Contains(r, "time") {
		t.Errorf("renderings carry the log time:\n%s", r)
	}
	for _, want := range []string{"c0ffee42", "C0FFEE42", "[192 255 238 66]", `g.v="{B:[192 255 238 66]}"`, `"g":{"v":{"B":"wP/uQg=="}}`, `"B":"wP/uQg=="`, "{B:[192 255 238 66]}"} {
		if !strings.Contains(r, want) {
			t.Errorf("renderings of a leaky value lack %q:\n%s", want, r)
		}
	}
}
