package main

import (
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/keys"
)

func TestLoadAnyLMK(t *testing.T) {
	dir := t.TempDir()
	kbFile := filepath.Join(dir, "kb.lmk")
	os.WriteFile(kbFile, []byte("key-block AES 9B71333A13F9FAE72F9D0E2DAB4AD678 4718012F9244033F3F26A2DE0C8AA11A\n"), 0o600)
	bad := filepath.Join(dir, "bad.lmk")
	os.WriteFile(bad, []byte("key-block AES 00\n"), 0o600)
	aes := keys.TestAESKeyBlockLMK().CheckValue()
	tdes := keys.TestTDESKeyBlockLMK().CheckValue()
	variant := keys.TestLMK().CheckValue()
	for _, tt := range []struct {
		arg  string
		want [8]byte
		kb   bool
	}{
		{"test", variant, false},
		{"keyblock-test", aes, true},
		{"keyblock-test-tdes", tdes, true},
		{kbFile, aes, true},
	} {
		a, err := loadAnyLMK(tt.arg)
		if err != nil {
			t.Fatalf("%s: %v", tt.arg, err)
		}
		if (a.KeyBlock != nil) != tt.kb || a.CheckValue() != tt.want {
			t.Errorf("%s: wrong LMK", tt.arg)
		}
	}
	if _, err := loadAnyLMK(bad); err == nil {
		t.Error("a bad key-block LMK file loaded")
	}
}

// `sim --lmk keyblock-test` serves under the test AES key-block LMK: NC
// reports its check value (docs/spec/hostcmd-keyblocks.md §1).
func TestSimKeyBlockLMK(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"sim", "--listen", "127.0.0.1:0", "--lmk", "keyblock-test"}, &out, &errb)
	}()
	defer func() {
		cancel()
		if code := <-done; code != exitOK {
			t.Errorf("sim exited %d: %s", code, errb.String())
		}
	}()
	addr := waitLog(t, &errb, `addr=(\S+)`)
	if !strings.Contains(errb.String(), `lmk_kind="key-block AES"`) {
		t.Errorf("sim did not log the LMK kind: %s", errb.String())
	}
	body := roundTrip(t, addr, "0001", "NC").Body()
	cv := keys.TestAESKeyBlockLMK().CheckValue()
	if want := "ND00" + strings.ToUpper(hex.EncodeToString(cv[:])); !strings.HasPrefix(string(body), want) {
		t.Errorf("NC answered %q, want %s...", body, want)
	}
}
