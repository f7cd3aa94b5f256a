package audit

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"time"
)

// TestAppendLineMatchesJSON holds appendLine to encoding/json's bytes, the
// independent reference, on every field and every kind of character
// json escapes.
func TestAppendLineMatchesJSON(t *testing.T) {
	odd := "a\"b\\c<d>e&f\ng\rh\ti\bj\fk\x00l\x1fm\u2028n\u2029o\xffp\xc3q é 日本 \U0001F600"
	at := time.Date(2026, 8, 7, 10, 11, 12, 345678900, time.UTC)
	cases := []line{
		{},
		{Record: Record{Time: at}},
		{Record: Record{Time: at, RequestID: "r-1", Client: "key:ops", Remote: "10.0.0.1:5000",
			Op: "pin.translate", Cmd: "CA", HSM: "hsm-a", Code: "00", Status: 200, Error: "invalid_field"},
			LatencyMs: 1.5, PAN: "411111******1111"},
		{Record: Record{Time: at, RequestID: odd, Client: odd, Remote: odd, Op: odd, Cmd: odd, HSM: odd,
			Code: odd, Status: -503, Error: odd}, LatencyMs: 123456.789, PAN: odd},
		{Record: Record{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{Record: Record{Time: at}, LatencyMs: 1e-7},
		{Record: Record{Time: at}, LatencyMs: 0.001},
		{Record: Record{Time: at}, LatencyMs: 1e21},
		{Record: Record{Time: at, Latency: 1500 * time.Microsecond}, LatencyMs: 1.5},
		{Record: Record{Time: at, Latency: time.Microsecond}, LatencyMs: 0.001},
		{Record: Record{Time: at, Latency: -2250 * time.Microsecond}, LatencyMs: -2.25},
		{Record: Record{Time: at, Latency: 1500 * time.Microsecond}, LatencyMs: 7}, // disagreeing: LatencyMs wins
	}
	cases = append(cases, line{Record: Record{Time: at.Add(time.Nanosecond)}}, line{Record: Record{Time: at.Add(time.Second)}})
	for i := range 256 {
		cases = append(cases, line{Record: Record{Time: at, Cmd: string([]byte{byte(i), 'x'})}})
	}
	// One cache across the cases, as a Log keeps it: runs of the same
	// time, and changes of time, must encode as without it.
	var tc stampCache
	for i, ln := range cases {
		want, wantErr := json.Marshal(&ln)
		for _, c := range []*stampCache{nil, &tc} {
			have, err := appendLine(nil, &ln, c)
			if (err != nil) != (wantErr != nil) || (err == nil && !bytes.Equal(have, want)) {
				t.Errorf("case %d (cache %v):\nhave %s (%v)\nwant %s (%v)", i, c != nil, have, err, want, wantErr)
			}
		}
	}
}

func FuzzAppendLine(f *testing.F) {
	f.Add("CA", "hsm-a", "10.0.0.1:5000", int64(1500))
	f.Add("\u2028<&>", "\xff\xfe", "\x00\"\\", int64(-1))
	f.Fuzz(func(t *testing.T, cmd, hsm, remote string, us int64) {
		ln := line{Record: Record{Time: time.Unix(0, us).UTC(), Cmd: cmd, HSM: hsm, Remote: remote},
			LatencyMs: float64(us) / 1000}
		want, wantErr := json.Marshal(&ln)
		have, err := appendLine(nil, &ln, nil)
		if (err != nil) != (wantErr != nil) || (err == nil && !bytes.Equal(have, want)) {
			t.Errorf("have %s (%v), want %s (%v)", have, err, want, wantErr)
		}
	})
}

// TestAppendMillisMatchesStrconv holds the integer formatting of latencies
// to strconv's shortest float formatting, the independent reference.
func TestAppendMillisMatchesStrconv(t *testing.T) {
	values := []int64{0, 1, 9, 10, 99, 100, 999, 1000, 1001, 1010, 1100, 1500, 123456789, -1, -1500,
		maxExactMicros - 1, -(maxExactMicros - 1), 999999999999999, 4503599627370495}
	for us := int64(0); us < 20000; us++ {
		values = append(values, us)
	}
	for v := int64(1); v < maxExactMicros; v *= 7 {
		values = append(values, v, v+1, v*3+999, -v)
	}
	for _, us := range values {
		if us <= -maxExactMicros || us >= maxExactMicros {
			continue
		}
		want := strconv.AppendFloat(nil, float64(us)/1000, 'f', -1, 64)
		if have := appendMillis(nil, us); !bytes.Equal(have, want) {
			t.Errorf("%d µs: have %s, want %s", us, have, want)
		}
	}
}

func FuzzAppendMillis(f *testing.F) {
	f.Add(int64(1500))
	f.Add(int64(-7))
	f.Fuzz(func(t *testing.T, us int64) {
		us %= maxExactMicros
		want := strconv.AppendFloat(nil, float64(us)/1000, 'f', -1, 64)
		if have := appendMillis(nil, us); !bytes.Equal(have, want) {
			t.Errorf("%d µs: have %s, want %s", us, have, want)
		}
	})
}
