package emv

import (
	"crypto/cipher"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/internal/testvec"
	"github.com/payhsm/payhsm-gw/mac"
)

// The vectors live in testdata/vectors.json; every row names its source.

type arpcRow struct {
	Method int    `json:"method"`
	Key    string `json:"key"` // "icc" or "sk" (chains)
	ARC    string `json:"arc"`
	CSU    string `json:"csu"`
	Prop   string `json:"prop"`
	Value  string `json:"value"`
}

type vectorFile struct {
	Shared struct {
		Source string `json:"source"`
		IMK    string `json:"imk"`
		MKD    []struct {
			Option, PAN, PSN string
			ICCMK            string `json:"icc_mk"`
		} `json:"master_key_derivation"`
		SessionKey []struct {
			Method, MK, ATC, SK string
		} `json:"session_key"`
		Cryptogram []struct {
			SK, Data string
			Padding  int
			AC       string
			ARPC1ARC string `json:"arpc1_arc"`
			ARPC1    string `json:"arpc1"`
			ARPC2CSU string `json:"arpc2_csu"`
			ARPC2    string `json:"arpc2"`
		} `json:"cryptogram"`
		CVN struct {
			PAN, PSN, ATC  string
			ICCMKKCV       string `json:"icc_mk_kcv"`
			VisaData       string `json:"visa_data"`
			MastercardData string `json:"mastercard_data"`
			Visa           []cvnRow
			Mastercard     []cvnRow
		} `json:"cvn_chains"`
	} `json:"shared"`
	ICCMK []struct {
		Source, IMK, Option, PAN, PSN, KCV, Y string
		ICCMK                                 string `json:"icc_mk"`
	} `json:"icc_mk"`
	Chains []struct {
		Source, IMK, Option, PAN, PSN string
		ICCKCV                        string `json:"icc_kcv"`
		R, ATC, UN                    string
		SKKCV                         string `json:"sk_kcv"`
		SK, Data                      string
		Padding                       int
		ARQC                          string
		ARPC                          []arpcRow
	} `json:"chains"`
	Cryptogram []struct {
		Source, SK, Data string
		Padding          int
		AC               string
	} `json:"cryptogram"`
	ARPC []struct {
		Source, Key, ARQC string
		Method            int
		ARC, CSU, Value   string
	} `json:"arpc"`
	VisaSM []struct {
		Source, MK, IMK, PAN, PSN, ATC, SK, MAC string
		ICCKCV                                  string `json:"icc_kcv"`
		SKKCV                                   string `json:"sk_kcv"`
		MACData                                 string `json:"mac_data"`
	} `json:"visa_sm"`
	Profiles []profileRow `json:"profiles"`
}

type cvnRow struct {
	CVN        int
	UN, Extra  string
	Padding    int
	SessionKey string `json:"session_key"`
	ARQC       string
	ARPCMethod int `json:"arpc_method"`
	ARC, CSU   string
	ARPCKey    string `json:"arpc_key"`
	ARPC       string
}

type profileRow struct {
	Source, Profile, IMK, PAN, PSN, ATC, UN, Data, ARQC string
	ARPC                                                arpcRow
}

func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	var v vectorFile
	testvec.LoadJSON(t, "testdata/vectors.json", &v)
	if len(v.Shared.MKD) == 0 || len(v.Shared.CVN.Visa) == 0 || len(v.Shared.CVN.Mastercard) == 0 ||
		len(v.ICCMK) == 0 || len(v.Chains) == 0 || len(v.Profiles) == 0 || len(v.VisaSM) == 0 {
		t.Fatal("testdata/vectors.json: a group is empty")
	}
	return &v
}

func unhex(t testing.TB, s string) []byte { return testvec.Unhex(t, s) }

// unhexN decodes s, which must be exactly n bytes; convert the result to
// the array type needed, e.g. [8]byte(unhexN(t, s, 8)).
func unhexN(t testing.TB, s string, n int) []byte {
	t.Helper()
	b := unhex(t, s)
	if len(b) != n {
		t.Fatalf("hex %q: %d bytes, want %d", s, len(b), n)
	}
	return b
}

func block(t testing.TB, key string) cipher.Block {
	t.Helper()
	b, err := tdes.New(unhex(t, key))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// kcv returns the 2-byte key check value (TDES of a zero block) as hex.
func kcv(t testing.TB, k Key) string {
	t.Helper()
	b, err := tdes.New(k[:])
	if err != nil {
		t.Fatal(err)
	}
	var z [8]byte
	b.Encrypt(z[:], z[:])
	return strings.ToUpper(hex.EncodeToString(z[:2]))
}

func keyHex(k Key) string { return strings.ToUpper(hex.EncodeToString(k[:])) }

func TestIssuerKeyCheckValue(t *testing.T) {
	// knovichikhin/pyemv tests/test_kd_hsm.py: the IMK's own KCV is 08D7;
	// this checks the kcv helper every other test relies on.
	if have := kcv(t, Key(unhexN(t, loadVectors(t).Shared.IMK, 16))); have != "08D7" {
		t.Fatalf("IMK KCV: have %s, want 08D7", have)
	}
}

func TestSharedMasterKeyDerivation(t *testing.T) {
	v := loadVectors(t)
	imk := block(t, v.Shared.IMK)
	for _, r := range v.Shared.MKD {
		t.Run(r.Option+"/"+r.PAN+"/"+r.PSN, func(t *testing.T) {
			mk, err := DeriveICCMK(imk, r.PAN, r.PSN, Option(r.Option[0]))
			if err != nil {
				t.Fatal(err)
			}
			if have := keyHex(mk); have != r.ICCMK {
				t.Errorf("have %s, want %s (%s)", have, r.ICCMK, v.Shared.Source)
			}
		})
	}
}

func TestSharedSessionKey(t *testing.T) {
	v := loadVectors(t)
	for _, r := range v.Shared.SessionKey {
		sk := CommonSessionKey(Key(unhexN(t, r.MK, 16)), ACDiversifier([2]byte(unhexN(t, r.ATC, 2))))
		if have := keyHex(sk); have != r.SK {
			t.Errorf("%s: have %s, want %s", r.Method, have, r.SK)
		}
	}
}

func TestSharedCryptogram(t *testing.T) {
	for _, r := range loadVectors(t).Shared.Cryptogram {
		sk := Key(unhexN(t, r.SK, 16))
		ac, err := GenerateAC(sk, unhex(t, r.Data), mac.Padding(r.Padding))
		if err != nil {
			t.Fatal(err)
		}
		if want := [8]byte(unhexN(t, r.AC, 8)); ac != want {
			t.Errorf("AC: have %X, want %X", ac, want)
		}
		if a1 := ARPCMethod1(sk, ac, [2]byte(unhexN(t, r.ARPC1ARC, 2))); a1 != [8]byte(unhexN(t, r.ARPC1, 8)) {
			t.Errorf("ARPC1: have %X, want %s", a1, r.ARPC1)
		}
		a2, err := ARPCMethod2(sk, ac, [4]byte(unhexN(t, r.ARPC2CSU, 4)), nil)
		if err != nil || a2 != [4]byte(unhexN(t, r.ARPC2, 4)) {
			t.Errorf("ARPC2: have %X (%v), want %s", a2, err, r.ARPC2)
		}
		ok, err := VerifyAC(sk, unhex(t, r.Data), mac.Padding(r.Padding), ac)
		if err != nil || !ok {
			t.Errorf("VerifyAC = %v, %v", ok, err)
		}
	}
}

// TestSharedCVNChains runs the CVN chains of the shared vectors through the
// profiles, and checks each session key where the row gives one.
func TestSharedCVNChains(t *testing.T) {
	v := loadVectors(t)
	c := v.Shared.CVN
	imk := block(t, v.Shared.IMK)
	atc := [2]byte(unhexN(t, c.ATC, 2))
	mk, err := DeriveICCMK(imk, c.PAN, c.PSN, OptionA)
	if err != nil {
		t.Fatal(err)
	}
	if have := kcv(t, mk); have != c.ICCMKKCV {
		t.Fatalf("ICC MK KCV: have %s, want %s", have, c.ICCMKKCV)
	}
	run := func(brand, data string, r cvnRow) {
		name := map[string]string{"visa": "visa-cvn", "mastercard": "mc-cvn"}[brand] + itoa(r.CVN)
		t.Run(name, func(t *testing.T) {
			p, ok := LookupProfile(name)
			if !ok {
				t.Fatalf("no profile %s", name)
			}
			var un [4]byte
			if r.UN != "" {
				un = [4]byte(unhexN(t, r.UN, 4))
			}
			if r.SessionKey != "" {
				var sk Key
				if p.Session == SessionMastercard {
					sk = MastercardSessionKey(mk, atc, un)
				} else {
					sk = CommonSessionKey(mk, ACDiversifier(atc))
				}
				if have := keyHex(sk); have != r.SessionKey {
					t.Errorf("session key: have %s, want %s", have, r.SessionKey)
				}
			}
			if r.Padding != 0 && mac.Padding(r.Padding) != p.Padding {
				t.Errorf("profile padding %v, vector padding %d", p.Padding, r.Padding)
			}
			k, err := DeriveKeys(imk, p, c.PAN, c.PSN, atc, un)
			if err != nil {
				t.Fatal(err)
			}
			d := unhex(t, data+r.Extra)
			arqc := [8]byte(unhexN(t, r.ARQC, 8))
			if ok, err := k.VerifyARQC(d, arqc); err != nil || !ok {
				t.Errorf("VerifyARQC = %v, %v; want true", ok, err)
			}
			if p.ARPCMethod == 2 {
				a, err := k.ARPC2(arqc, [4]byte(unhexN(t, r.CSU, 4)), nil)
				if err != nil || a != [4]byte(unhexN(t, r.ARPC, 4)) {
					t.Errorf("ARPC2: have %X (%v), want %s", a, err, r.ARPC)
				}
			} else {
				a, err := k.ARPC1(arqc, [2]byte(unhexN(t, r.ARC, 2)))
				if err != nil || a != [8]byte(unhexN(t, r.ARPC, 8)) {
					t.Errorf("ARPC1: have %X (%v), want %s", a, err, r.ARPC)
				}
			}
		})
	}
	for _, r := range c.Visa {
		run("visa", c.VisaData, r)
	}
	for _, r := range c.Mastercard {
		run("mastercard", c.MastercardData, r)
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestICCMasterKeys(t *testing.T) {
	for _, r := range loadVectors(t).ICCMK {
		t.Run(r.Source, func(t *testing.T) {
			mk, err := DeriveICCMK(block(t, r.IMK), r.PAN, r.PSN, Option(r.Option[0]))
			if err != nil {
				t.Fatal(err)
			}
			if r.KCV != "" {
				if have := kcv(t, mk); have != r.KCV {
					t.Errorf("KCV: have %s, want %s", have, r.KCV)
				}
			}
			if r.ICCMK != "" {
				if have := keyHex(mk); have != r.ICCMK {
					t.Errorf("key: have %s, want %s", have, r.ICCMK)
				}
			}
			if r.Y != "" {
				y := optionBY(r.PAN, psnOr00(r.PSN))
				if have := strings.ToUpper(hex.EncodeToString(y[:])); have != r.Y {
					t.Errorf("Y: have %s, want %s", have, r.Y)
				}
			}
			if !isOddParity(mk[:]) {
				t.Error("derived key is not odd parity")
			}
		})
	}
}

func psnOr00(s string) string {
	if s == "" {
		return "00"
	}
	return s
}

func isOddParity(b []byte) bool {
	for _, x := range b {
		n := 0
		for ; x != 0; x &= x - 1 {
			n++
		}
		if n%2 == 0 {
			return false
		}
	}
	return true
}

func TestChains(t *testing.T) {
	for _, r := range loadVectors(t).Chains {
		t.Run(r.Source+"/pad"+itoa(r.Padding), func(t *testing.T) {
			mk, err := DeriveICCMK(block(t, r.IMK), r.PAN, r.PSN, Option(r.Option[0]))
			if err != nil {
				t.Fatal(err)
			}
			if r.ICCKCV != "" && kcv(t, mk) != r.ICCKCV {
				t.Errorf("ICC MK KCV: have %s, want %s", kcv(t, mk), r.ICCKCV)
			}
			var sk Key
			if r.R != "" {
				sk = CommonSessionKey(mk, [8]byte(unhexN(t, r.R, 8)))
			} else {
				sk = MastercardSessionKey(mk, [2]byte(unhexN(t, r.ATC, 2)), [4]byte(unhexN(t, r.UN, 4)))
			}
			if r.SKKCV != "" && kcv(t, sk) != r.SKKCV {
				t.Errorf("SK KCV: have %s, want %s", kcv(t, sk), r.SKKCV)
			}
			if r.SK != "" && keyHex(sk) != r.SK {
				t.Errorf("SK: have %s, want %s", keyHex(sk), r.SK)
			}
			if !isOddParity(sk[:]) {
				t.Error("session key is not odd parity")
			}
			arqc, err := GenerateAC(sk, unhex(t, r.Data), mac.Padding(r.Padding))
			if err != nil {
				t.Fatal(err)
			}
			if want := [8]byte(unhexN(t, r.ARQC, 8)); arqc != want {
				t.Errorf("ARQC: have %X, want %X", arqc, want)
			}
			for _, a := range r.ARPC {
				k := sk
				if a.Key == "icc" {
					k = mk
				}
				switch a.Method {
				case 1:
					if have := ARPCMethod1(k, arqc, [2]byte(unhexN(t, a.ARC, 2))); have != [8]byte(unhexN(t, a.Value, 8)) {
						t.Errorf("ARPC1 (%s): have %X, want %s", a.Key, have, a.Value)
					}
				case 2:
					have, err := ARPCMethod2(k, arqc, [4]byte(unhexN(t, a.CSU, 4)), unhex(t, a.Prop))
					if err != nil || have != [4]byte(unhexN(t, a.Value, 4)) {
						t.Errorf("ARPC2 (%s): have %X (%v), want %s", a.Key, have, err, a.Value)
					}
				}
			}
		})
	}
}

func TestCryptogramAndARPCExamples(t *testing.T) {
	v := loadVectors(t)
	for _, r := range v.Cryptogram {
		ac, err := GenerateAC(Key(unhexN(t, r.SK, 16)), unhex(t, r.Data), mac.Padding(r.Padding))
		if err != nil || ac != [8]byte(unhexN(t, r.AC, 8)) {
			t.Errorf("%s: have %X (%v), want %s", r.Source, ac, err, r.AC)
		}
	}
	for _, r := range v.ARPC {
		k, arqc := Key(unhexN(t, r.Key, 16)), [8]byte(unhexN(t, r.ARQC, 8))
		var have string
		if r.Method == 1 {
			a := ARPCMethod1(k, arqc, [2]byte(unhexN(t, r.ARC, 2)))
			have = strings.ToUpper(hex.EncodeToString(a[:]))
		} else {
			a, err := ARPCMethod2(k, arqc, [4]byte(unhexN(t, r.CSU, 4)), nil)
			if err != nil {
				t.Fatal(err)
			}
			have = strings.ToUpper(hex.EncodeToString(a[:]))
		}
		if have != r.Value {
			t.Errorf("%s: have %s, want %s", r.Source, have, r.Value)
		}
	}
}

func TestVisaSMSessionKey(t *testing.T) {
	for _, r := range loadVectors(t).VisaSM {
		t.Run(r.Source, func(t *testing.T) {
			var mk Key
			if r.MK != "" {
				mk = Key(unhexN(t, r.MK, 16))
			} else {
				var err error
				if mk, err = DeriveICCMK(block(t, r.IMK), r.PAN, r.PSN, OptionA); err != nil {
					t.Fatal(err)
				}
				if kcv(t, mk) != r.ICCKCV {
					t.Errorf("ICC MK KCV: have %s, want %s", kcv(t, mk), r.ICCKCV)
				}
			}
			sk := VisaSMSessionKey(mk, [2]byte(unhexN(t, r.ATC, 2)))
			if r.SK != "" && keyHex(sk) != r.SK {
				t.Errorf("SK: have %s, want %s", keyHex(sk), r.SK)
			}
			if r.SKKCV != "" && kcv(t, sk) != r.SKKCV {
				t.Errorf("SK KCV: have %s, want %s", kcv(t, sk), r.SKKCV)
			}
			if r.MAC != "" {
				m, err := mac.Alg3(sk[:], unhex(t, r.MACData), mac.PaddingMethod2)
				if err != nil || !mac.Equal(m, unhex(t, r.MAC)) {
					t.Errorf("MAC: have %X (%v), want %s", m, err, r.MAC)
				}
			}
		})
	}
}
