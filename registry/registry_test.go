package registry

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A cryptogram of the jPOS test ZPK under the Thales test LMK (jPOS
// JCESecurityModuleTest, key "zpk"; KCV 6FB1C8).
const (
	testCryptogram = "U34E2FC8EAD7CD07BFA2B7ED5FE4D8212"
	testKCV        = "6FB1C8"
)

func openTemp(t *testing.T) (*Registry, string) {
	t.Helper()
	dir := t.TempDir()
	r, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, dir
}

func TestCreateGetListDelete(t *testing.T) {
	r, _ := openTemp(t)
	at := time.Date(2026, 8, 7, 9, 0, 0, 0, time.UTC)
	for _, a := range []string{"zpk-b", "zpk-a"} {
		if _, err := r.Create(Record{Alias: a, KeyType: "ZPK", Cryptogram: testCryptogram, KCV: testKCV, CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := r.Get("zpk-a")
	if err != nil {
		t.Fatal(err)
	}
	want := Record{Alias: "zpk-a", KeyType: "ZPK", Cryptogram: testCryptogram, KCV: testKCV, CreatedAt: at}
	if got != want {
		t.Fatalf("have %+v, want %+v", got, want)
	}
	list, err := r.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Alias != "zpk-a" || list[1].Alias != "zpk-b" {
		t.Fatalf("List: have %+v, want zpk-a, zpk-b in order", list)
	}
	if err := r.Delete("zpk-a"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Get("zpk-a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: have %v, want ErrNotFound", err)
	}
	if err := r.Delete("zpk-a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete: have %v, want ErrNotFound", err)
	}
}

func TestCreateRefusesExistingAlias(t *testing.T) {
	r, _ := openTemp(t)
	rec := Record{Alias: "k1", KeyType: "ZPK", Cryptogram: testCryptogram, KCV: testKCV}
	if _, err := r.Create(rec); err != nil {
		t.Fatal(err)
	}
	rec.KeyType = "TPK"
	if _, err := r.Create(rec); !errors.Is(err, ErrExists) {
		t.Fatalf("have %v, want ErrExists", err)
	}
	got, _ := r.Get("k1")
	if got.KeyType != "ZPK" {
		t.Fatal("a refused Create overwrote the record")
	}
}

func TestConcurrentCreateOfOneAliasHasOneWinner(t *testing.T) {
	r, _ := openTemp(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := r.Create(Record{Alias: "race", KeyType: "ZPK", Cryptogram: testCryptogram, KCV: testKCV})
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, ErrExists) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("have %d successful creates, want 1", wins)
	}
}

func TestValidAlias(t *testing.T) {
	for _, tc := range []struct {
		alias string
		ok    bool
	}{
		{"zpk", true}, {"ZPK_issuer-1", true}, {"9", true}, {strings.Repeat("a", MaxAliasLen), true},
		{"", false}, {strings.Repeat("a", MaxAliasLen+1), false}, {"-x", false}, {"_x", false},
		{"a/b", false}, {"a.b", false}, {"..", false}, {"a b", false}, {"é", false}, {"alias/x", false},
	} {
		if have := ValidAlias(tc.alias); have != tc.ok {
			t.Errorf("ValidAlias(%q): have %v, want %v", tc.alias, have, tc.ok)
		}
	}
}

func TestCreateRefusesInvalidRecords(t *testing.T) {
	r, _ := openTemp(t)
	for _, rec := range []Record{
		{Alias: "a/b", KeyType: "ZPK", Cryptogram: testCryptogram, KCV: testKCV},
		{Alias: "ok", KeyType: "", Cryptogram: testCryptogram, KCV: testKCV},
		{Alias: "ok", KeyType: "ZPK", Cryptogram: "", KCV: testKCV},
		{Alias: "ok", KeyType: "ZPK", Cryptogram: testCryptogram, KCV: ""},
	} {
		if _, err := r.Create(rec); err == nil {
			t.Errorf("Create(%+v) succeeded", rec)
		}
	}
}

func TestRecordNeverPrintsItsCryptogram(t *testing.T) {
	rec := Record{Alias: "k", KeyType: "ZPK", Cryptogram: testCryptogram, KCV: testKCV}
	for _, s := range []string{fmt.Sprint(rec), fmt.Sprintf("%+v", rec), fmt.Sprintf("%#v", rec)} {
		if strings.Contains(s, testCryptogram[1:]) {
			t.Fatalf("printed record carries the cryptogram: %s", s)
		}
	}
}

func TestReopenKeepsRecords(t *testing.T) {
	dir := t.TempDir()
	r, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Create(Record{Alias: "kept", KeyType: "CVK", Cryptogram: testCryptogram, KCV: testKCV}); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, err := r.Get("kept"); err != nil || got.KeyType != "CVK" {
		t.Fatalf("have %+v, %v", got, err)
	}
}

func TestSecondOpenOfLockedDirectoryTimesOut(t *testing.T) {
	_, dir := openTemp(t)
	_, err := Open(dir, Options{LockTimeout: 50 * time.Millisecond})
	if err == nil {
		t.Fatal("a second Open of a directory in use succeeded")
	}
}

// The restart test runs a child process (this test binary, re-executed with
// childEnv set) that creates an alias, prints "ack" once Create returned
// and then waits to be killed with SIGKILL; no Close, no deferred code.
const childEnv = "PAYHSM_REGISTRY_CRASH_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

func crashChild(dir string) {
	r, err := Open(dir, Options{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	if _, err := r.Create(Record{Alias: "acked", KeyType: "ZPK", Cryptogram: testCryptogram, KCV: testKCV}); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ack")
	select {} // wait for SIGKILL
}

func TestAcknowledgedAliasSurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ack" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child did not acknowledge: %q, %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die of SIGKILL: %v", err)
	}

	r, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.Get("acked")
	if err != nil {
		t.Fatalf("acknowledged alias lost after kill -9: %v", err)
	}
	if got.Cryptogram != testCryptogram || got.KCV != testKCV || got.KeyType != "ZPK" {
		t.Fatalf("record changed across the crash: %+v", got)
	}
}

func BenchmarkGet(b *testing.B) {
	r, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Create(Record{Alias: "zpk", KeyType: "ZPK", Cryptogram: testCryptogram, KCV: testKCV}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Get("zpk"); err != nil {
			b.Fatal(err)
		}
	}
}
