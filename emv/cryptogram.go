package emv

import (
	"errors"

	"github.com/payhsm/payhsm-gw/mac"
)

// MaxPropAuthData is the longest proprietary authentication data ARPC
// method 2 takes (EMV 4.3 Book 2 §8.2.2).
const MaxPropAuthData = 8

var errPropAuthData = errors.New("emv: proprietary authentication data must be 0 to 8 bytes")

// GenerateAC returns the application cryptogram (ARQC, TC or AAC) of data
// under the session key sk: ISO/IEC 9797-1 MAC algorithm 3 with padding p, 8
// bytes (EMV 4.3 Book 2 §8.1.2 and A1.2). data is the transaction data
// exactly as the card signed it, without padding. Visa CVN 10 pads with
// method 1, the other schemes with method 2 (see Profile.Padding).
func GenerateAC(sk Key, data []byte, p mac.Padding) ([8]byte, error) {
	var r mac.Retail
	r.SetKey(sk[:])
	defer r.Clear()
	return ac(&r, data, p)
}

func ac(r *mac.Retail, data []byte, p mac.Padding) ([8]byte, error) {
	var out [8]byte
	if p == mac.PaddingNone {
		return out, errors.New("emv: cryptogram padding must be method 1 or 2")
	}
	if _, err := r.MAC(out[:0], data, p); err != nil {
		return out, err
	}
	return out, nil
}

// VerifyAC reports whether cryptogram is the application cryptogram of data
// under sk with padding p. It compares in constant time (mac.Equal). A
// mismatch is ok == false with a nil error.
func VerifyAC(sk Key, data []byte, p mac.Padding, cryptogram [8]byte) (bool, error) {
	want, err := GenerateAC(sk, data, p)
	if err != nil {
		return false, err
	}
	return mac.Equal(want[:], cryptogram[:]), nil
}

// ARPCMethod1 returns the 8-byte ARPC of EMV 4.3 Book 2 §8.2.1 (method 1):
// TDES_K(ARQC XOR (ARC || 00 00 00 00 00 00)), where ARC is the 2-byte
// authorisation response code (tag 8A). k is the ICC master key or the
// session key, as the profile says.
func ARPCMethod1(k Key, arqc [8]byte, arc [2]byte) [8]byte {
	var r mac.Retail
	r.SetKey(k[:])
	defer r.Clear()
	return arpc1(&r, arqc, arc)
}

func arpc1(r *mac.Retail, arqc [8]byte, arc [2]byte) [8]byte {
	x := arqc
	x[0] ^= arc[0]
	x[1] ^= arc[1]
	r.Block().Encrypt(x[:], x[:])
	return x
}

// ARPCMethod2 returns the 4-byte ARPC of EMV 4.3 Book 2 §8.2.2 (method 2):
// the leftmost 4 bytes of MAC algorithm 3 with padding method 2 over
// ARQC || CSU || proprietary authentication data (0 to 8 bytes). The issuer
// authentication data (tag 91) is then ARPC || CSU || that data.
func ARPCMethod2(k Key, arqc [8]byte, csu [4]byte, prop []byte) ([4]byte, error) {
	var r mac.Retail
	r.SetKey(k[:])
	defer r.Clear()
	return arpc2(&r, arqc, csu, prop)
}

func arpc2(r *mac.Retail, arqc [8]byte, csu [4]byte, prop []byte) ([4]byte, error) {
	var out [4]byte
	if len(prop) > MaxPropAuthData {
		return out, errPropAuthData
	}
	var buf [8 + 4 + MaxPropAuthData]byte
	n := copy(buf[:], arqc[:])
	n += copy(buf[n:], csu[:])
	n += copy(buf[n:], prop)
	var m [8]byte
	if _, err := r.MAC(m[:0], buf[:n], mac.PaddingMethod2); err != nil {
		return out, err
	}
	copy(out[:], m[:4])
	return out, nil
}
