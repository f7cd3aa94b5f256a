package emv

import (
	"errors"
	"slices"
	"testing"

	"github.com/payhsm/payhsm-gw/mac"
)

// TestProfileVectors runs each profile row (PYEMV test_cvn_hsm.py, the PYEMV
// cvn.py module example and the CryptoCarver cross-check) through
// DeriveKeys, the one-shot VerifyARQC and the profile's ARPC, and checks that
// one wrong bit of the ARQC, a wrong ATC or a wrong PAN fails.
func TestProfileVectors(t *testing.T) {
	for _, r := range loadVectors(t).Profiles {
		t.Run(r.Profile+"/"+r.Source, func(t *testing.T) {
			p, ok := LookupProfile(r.Profile)
			if !ok {
				t.Fatalf("no profile %q", r.Profile)
			}
			imk := block(t, r.IMK)
			atc, un := [2]byte(unhexN(t, r.ATC, 2)), [4]byte(unhexN(t, r.UN, 4))
			data, arqc := unhex(t, r.Data), [8]byte(unhexN(t, r.ARQC, 8))

			k, err := DeriveKeys(imk, p, r.PAN, r.PSN, atc, un)
			if err != nil {
				t.Fatal(err)
			}
			if have, err := k.AC(data); err != nil || have != arqc {
				t.Errorf("AC: have %X (%v), want %X", have, err, arqc)
			}
			switch r.ARPC.Method {
			case 1:
				have, err := k.ARPC1(arqc, [2]byte(unhexN(t, r.ARPC.ARC, 2)))
				if err != nil || have != [8]byte(unhexN(t, r.ARPC.Value, 8)) {
					t.Errorf("ARPC1: have %X (%v), want %s", have, err, r.ARPC.Value)
				}
				if _, err := k.ARPC2(arqc, [4]byte{}, nil); err == nil {
					t.Error("ARPC2 accepted on a method 1 profile")
				}
			case 2:
				have, err := k.ARPC2(arqc, [4]byte(unhexN(t, r.ARPC.CSU, 4)), nil)
				if err != nil || have != [4]byte(unhexN(t, r.ARPC.Value, 4)) {
					t.Errorf("ARPC2: have %X (%v), want %s", have, err, r.ARPC.Value)
				}
				if _, err := k.ARPC1(arqc, [2]byte{}); err == nil {
					t.Error("ARPC1 accepted on a method 2 profile")
				}
			default:
				t.Fatalf("row has ARPC method %d", r.ARPC.Method)
			}

			verify := func(pan string, atc [2]byte, un [4]byte, arqc [8]byte) bool {
				t.Helper()
				ok, err := VerifyARQC(imk, p, pan, r.PSN, atc, un, data, arqc)
				if err != nil {
					t.Fatal(err)
				}
				return ok
			}
			if !verify(r.PAN, atc, un, arqc) {
				t.Error("VerifyARQC rejected the right ARQC")
			}
			for bit := range 64 {
				bad := arqc
				bad[bit/8] ^= 0x80 >> (bit % 8)
				if verify(r.PAN, atc, un, bad) {
					t.Fatalf("VerifyARQC accepted the ARQC with bit %d flipped", bit)
				}
			}
			if p.Session != SessionNone { // the ATC only enters through the session key
				if verify(r.PAN, [2]byte{atc[0], atc[1] ^ 1}, un, arqc) {
					t.Error("VerifyARQC accepted a wrong ATC")
				}
			}
			wrongPAN := []byte(r.PAN)
			wrongPAN[len(wrongPAN)-2] = '0' + (wrongPAN[len(wrongPAN)-2]-'0'+1)%10
			if verify(string(wrongPAN), atc, un, arqc) {
				t.Error("VerifyARQC accepted a wrong PAN")
			}
			wrongUN := un
			wrongUN[3] ^= 1
			if have := verify(r.PAN, atc, wrongUN, arqc); have != (p.Session != SessionMastercard) {
				t.Errorf("wrong UN: verified %v; only the Mastercard SKD uses the UN", have)
			}
			wrongData := append([]byte(nil), data...)
			wrongData[0] ^= 1
			if ok, _ := k.VerifyARQC(wrongData, arqc); ok {
				t.Error("VerifyARQC accepted changed transaction data")
			}
		})
	}
}

// TestProfileTable pins the table to payment-crypto.md §5.4 and to the KQ/KW
// schemes of hostcmd.md.
func TestProfileTable(t *testing.T) {
	type row struct {
		name    string
		opt     Option
		session SessionMethod
		pad     mac.Padding
		arpc    int
		key     ARPCKey
		cmd     string
		scheme  byte
	}
	want := []row{
		{"visa-cvn10", OptionA, SessionNone, mac.PaddingMethod1, 1, ARPCCardKey, "KQ", '0'},
		{"visa-cvn18", OptionB, SessionCommon, mac.PaddingMethod2, 2, ARPCSessionKey, "KW", '3'},
		{"visa-cvn22", OptionB, SessionCommon, mac.PaddingMethod2, 2, ARPCSessionKey, "KW", '3'},
		{"mc-cvn16", OptionA, SessionMastercard, mac.PaddingMethod2, 1, ARPCCardKey, "KQ", '1'},
		{"mc-cvn17", OptionA, SessionMastercard, mac.PaddingMethod2, 1, ARPCCardKey, "KQ", '1'},
		{"mc-cvn20", OptionA, SessionCommon, mac.PaddingMethod2, 1, ARPCSessionKey, "KW", '2'},
		{"mc-cvn21", OptionA, SessionCommon, mac.PaddingMethod2, 1, ARPCSessionKey, "KW", '2'},
	}
	var names []string
	for _, p := range Profiles() {
		names = append(names, p.Name)
	}
	if len(names) != len(want) {
		t.Fatalf("Profiles() = %v", names)
	}
	for _, w := range want {
		p, ok := LookupProfile(w.name)
		if !ok {
			t.Errorf("LookupProfile(%q) not found", w.name)
			continue
		}
		have := row{p.Name, p.Derivation, p.Session, p.Padding, p.ARPCMethod, p.ARPCKey, p.Command, p.CommandScheme}
		if have != w {
			t.Errorf("%s: have %+v, want %+v", w.name, have, w)
		}
		if !slices.Contains(names, w.name) {
			t.Errorf("Profiles() lacks %s", w.name)
		}
	}
	for _, bad := range []string{"", "visa", "VISA-CVN10", "mc-cvn22", "visa-cvn10 "} {
		if _, ok := LookupProfile(bad); ok {
			t.Errorf("LookupProfile(%q) found a profile", bad)
		}
	}
	// Profiles returns a copy: changing it does not change the table.
	ps := Profiles()
	ps[0].Name = "changed"
	if _, ok := LookupProfile("visa-cvn10"); !ok {
		t.Error("Profiles() exposed the table")
	}
}

func TestCommandMode(t *testing.T) {
	for _, c := range []struct {
		profile      string
		verify, arpc bool
		want         byte
	}{
		{"visa-cvn10", true, false, '0'},
		{"visa-cvn10", true, true, '1'},
		{"visa-cvn10", false, true, '2'},
		{"mc-cvn16", true, true, '1'},
		{"mc-cvn20", true, false, '0'},
		{"mc-cvn20", true, true, '1'},
		{"mc-cvn21", false, true, '2'},
		{"visa-cvn18", true, false, '0'},
		{"visa-cvn18", true, true, '3'},
		{"visa-cvn22", false, true, '4'},
	} {
		p, _ := LookupProfile(c.profile)
		have, err := p.CommandMode(c.verify, c.arpc)
		if err != nil || have != c.want {
			t.Errorf("%s verify=%v arpc=%v: have %q (%v), want %q", c.profile, c.verify, c.arpc, have, err, c.want)
		}
	}
	p, _ := LookupProfile("visa-cvn10")
	if _, err := p.CommandMode(false, false); err == nil {
		t.Error("CommandMode(false, false) accepted")
	}
}

func TestDeriveKeysRejectsBadInput(t *testing.T) {
	imk := block(t, "0123456789ABCDEFFEDCBA9876543210")
	p, _ := LookupProfile("visa-cvn18")
	for _, c := range []struct {
		name     string
		imkBlock any
		p        Profile
		pan, psn string
	}{
		{"empty profile", imk, Profile{}, "1234567890123456", "00"},
		{"pan with letter", imk, p, "12345678901234A6", "00"},
		{"pan too short", imk, p, "1234567", "00"},
		{"pan too long", imk, p, "12345678901234567890", "00"},
		{"psn one digit", imk, p, "1234567890123456", "1"},
		{"psn letters", imk, p, "1234567890123456", "0A"},
		{"unknown option", imk, Profile{Name: "x", Derivation: 'C'}, "1234567890123456", "00"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := DeriveKeys(imk, c.p, c.pan, c.psn, [2]byte{}, [4]byte{})
			if err == nil {
				t.Fatal("accepted")
			}
			checkErrText(t, err, c.pan)
		})
	}
	if _, err := DeriveKeys(aesLike{}, p, "1234567890123456", "00", [2]byte{}, [4]byte{}); !errors.Is(err, errBlockSize) {
		t.Errorf("AES-sized IMK: have %v, want errBlockSize", err)
	}
	if _, err := DeriveICCMKFromBlock(aesLike{}, [8]byte{}); !errors.Is(err, errBlockSize) {
		t.Errorf("AES-sized IMK: have %v, want errBlockSize", err)
	}
	if _, err := GenerateAC(Key{}, []byte{1}, mac.PaddingNone); err == nil {
		t.Error("GenerateAC accepted PaddingNone")
	}
	if _, err := ARPCMethod2(Key{}, [8]byte{}, [4]byte{}, make([]byte, 9)); err == nil {
		t.Error("ARPCMethod2 accepted 9 bytes of proprietary data")
	}
}

// aesLike is a fake 128-bit block cipher.
type aesLike struct{}

func (aesLike) BlockSize() int          { return 16 }
func (aesLike) Encrypt(dst, src []byte) { copy(dst, src) }
func (aesLike) Decrypt(dst, src []byte) { copy(dst, src) }

func TestNames(t *testing.T) {
	for have, want := range map[string]string{
		OptionA.String(): "A", OptionB.String(): "B", Option('C').String(): "Option(?)",
		SessionNone.String(): "none", SessionCommon.String(): "EMV common session key",
		SessionMastercard.String(): "Mastercard SKD", SessionMethod(9).String(): "SessionMethod(?)",
		ARPCCardKey.String(): "ICC master key", ARPCSessionKey.String(): "session key", ARPCKey(9).String(): "ARPCKey(?)",
		Key{1}.String(): "[REDACTED]", Key{1}.GoString(): "[REDACTED]",
	} {
		if have != want {
			t.Errorf("have %q, want %q", have, want)
		}
	}
}

func TestLowLevelNegatives(t *testing.T) {
	imk := block(t, "0123456789ABCDEFFEDCBA9876543210")
	if _, err := DeriveICCMK(imk, "1234567890123456", "00", 'C'); err == nil {
		t.Error("DeriveICCMK accepted option C")
	}
	if _, err := DeriveICCMK(aesLike{}, "1234567890123456", "00", OptionA); !errors.Is(err, errBlockSize) {
		t.Errorf("AES-sized IMK: have %v", err)
	}
	// PYEMV ac.py generate_ac docstring vector, then one bit off.
	sk := Key(unhexN(t, "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB", 16))
	data := unhex(t, "0000000020000000000000000124000000800001241103090038"+"04823E58000001")
	ac := [8]byte(unhexN(t, "3B76CF10FECD8789", 8))
	if ok, err := VerifyAC(sk, data, mac.PaddingMethod2, ac); err != nil || !ok {
		t.Fatalf("VerifyAC(right) = %v, %v", ok, err)
	}
	ac[7] ^= 1
	if ok, _ := VerifyAC(sk, data, mac.PaddingMethod2, ac); ok {
		t.Error("VerifyAC accepted a wrong AC")
	}
	if _, err := VerifyAC(sk, data, mac.PaddingNone, ac); err == nil {
		t.Error("VerifyAC accepted PaddingNone")
	}
	p := mustProfile(t, "visa-cvn18")
	k, err := DeriveKeys(imk, p, "1234567890123456", "00", [2]byte{}, [4]byte{})
	if err != nil {
		t.Fatal(err)
	}
	if k.Profile().Name != p.Name {
		t.Errorf("Profile() = %s", k.Profile().Name)
	}
	if _, err := VerifyARQC(imk, p, "bad", "00", [2]byte{}, [4]byte{}, data, ac); err == nil {
		t.Error("VerifyARQC accepted a bad PAN")
	}
	if _, err := k.VerifyARQC(data, ac); err != nil {
		t.Error(err)
	}
	bad := p
	bad.Padding = mac.PaddingNone
	kb, _ := DeriveKeys(imk, bad, "1234567890123456", "00", [2]byte{}, [4]byte{})
	if _, err := kb.VerifyARQC(data, ac); err == nil {
		t.Error("a profile without padding verified")
	}
}
