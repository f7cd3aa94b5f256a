package testlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
)

// Renderings returns the text forms in which v could leave a process:
// fmt.Sprint, fmt.Sprintln and fmt.Sprintf with a wide set of verbs; what
// log/slog's text handler and its JSON handler write (without the time)
// with v as an attribute, inside a group, through Logger.With and as the
// message; and v's encoding/json form. A test of a type that holds a
// secret asserts that no rendering shows it. The test fails if v does not
// encode as JSON.
func Renderings(t testing.TB, v any) []string {
	t.Helper()
	// Each verb that a value of some kind answers to, with flags and widths.
	verbs := [...]string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "% x", "%d", "%o", "%b", "%c", "%U", "%e", "%10.3v", "%10s"}
	out := make([]string, 0, len(verbs)+5)
	out = append(out, fmt.Sprint(v), fmt.Sprintln(v))
	for _, verb := range verbs {
		out = append(out, fmt.Sprintf(verb, v))
	}
	// Without the time: its digits could pass for a secret's.
	opts := &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}}
	var text, js bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&text, opts), slog.NewJSONHandler(&js, opts)} {
		log := slog.New(h)
		log.Info("v", "v", v)
		log.Info("v", slog.Group("g", slog.Any("v", v)))
		log.With("v", v).Info("with")
		log.Info(fmt.Sprint(v))
	}
	out = append(out, text.String(), js.String())
	j, err := json.Marshal(v)
	if err != nil {
		t.Errorf("json.Marshal(%T): %v", v, err)
	}
	return append(out, string(j))
}
