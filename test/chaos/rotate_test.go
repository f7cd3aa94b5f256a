//go:build chaos

package chaos

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/payhsm/payhsm-gw/hostcmd"
)

var auditReopened = regexp.MustCompile(`msg="serve: audit log reopened on SIGHUP"`)

// TestSIGHUPReopensAuditLog rotates the audit file the way logrotate's
// default "create" does: rename the file, then SIGHUP. The record of a
// command before the signal stays in the renamed file; one after it lands
// in a new file at the configured path, created 0600.
func TestSIGHUPReopensAuditLog(t *testing.T) {
	a := startSim(t, "a")
	cfg := gwConfig{LMKCheck: a.kcv, HSMs: []hsmConf{{"a", a.addr, "p1", 1000}}}
	cfg.setDefaults()
	dir := t.TempDir()
	file := filepath.Join(dir, "payhsm-gw.yaml")
	if err := os.WriteFile(file, []byte(cfg.yaml()), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	p := startProc(t, "serve", "serve", "--config", file, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--data", data)
	addr := p.waitLog(t, gwListening, 15*time.Second)[1]
	auditPath := filepath.Join(data, "audit.log")

	c, err := hostcmd.Dial(context.Background(), addr, hostcmd.ClientOptions{HeaderLen: 4, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	nc := func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		resp, err := c.RoundTrip(ctx, []byte("NC"))
		if err != nil || !strings.HasPrefix(string(resp), "ND00") {
			t.Fatalf("NC: %q, %v", resp, err)
		}
	}
	// waitCmds waits until path holds n records of NC.
	waitCmds := func(path string, n int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			b, _ := os.ReadFile(path)
			if got := strings.Count(string(b), `"cmd":"NC"`); got == n {
				return
			} else if time.Now().After(deadline) {
				t.Fatalf("%s holds %d NC records, want %d", filepath.Base(path), got, n)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	nc()
	waitCmds(auditPath, 1)
	rotated := auditPath + ".1"
	if err := os.Rename(auditPath, rotated); err != nil {
		t.Fatal(err)
	}
	p.signal(t, syscall.SIGHUP)
	p.waitLog(t, auditReopened, 5*time.Second)
	nc()
	waitCmds(auditPath, 1)
	waitCmds(rotated, 1)
	fi, err := os.Stat(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("new audit file mode %v, want 0600", fi.Mode().Perm())
	}
	if p.exited() {
		t.Fatal("serve exited on SIGHUP")
	}
	writeResult(t, record{Event: "sighup_audit_reopen", Pass: !t.Failed()})
}
