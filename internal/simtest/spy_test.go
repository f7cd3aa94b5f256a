package simtest

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/simulator"
)

// TestSpyRelaysAndCountsWhatTheHSMReceives drives commands through a Spy
// in front of a real simulator and checks both sides: every answer comes
// back unchanged (B3 echoes its data, hostcmd.md §4 Health) and the Spy's
// counts match what was sent.
func TestSpyRelaysAndCountsWhatTheHSMReceives(t *testing.T) {
	for _, tt := range []struct {
		name      string
		headerLen int // simulator.Config.HeaderLen
		hl        int // the header length on the wire
		bodies    []string
		count     map[string]int // Count(code)
		except    []string
		nExcept   int // CountExcept(except...)
	}{
		{
			name: "echoes and probes", headerLen: 4, hl: 4,
			bodies: []string{"NC", "B20003abc", "NO00", "B20001x", "B20000", "NC"},
			count:  map[string]int{"NC": 2, "NO": 1, "B2": 3, "CA": 0},
			except: []string{"NC", "NO"}, nExcept: 3,
		},
		{
			name: "no header", headerLen: simulator.NoHeader, hl: 0,
			bodies: []string{"B20002hi", "NC"},
			count:  map[string]int{"NC": 1, "B2": 1},
			except: nil, nExcept: 2,
		},
		{
			name: "nothing sent", headerLen: 4, hl: 4,
			count:  map[string]int{"NC": 0, "B2": 0},
			except: []string{"NC"}, nExcept: 0,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sim := StartSim(t, simulator.Config{HeaderLen: tt.headerLen})
			sp := StartSpy(t, sim.Addr(), tt.hl)
			nc, err := net.Dial("tcp", sp.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			r := hostcmd.NewReader(nc, tt.hl)
			for i, body := range tt.bodies {
				hdr := fmt.Sprintf("%04d", i)[:tt.hl]
				if _, err := nc.Write(hostcmd.AppendFrame(nil, []byte(hdr), []byte(body))); err != nil {
					t.Fatal(err)
				}
				f, err := r.ReadFrame()
				if err != nil {
					t.Fatalf("command %d: reading the answer: %v", i, err)
				}
				if string(f.Header()) != hdr {
					t.Errorf("command %d: have header %q, want %q", i, f.Header(), hdr)
				}
				resp := hostcmd.ResponseCode([2]byte{body[0], body[1]})
				want := string(resp[:]) + "00"
				if body[:2] == "B2" {
					want += body[6:]
				}
				if got := string(f.Body()); !strings.HasPrefix(got, want) || (body[:2] == "B2" && got != want) {
					t.Errorf("command %d: have answer %q, want %q", i, got, want)
				}
			}
			// Every answer was read, so the Spy has recorded every command.
			for code, want := range tt.count {
				if have := sp.Count(code); have != want {
					t.Errorf("Count(%q): have %d, want %d", code, have, want)
				}
			}
			if have := sp.CountExcept(tt.except...); have != tt.nExcept {
				t.Errorf("CountExcept(%q): have %d, want %d", tt.except, have, tt.nExcept)
			}
			if have, want := sp.MaxInWindow("", time.Hour), len(tt.bodies); have != want {
				t.Errorf("MaxInWindow(\"\", 1h): have %d, want %d", have, want)
			}
			if have, want := sp.MaxInWindow("B2", time.Hour), tt.count["B2"]; have != want {
				t.Errorf("MaxInWindow(\"B2\", 1h): have %d, want %d", have, want)
			}
		})
	}
}

func TestMaxInWindowCountsAHalfOpenWindow(t *testing.T) {
	at := func(ms ...int) []time.Time {
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		var ts []time.Time
		for _, m := range ms {
			ts = append(ts, base.Add(time.Duration(m)*time.Millisecond))
		}
		return ts
	}
	for _, tt := range []struct {
		name string
		ts   []time.Time
		w    time.Duration
		want int
	}{
		{"none", nil, time.Second, 0},
		{"one", at(5), time.Second, 1},
		{"all within", at(0, 100, 999), time.Second, 3},
		{"exactly w apart are two windows", at(0, 1000), time.Second, 1},
		{"densest run later", at(0, 1500, 1600, 1700, 2499, 2500), time.Second, 4},
		{"equal times", at(7, 7, 7), time.Millisecond, 3},
	} {
		if have := maxInWindow(tt.ts, tt.w); have != tt.want {
			t.Errorf("%s: have %d, want %d", tt.name, have, tt.want)
		}
	}
}

// TestOtherLMKIsNotTheTestLMK checks by check value (what an HSM reports
// in NC, hostcmd.md §4 Health) that OtherLMK differs from the public test
// LMK, so that tests of LMK mismatch see a mismatch.
func TestOtherLMKIsNotTheTestLMK(t *testing.T) {
	other := simulator.NewHSM(OtherLMK(t)).CheckValue()
	test := simulator.NewHSM(keys.TestLMK()).CheckValue()
	if other == "" || other == test {
		t.Errorf("OtherLMK check value equals the test LMK's (or is empty)")
	}
}

func TestWaitUntilReportsWhetherTheConditionHeld(t *testing.T) {
	calls := 0
	if !WaitUntil(time.Minute, time.Microsecond, func() bool { calls++; return calls == 3 }) {
		t.Errorf("WaitUntil: have false, want true once the condition holds")
	}
	if calls != 3 {
		t.Errorf("WaitUntil: have %d calls, want 3 (it stops at the first true)", calls)
	}
	if WaitUntil(10*time.Millisecond, time.Millisecond, func() bool { return false }) {
		t.Errorf("WaitUntil: have true for a condition that never holds")
	}
}
