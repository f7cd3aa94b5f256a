package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// startSimCmd runs 'payhsm-gw sim' with args on a free port and returns its
// address; it stops with the test.
func startSimCmd(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runSim(ctx, append([]string{"--listen", "127.0.0.1:0"}, args...), io.Discard, &errb)
	}()
	t.Cleanup(func() { cancel(); <-done })
	return waitLog(t, &errb, `simulator listening" addr=(\S+)`)
}

// keyBlockCases are names the key-block suite must have run and passed:
// the A0, A6 and A8 cases and errors the contract names
// (hostcmd-keyblocks.md §3, §6-§8).
var keyBlockCases = []string{
	"PASS NC key-block LMK check value",
	"PASS A0 generate and export as TR-31 B",
	"PASS A0 generate and export as TR-31 D",
	"PASS A6 import TR-31 B block TR-31:2018 A.7.2.2",
	"PASS A6 import TR-31 D block TR-31:2018 A.7.4",
	"PASS A6 then A8 round trip of TR-31:2018 A.7.2.2 as TR-31 B",
	"PASS A6 then A8 round trip of TR-31:2018 A.7.4 as TR-31 D",
	"PASS A6 block whose MAC fails is A4",
	"PASS A6 block with a bad optional block count is AC",
	"PASS A6 under a ZPK (wrong usage) is A6",
	"PASS A6 block whose length is not whole cipher blocks is A5",
	"PASS G0 AES DUKPT with S AES-128 BDK",
}

func checkKeyBlockRun(t *testing.T, code int, out, errb string) {
	t.Helper()
	if code != exitOK {
		t.Fatalf("exit %d; stderr %q; failures:\n%s", code, errb, grepFail(out))
	}
	m := closingLine.FindStringSubmatch(out)
	if m == nil || m[2] != "0" || m[1] == "0" {
		t.Fatalf("closing line %q", lastLine(out))
	}
	for _, want := range keyBlockCases {
		if !strings.Contains(out, want) {
			t.Errorf("no line %q", want)
		}
	}
	if strings.Contains(out, "vector/") {
		t.Errorf("the variant LMK's public vectors ran against a key-block LMK")
	}
}

// TestConformAgainstKeyBlockSim runs conform against 'payhsm-gw sim --lmk
// keyblock-test': the suite is chosen by the target's NC answer, or named
// with --lmk (keyblock-test, or the same LMK from a file), and passes.
// Given the variant test LMK instead, it fails.
func TestConformAgainstKeyBlockSim(t *testing.T) {
	addr := startSimCmd(t, "--lmk", "keyblock-test")
	file := filepath.Join(t.TempDir(), "kblmk.txt")
	lmkFile := "key-block AES 9B71333A13F9FAE72F9D0E2DAB4AD678 4718012F9244033F3F26A2DE0C8AA11A\n"
	if err := os.WriteFile(file, []byte(lmkFile), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, extra := range [][]string{nil, {"--lmk", "keyblock-test"}, {"--lmk", file}} {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"conform", "--target", addr}, extra...), &out, &errb)
		checkKeyBlockRun(t, code, out.String(), errb.String())
		if extra == nil && !strings.Contains(errb.String(), "running the key-block suite") {
			t.Errorf("auto: stderr does not say the key-block suite was chosen: %q", errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"conform", "--target", addr, "--lmk", "test"}, &out, &errb); code != exitFailed {
		t.Errorf("--lmk test against a key-block sim: exit %d, want %d", code, exitFailed)
	}
	out.Reset()
	if code := run(context.Background(), []string{"conform", "--target", addr, "--lmk", "keyblock-test-tdes"}, &out, &errb); code != exitFailed {
		t.Errorf("--lmk keyblock-test-tdes against an AES key-block sim: exit %d, want %d", code, exitFailed)
	}
}

// TestConformThroughServeInFrontOfKeyBlockSim puts serve in front of a
// key-block-LMK sim: the gateway relays A0, A6, A8, CI and G0 with S keys,
// and the pool's LMK guard takes the key-block check value.
func TestConformThroughServeInFrontOfKeyBlockSim(t *testing.T) {
	addr := startSimCmd(t, "--lmk", "keyblock-test-tdes")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- runServe(ctx, []string{"--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", t.TempDir(),
			"--hsm", "kb=" + addr}, io.Discard, &errb)
	}()
	front := waitLog(t, &errb, `host-command front listening" addr=(\S+)`)
	waitLog(t, &errb, `(pool: HSM up)`)
	var out, cerr bytes.Buffer
	code := run(context.Background(), []string{"conform", "--target", front, "--conns", "2"}, &out, &cerr)
	if code != exitOK {
		t.Fatalf("exit %d; stderr %q; failures:\n%s\nserve's log:\n%s", code, cerr.String(), grepFail(out.String()), errb.String())
	}
	if !strings.Contains(cerr.String(), "running the key-block suite") {
		t.Errorf("the key-block suite was not chosen through serve: %q", cerr.String())
	}
	for _, want := range []string{"PASS A6 import TR-31 B block TR-31:2018 A.7.2.2", "PASS A6 then A8 round trip of TR-31:2018 A.7.2.2 as TR-31 B",
		"PASS CI TDES DUKPT with S BDK and ZPK", "PASS A6 block whose MAC fails is A4"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no line %q", want)
		}
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("serve exit status %d", code)
	}
}
