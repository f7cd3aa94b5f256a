package dukpt

import (
	"errors"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/testlog"
	"github.com/payhsm/payhsm-gw/keys"
)

const (
	tdesBDK   = "0123456789ABCDEFFEDCBA9876543210"
	aes128BDK = "FEDCBA9876543210F1F1F1F1F1F1F1F1"
	aes256BDK = aes128BDK + aes128BDK
)

func TestWrongBDK(t *testing.T) {
	ksn := mustKSN(t, "FFFF9876543210E00001")
	aksn := mustAESKSN(t, "123456789012345600000001")
	for _, n := range []int{8, 24, 32} {
		k := clearKey(t, strings.Repeat("01", n))
		if _, err := DeriveTDES(k, ksn, VariantPIN); !errors.Is(err, ErrBDK) {
			t.Errorf("DeriveTDES with a %d-byte BDK: err %v", n, err)
		}
		if _, err := IPEK(k, ksn); !errors.Is(err, ErrBDK) {
			t.Errorf("IPEK with a %d-byte BDK: err %v", n, err)
		}
		if _, err := TDESTransactionKey(k, ksn); !errors.Is(err, ErrBDK) {
			t.Errorf("TDESTransactionKey with a %d-byte key: err %v", n, err)
		}
		if _, err := TDESWorkingKey(k, VariantPIN); !errors.Is(err, ErrBDK) {
			t.Errorf("TDESWorkingKey with a %d-byte key: err %v", n, err)
		}
	}
	for _, k := range []keys.ClearKey{{}, clearKey(t, strings.Repeat("01", 8))} {
		if _, err := DeriveAES(k, aksn, UsagePIN, AES128); !errors.Is(err, ErrBDK) {
			t.Errorf("DeriveAES with a %d-byte BDK: err %v", k.Len(), err)
		}
		if _, err := AESInitialKey(k, aksn.InitialKeyID()); !errors.Is(err, ErrBDK) {
			t.Errorf("AESInitialKey with a %d-byte BDK: err %v", k.Len(), err)
		}
		if _, err := AESTransactionKey(k, aksn); !errors.Is(err, ErrBDK) {
			t.Errorf("AESTransactionKey with a %d-byte key: err %v", k.Len(), err)
		}
		if _, err := AESWorkingKey(k, aksn, UsagePIN, AES128); !errors.Is(err, ErrBDK) {
			t.Errorf("AESWorkingKey with a %d-byte key: err %v", k.Len(), err)
		}
	}
}

// TestWorkingKeyStrength: X9.24-3:2017 6.1.3, a working key no stronger
// than its derivation key; TDEA keys from any AES key.
func TestWorkingKeyStrength(t *testing.T) {
	ksn := mustAESKSN(t, "123456789012345600000001")
	bdks := map[int]keys.ClearKey{16: clearKey(t, aes128BDK), 24: clearKey(t, aes128BDK+aes128BDK[:16]), 32: clearKey(t, aes256BDK)}
	for n, bdk := range bdks {
		for kt := TDES2; kt <= HMAC256; kt++ {
			k, err := DeriveAES(bdk, ksn, UsageMACBoth, kt)
			allowed := kt <= TDES3 || kt.Len() <= n
			switch {
			case allowed && (err != nil || k.Len() != kt.Len()):
				t.Errorf("%d-byte BDK, %s: len %d, err %v", n, kt, k.Len(), err)
			case !allowed && !errors.Is(err, ErrKeyType):
				t.Errorf("%d-byte BDK, %s: err %v, want ErrKeyType", n, kt, err)
			}
		}
	}
	for _, u := range []Usage{0, 0x8000, 0x8001, 0x4000, 0x1001} {
		if _, err := DeriveAES(bdks[16], ksn, u, AES128); !errors.Is(err, ErrKeyType) {
			t.Errorf("usage %s: err %v, want ErrKeyType", u, err)
		}
	}
	if _, err := DeriveAES(bdks[16], ksn, UsagePIN, KeyType(99)); !errors.Is(err, ErrKeyType) {
		t.Errorf("key type 99: err %v", err)
	}
	if _, err := DeriveTDES(clearKey(t, tdesBDK), mustKSN(t, "FFFF9876543210E00001"), Variant(9)); !errors.Is(err, ErrKeyType) {
		t.Errorf("variant 9: err %v", err)
	}
}

// TestHandBuiltKSN: the derivation functions hold a KSN that never went
// through the parser to the same counter rules.
func TestHandBuiltKSN(t *testing.T) {
	bdk := clearKey(t, tdesBDK)
	var k KSN
	copy(k[:], unhex(t, "FFFF9876543210E007FF"))
	if _, err := DeriveTDES(bdk, k, VariantPIN); !errors.Is(err, ErrCounter) {
		t.Errorf("DeriveTDES with 11 bits: err %v", err)
	}
	ik, _ := IPEK(bdk, k)
	if _, err := TDESTransactionKey(ik, k.Initial()); !errors.Is(err, ErrCounter) {
		t.Errorf("TDESTransactionKey with counter 0: err %v", err)
	}
	a := NewAESKSN(InitialKeyID{}, 0xFFFFFFFF)
	abdk := clearKey(t, aes128BDK)
	aik, _ := AESInitialKey(abdk, a.InitialKeyID())
	if _, err := AESTransactionKey(aik, a); !errors.Is(err, ErrCounter) {
		t.Errorf("AESTransactionKey with counter FFFFFFFF: err %v", err)
	}
	if _, err := AESWorkingKey(aik, a, UsagePIN, AES128); !errors.Is(err, ErrCounter) {
		t.Errorf("AESWorkingKey with counter FFFFFFFF: err %v", err)
	}
}

// TestKeysDoNotLeak: derived keys print, log and marshal redacted, and no
// error carries key bytes.
func TestKeysDoNotLeak(t *testing.T) {
	bdk := clearKey(t, tdesBDK)
	k, err := DeriveTDES(bdk, mustKSN(t, "FFFF9876543210E00001"), VariantPIN)
	if err != nil {
		t.Fatal(err)
	}
	secret := hexOf(k)
	printed := append(testlog.Renderings(t, k), testlog.Renderings(t, struct{ K keys.ClearKey }{k})...)
	for _, s := range printed {
		if strings.Contains(strings.ToUpper(s), secret) || strings.Contains(strings.ToUpper(s), secret[:8]) {
			t.Errorf("key material printed: %s", s)
		}
	}
	// Errors with real keys in play name lengths and counts only.
	long := clearKey(t, aes256BDK)
	_, err1 := DeriveTDES(long, mustKSN(t, "FFFF9876543210E00001"), VariantPIN)
	_, err2 := DeriveAES(clearKey(t, aes128BDK), mustAESKSN(t, "123456789012345600000001"), UsagePIN, AES256)
	for _, err := range []error{err1, err2} {
		if err == nil || strings.Contains(strings.ToUpper(err.Error()), "FEDCBA98") {
			t.Errorf("error %v", err)
		}
	}
}

func TestStrings(t *testing.T) {
	if VariantDataResponse.String() != "DataResponse" || Variant(-1).String() != "Variant(-1)" {
		t.Error("Variant.String")
	}
	if TDES3.String() != "3TDEA" || HMAC192.Len() != 24 || KeyType(42).String() != "KeyType(42)" || KeyType(42).Len() != 0 {
		t.Error("KeyType")
	}
	if UsagePIN.String() != "1000" {
		t.Error("Usage.String")
	}
}
