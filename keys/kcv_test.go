package keys

import (
	"errors"
	"testing"
)

func TestCheckValueLengths(t *testing.T) {
	for _, n := range []int{8, 16, 24, 32} {
		k := mustKey(t, hexOf(make([]byte, n)))
		_, err := CheckValue(k)
		if wantOK := n != 32; wantOK != (err == nil) || err != nil && !errors.Is(err, ErrKeyLength) {
			t.Errorf("CheckValue(%d bytes): err %v", n, err)
		}
		_, err = AESCheckValue(k)
		if wantOK := n != 8; wantOK != (err == nil) || err != nil && !errors.Is(err, ErrKeyLength) {
			t.Errorf("AESCheckValue(%d bytes): err %v", n, err)
		}
	}
	if _, err := CheckValue(ClearKey{}); !errors.Is(err, ErrKeyLength) {
		t.Errorf("CheckValue(zero key): err %v", err)
	}
	if _, err := AESCheckValue(ClearKey{}); !errors.Is(err, ErrKeyLength) {
		t.Errorf("AESCheckValue(zero key): err %v", err)
	}
}

// TestCheckValueSingleLengthIsDES: a single-length key's KCV equals that of
// the same key repeated as a double-length key (K1 = K2), as ANSI X9.52
// keying option 3 degenerates to DES.
func TestCheckValueSingleLengthIsDES(t *testing.T) {
	single, _ := CheckValue(mustKey(t, "8664432086644320"))
	double, _ := CheckValue(mustKey(t, "86644320866443208664432086644320"))
	if single != double {
		t.Errorf("single %X, double %X", single, double)
	}
}
