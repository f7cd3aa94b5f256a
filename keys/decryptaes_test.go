package keys

import (
	"encoding/hex"
	"errors"
	"testing"
)

// TestDecryptAES: an AES key under the variant LMK is unwrapped without the
// parity check. The AES-128 DUKPT BDK of the ANSI X9.24-3:2017 supplement
// (FEDCBA9876543210F1F1F1F1F1F1F1F1), wrapped under the test LMK as key type
// 009 (docs/spec/hostcmd-dukpt.md §5), unwraps either way; a cryptogram whose
// clear bytes fail the parity check unwraps only with DecryptAES, to the
// same bytes that undo Encrypt's ECB.
func TestDecryptAES(t *testing.T) {
	lmk := TestLMK()
	ct, _ := hex.DecodeString("C0106228334ECB2E12B49BA556660547")
	k, err := lmk.DecryptAES(BDK, SchemeU, ct)
	if err != nil || hex.EncodeToString(k.Bytes()) != "fedcba9876543210f1f1f1f1f1f1f1f1" {
		t.Fatalf("AES BDK: %v", err)
	}
	bad, _ := hex.DecodeString("8E3D3E2FD5919657F05A1AA90D32A015")
	if _, err := lmk.Decrypt(BDK, SchemeU, bad); !errors.Is(err, ErrParity) {
		t.Fatalf("Decrypt: %v, want ErrParity", err)
	}
	k, err = lmk.DecryptAES(BDK, SchemeU, bad)
	if err != nil || k.Len() != 16 || CheckParity(k.Bytes()) {
		t.Fatalf("DecryptAES: %v", err)
	}
	// Only the parity check differs: the first half is that of the A.4 BDK.
	good, _ := lmk.Decrypt(BDK, SchemeU, append(bad[:15:15], 0x14))
	if hex.EncodeToString(k.Bytes()[:8]) != hex.EncodeToString(good.Bytes()[:8]) {
		t.Fatal("DecryptAES decrypts differently")
	}
	if _, err := lmk.DecryptAES(BDK, SchemeU, ct[:8]); !errors.Is(err, ErrKeyLength) {
		t.Fatalf("short cryptogram: %v", err)
	}
}
