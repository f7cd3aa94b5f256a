package dukpt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/tdes"
	"github.com/payhsm/payhsm-gw/internal/testvec"
	"github.com/payhsm/payhsm-gw/keys"
	"github.com/payhsm/payhsm-gw/mac"
	"github.com/payhsm/payhsm-gw/pin"
)

// vectorFile mirrors testdata/vectors.json. Every value there is a public
// known answer; its source is named beside it in the file.
type vectorFile struct {
	TDES struct {
		BDK, InitialKSN, IPEK, PIN, PAN, ClearPinBlock string
		Transactions                                   []struct {
			KSN, TransactionKey, PinBlock, Source string
		}
		JposPinBlocks struct {
			Source string
			Blocks map[string]string
		}
		WorkingKeys []struct{ KSN, Variant, Key, Source string }
		Messages    struct {
			Source, Message string
			Cases           []struct{ KSN, MacRequest, MacResponse, DataRequest, DataResponse string }
		}
	}
	AES128 struct {
		BDK, InitialKeyID, InitialKey string
		Transactions                  []struct {
			KSN, TransactionKey, PinKeyAES128, MacGenerateKeyAES128, DataEncryptKeyAES128, PinBlock string
		}
		PinBlock struct {
			PIN, PAN, PinField, PanField string
		}
		SkippedCounter struct{ KSN string }
		OtherUsages    struct {
			KSN  string
			Keys []struct{ Usage, KeyType, Key string }
		}
		Messages struct {
			Message string
			Cases   []struct {
				KSN, CmacRequest, CmacResponse, HmacRequest, HmacResponse, DataRequest, DataResponse string
			}
		}
	}
	AES256 struct {
		BDK, InitialKeyID, InitialKey string
		Transactions                  []struct{ KSN, TransactionKey string }
		WorkingKeys                   struct {
			KSN  string
			Keys []struct{ Usage, KeyType, Key string }
		}
	}
}

func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	var v vectorFile
	testvec.LoadJSON(t, "testdata/vectors.json", &v)
	return &v
}

func unhex(t testing.TB, s string) []byte { return testvec.Unhex(t, s) }

func clearKey(t testing.TB, s string) keys.ClearKey { return testvec.Make(t, s, keys.NewClearKey) }

func mustKSN(t testing.TB, s string) KSN {
	t.Helper()
	k, err := ParseKSN(s)
	if err != nil {
		t.Fatalf("ParseKSN(%s): %v", s, err)
	}
	return k
}

func mustAESKSN(t testing.TB, s string) AESKSN {
	t.Helper()
	k, err := ParseAESKSN(s)
	if err != nil {
		t.Fatalf("ParseAESKSN(%s): %v", s, err)
	}
	return k
}

func hexOf(k keys.ClearKey) string { return strings.ToUpper(hex.EncodeToString(k.Bytes())) }

func variantByName(t testing.TB, s string) Variant {
	for v := VariantPIN; v <= VariantDataResponse; v++ {
		if v.String() == s {
			return v
		}
	}
	t.Fatalf("unknown variant %q in test data", s)
	return 0
}

func keyTypeByName(t testing.TB, s string) KeyType {
	for kt := TDES2; kt <= HMAC256; kt++ {
		if kt.String() == s {
			return kt
		}
	}
	t.Fatalf("unknown key type %q in test data", s)
	return 0
}

func usageOf(t testing.TB, s string) Usage {
	u, err := strconv.ParseUint(s, 16, 16)
	if err != nil {
		t.Fatal(err)
	}
	return Usage(u)
}

// tdesECB enciphers one 8-byte block under a TDES working key.
func tdesECB(t testing.TB, k keys.ClearKey, in []byte) []byte {
	c, err := tdes.New(k.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 8)
	c.Encrypt(out, in)
	return out
}

// cbcZero enciphers msg, zero-padded to the block size, in CBC mode with a
// zero IV: the data encryption of both DUKPT test suites.
func cbcZero(c cipher.Block, msg []byte) []byte {
	bs := c.BlockSize()
	buf := make([]byte, (len(msg)+bs-1)/bs*bs)
	copy(buf, msg)
	cipher.NewCBCEncrypter(c, make([]byte, bs)).CryptBlocks(buf, buf)
	return buf
}

// TestTDESVectors: X9.24-1:2009 A.4.2 and A.4.3 (openemv/dukpt) — IPEK,
// every transaction key and every PIN block, both through the step-by-step
// functions and through DeriveTDES.
func TestTDESVectors(t *testing.T) {
	v := loadVectors(t).TDES
	bdk := clearKey(t, v.BDK)

	// The ISO-0 block of the tables is pin's format 0 of PIN 1234 and PAN
	// 4012345678909: check that independently first.
	p, err := pin.ParsePIN(v.PIN)
	if err != nil {
		t.Fatal(err)
	}
	acct, err := pin.AccountFromPAN(v.PAN)
	if err != nil {
		t.Fatal(err)
	}
	clearBlock, err := pin.EncodeBlock(nil, pin.ISO0, p, acct, nil)
	if err != nil || !bytes.Equal(clearBlock, unhex(t, v.ClearPinBlock)) {
		t.Fatalf("ISO-0 block: have %X, %v; want %s", clearBlock, err, v.ClearPinBlock)
	}

	var iksn KSN
	copy(iksn[:], unhex(t, v.InitialKSN))
	ik, err := IPEK(bdk, iksn)
	if err != nil || hexOf(ik) != v.IPEK {
		t.Fatalf("IPEK: have %s, %v; want %s", hexOf(ik), err, v.IPEK)
	}
	if len(v.Transactions) != 34 {
		t.Fatalf("test data has %d transactions, want 34 (21 initial + 13 rollover)", len(v.Transactions))
	}
	for _, tc := range v.Transactions {
		ksn := mustKSN(t, tc.KSN)
		// The IPEK does not depend on the counter.
		if k, err := IPEK(bdk, ksn); err != nil || hexOf(k) != v.IPEK {
			t.Errorf("%s: IPEK from a transaction KSN: have %s, %v", tc.KSN, hexOf(k), err)
		}
		txn, err := TDESTransactionKey(ik, ksn)
		if err != nil || hexOf(txn) != tc.TransactionKey {
			t.Errorf("%s: transaction key: have %s, %v; want %s (%s)", tc.KSN, hexOf(txn), err, tc.TransactionKey, tc.Source)
			continue
		}
		pk, err := TDESWorkingKey(txn, VariantPIN)
		if err != nil {
			t.Fatal(err)
		}
		if have := tdesECB(t, pk, clearBlock); !bytes.Equal(have, unhex(t, tc.PinBlock)) {
			t.Errorf("%s: PIN block: have %X, want %s (%s)", tc.KSN, have, tc.PinBlock, tc.Source)
		}
		direct, err := DeriveTDES(bdk, ksn, VariantPIN)
		if err != nil || !bytes.Equal(direct.Bytes(), pk.Bytes()) {
			t.Errorf("%s: DeriveTDES differs from IPEK+TDESTransactionKey+TDESWorkingKey (%v)", tc.KSN, err)
		}
		// And the host decrypts it back to the PIN through package pin.
		c, _ := tdes.New(pk.Bytes())
		got, err := pin.DecryptBlock(c, pin.ISO0, unhex(t, tc.PinBlock), acct)
		if err != nil || !got.Equal(p) {
			t.Errorf("%s: PIN block does not decrypt to the PIN: %v", tc.KSN, err)
		}
	}
}

// TestTDESJPOSBlocks: every 3DES PIN block of jPOS's DUKPTTest, a second
// print of the X9.24-1 table.
func TestTDESJPOSBlocks(t *testing.T) {
	v := loadVectors(t).TDES
	bdk := clearKey(t, v.BDK)
	clearBlock := unhex(t, v.ClearPinBlock)
	if len(v.JposPinBlocks.Blocks) != 34 {
		t.Fatalf("jPOS table has %d blocks, want 34", len(v.JposPinBlocks.Blocks))
	}
	for ksnHex, want := range v.JposPinBlocks.Blocks {
		k, err := DeriveTDES(bdk, mustKSN(t, ksnHex), VariantPIN)
		if err != nil {
			t.Fatal(err)
		}
		if have := tdesECB(t, k, clearBlock); !bytes.Equal(have, unhex(t, want)) {
			t.Errorf("%s: have %X, want %s (%s)", ksnHex, have, want, v.JposPinBlocks.Source)
		}
	}
}

// TestTDESWorkingKeys: the PIN, MAC and data variants printed as keys.
func TestTDESWorkingKeys(t *testing.T) {
	v := loadVectors(t).TDES
	bdk := clearKey(t, v.BDK)
	for _, tc := range v.WorkingKeys {
		k, err := DeriveTDES(bdk, mustKSN(t, tc.KSN), variantByName(t, tc.Variant))
		if err != nil || hexOf(k) != tc.Key {
			t.Errorf("%s %s: have %s, %v; want %s (%s)", tc.KSN, tc.Variant, hexOf(k), err, tc.Key, tc.Source)
		}
	}
}

// TestTDESMessages: MAC request/response (ISO 9797-1 algorithm 3, padding
// method 1) and data request/response encryption (TDES-CBC, zero IV, zero
// padding) of moov-io/dukpt's A.4.2 table.
func TestTDESMessages(t *testing.T) {
	v := loadVectors(t).TDES
	bdk := clearKey(t, v.BDK)
	msg := []byte(v.Messages.Message)
	for _, tc := range v.Messages.Cases {
		ksn := mustKSN(t, tc.KSN)
		for _, m := range []struct {
			v    Variant
			want string
		}{{VariantMACRequest, tc.MacRequest}, {VariantMACResponse, tc.MacResponse}} {
			k, err := DeriveTDES(bdk, ksn, m.v)
			if err != nil {
				t.Fatal(err)
			}
			have, err := mac.Alg3(k.Bytes(), msg, mac.PaddingMethod1)
			if err != nil || !bytes.Equal(have, unhex(t, m.want)) {
				t.Errorf("%s %s MAC: have %X, %v; want %s", tc.KSN, m.v, have, err, m.want)
			}
		}
		for _, d := range []struct {
			v    Variant
			want string
		}{{VariantDataRequest, tc.DataRequest}, {VariantDataResponse, tc.DataResponse}} {
			k, err := DeriveTDES(bdk, ksn, d.v)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := tdes.New(k.Bytes())
			if have := cbcZero(c, msg); !bytes.Equal(have, unhex(t, d.want)) {
				t.Errorf("%s %s data: have %X, want %s", tc.KSN, d.v, have, d.want)
			}
		}
	}
}

func initialKeyID(t testing.TB, s string) InitialKeyID {
	return InitialKeyID(unhex(t, s))
}

// TestAES128Vectors: the X9.24-3:2017 supplement for an AES-128 BDK
// (openemv/dukpt): initial key, 15 transaction keys, the PIN, MAC and data
// keys of counters 1-8 and their ISO 9564 format 4 PIN blocks.
func TestAES128Vectors(t *testing.T) {
	v := loadVectors(t).AES128
	bdk := clearKey(t, v.BDK)
	id := initialKeyID(t, v.InitialKeyID)
	ik, err := AESInitialKey(bdk, id)
	if err != nil || hexOf(ik) != v.InitialKey {
		t.Fatalf("initial key: have %s, %v; want %s", hexOf(ik), err, v.InitialKey)
	}
	if len(v.Transactions) != 15 {
		t.Fatalf("test data has %d transactions, want 15", len(v.Transactions))
	}
	pinField, panField := unhex(t, v.PinBlock.PinField), unhex(t, v.PinBlock.PanField)
	for _, tc := range v.Transactions {
		ksn := mustAESKSN(t, tc.KSN)
		if ksn.InitialKeyID() != id {
			t.Fatalf("%s: initial key ID", tc.KSN)
		}
		txn, err := AESTransactionKey(ik, ksn)
		if err != nil || hexOf(txn) != tc.TransactionKey {
			t.Errorf("%s: transaction key: have %s, %v; want %s", tc.KSN, hexOf(txn), err, tc.TransactionKey)
			continue
		}
		for _, w := range []struct {
			u    Usage
			want string
		}{{UsagePIN, tc.PinKeyAES128}, {UsageMACGenerate, tc.MacGenerateKeyAES128}, {UsageDataEncrypt, tc.DataEncryptKeyAES128}} {
			if w.want == "" {
				continue
			}
			k, err := AESWorkingKey(txn, ksn, w.u, AES128)
			if err != nil || hexOf(k) != w.want {
				t.Errorf("%s usage %s: have %s, %v; want %s", tc.KSN, w.u, hexOf(k), err, w.want)
			}
			direct, err := DeriveAES(bdk, ksn, w.u, AES128)
			if err != nil || hexOf(direct) != w.want {
				t.Errorf("%s usage %s: DeriveAES have %s, %v; want %s", tc.KSN, w.u, hexOf(direct), err, w.want)
			}
		}
		if tc.PinBlock == "" {
			continue
		}
		// ISO 9564-1 format 4: E(E(PIN field) XOR PAN field) under the PIN key.
		pk, _ := DeriveAES(bdk, ksn, UsagePIN, AES128)
		c, _ := aes.NewCipher(pk.Bytes())
		blk := make([]byte, 16)
		c.Encrypt(blk, pinField)
		for i := range blk {
			blk[i] ^= panField[i]
		}
		c.Encrypt(blk, blk)
		if !bytes.Equal(blk, unhex(t, tc.PinBlock)) {
			t.Errorf("%s: PIN block: have %X, want %s", tc.KSN, blk, tc.PinBlock)
		}
		// The same through package pin, fed the standard's random half.
		p, _ := pin.ParsePIN(v.PinBlock.PIN)
		viaPin, err := pin.EncryptBlock(nil, c, pin.ISO4, p, v.PinBlock.PAN, bytes.NewReader(pinField[8:]))
		if err != nil || !bytes.Equal(viaPin, blk) {
			t.Errorf("%s: pin.EncryptBlock ISO4: have %X, %v", tc.KSN, viaPin, err)
		}
	}
}

// TestAES128SkippedCounter: counter 0x1FFFF has 17 bits set; the
// supplement prints a key for it, but 6.1 forbids it.
func TestAES128SkippedCounter(t *testing.T) {
	v := loadVectors(t).AES128
	if _, err := ParseAESKSN(v.SkippedCounter.KSN); !errors.Is(err, ErrCounter) {
		t.Errorf("ParseAESKSN(%s): err %v, want ErrCounter", v.SkippedCounter.KSN, err)
	}
	var ksn AESKSN
	copy(ksn[:], unhex(t, v.SkippedCounter.KSN))
	if _, err := DeriveAES(clearKey(t, v.BDK), ksn, UsagePIN, AES128); !errors.Is(err, ErrCounter) {
		t.Errorf("DeriveAES with 17 bits set: err %v, want ErrCounter", err)
	}
}

// TestAES128OtherUsages: the remaining usages and the TDEA working key
// types for counter 1.
func TestAES128OtherUsages(t *testing.T) {
	v := loadVectors(t).AES128
	bdk := clearKey(t, v.BDK)
	ksn := mustAESKSN(t, v.OtherUsages.KSN)
	for _, tc := range v.OtherUsages.Keys {
		k, err := DeriveAES(bdk, ksn, usageOf(t, tc.Usage), keyTypeByName(t, tc.KeyType))
		if err != nil || hexOf(k) != tc.Key {
			t.Errorf("usage %s %s: have %s, %v; want %s", tc.Usage, tc.KeyType, hexOf(k), err, tc.Key)
		}
	}
}

// TestAES128Messages: moov-io/dukpt's CMAC, HMAC-SHA-256 and AES-CBC
// results for counters 1-8 over "4012345678909D987".
func TestAES128Messages(t *testing.T) {
	v := loadVectors(t).AES128
	bdk := clearKey(t, v.BDK)
	msg := []byte(v.Messages.Message)
	for _, tc := range v.Messages.Cases {
		ksn := mustAESKSN(t, tc.KSN)
		key := func(u Usage, kt KeyType) []byte {
			k, err := DeriveAES(bdk, ksn, u, kt)
			if err != nil {
				t.Fatal(err)
			}
			return k.Bytes()
		}
		check := func(what string, have []byte, want string) {
			if !bytes.Equal(have, unhex(t, want)) {
				t.Errorf("%s %s: have %X, want %s", tc.KSN, what, have, want)
			}
		}
		for _, m := range []struct {
			u          Usage
			cmac, hmac string
		}{{UsageMACGenerate, tc.CmacRequest, tc.HmacRequest}, {UsageMACVerify, tc.CmacResponse, tc.HmacResponse}} {
			c, _ := aes.NewCipher(key(m.u, AES128))
			check("CMAC "+m.u.String(), mac.CMAC(c, msg), m.cmac)
			check("HMAC "+m.u.String(), mac.HMACSHA256(key(m.u, HMAC128), msg), m.hmac)
		}
		for _, d := range []struct {
			u    Usage
			want string
		}{{UsageDataEncrypt, tc.DataRequest}, {UsageDataDecrypt, tc.DataResponse}} {
			c, _ := aes.NewCipher(key(d.u, AES128))
			check("data "+d.u.String(), cbcZero(c, msg), d.want)
		}
	}
}

// TestAES256Vectors: the supplement for an AES-256 BDK: initial key,
// transaction keys, and AES-128 and AES-256 PIN keys from one AES-256
// transaction key.
func TestAES256Vectors(t *testing.T) {
	v := loadVectors(t).AES256
	bdk := clearKey(t, v.BDK)
	ik, err := AESInitialKey(bdk, initialKeyID(t, v.InitialKeyID))
	if err != nil || hexOf(ik) != v.InitialKey {
		t.Fatalf("initial key: have %s, %v; want %s", hexOf(ik), err, v.InitialKey)
	}
	if len(v.Transactions) != 15 {
		t.Fatalf("test data has %d transactions, want 15", len(v.Transactions))
	}
	for _, tc := range v.Transactions {
		txn, err := AESTransactionKey(ik, mustAESKSN(t, tc.KSN))
		if err != nil || hexOf(txn) != tc.TransactionKey {
			t.Errorf("%s: transaction key: have %s, %v; want %s", tc.KSN, hexOf(txn), err, tc.TransactionKey)
		}
	}
	ksn := mustAESKSN(t, v.WorkingKeys.KSN)
	for _, tc := range v.WorkingKeys.Keys {
		k, err := DeriveAES(bdk, ksn, usageOf(t, tc.Usage), keyTypeByName(t, tc.KeyType))
		if err != nil || hexOf(k) != tc.Key {
			t.Errorf("usage %s %s: have %s, %v; want %s", tc.Usage, tc.KeyType, hexOf(k), err, tc.Key)
		}
	}
}

// TestAESIssue1: the block of github.com/openemv/dukpt/issues/1, made by a
// terminal tool with counter 0 (which ParseAESKSN refuses, so the working
// key is derived with the unexported step directly). It decrypts to the
// PIN under the PIN working key, not under the transaction key.
func TestAESIssue1(t *testing.T) {
	var v struct {
		AESIssue1 struct{ InitialKey, KSN, PAN, PIN, PinBlock string }
	}
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	tc := v.AESIssue1
	var ksn AESKSN
	copy(ksn[:], unhex(t, tc.KSN))
	if _, err := ParseAESKSN(tc.KSN); !errors.Is(err, ErrCounter) {
		t.Errorf("counter 0 accepted: %v", err)
	}
	ik := unhex(t, tc.InitialKey)
	want, _ := pin.ParsePIN(tc.PIN)
	block := unhex(t, tc.PinBlock)
	var pk [16]byte
	if err := aesWorkingKey(pk[:], ik, &ksn, UsagePIN, AES128); err != nil {
		t.Fatal(err)
	}
	c, _ := aes.NewCipher(pk[:])
	p, err := pin.DecryptBlock(c, pin.ISO4, block, tc.PAN)
	if err != nil || !p.Equal(want) {
		t.Errorf("under the PIN key: %v", err)
	}
	// Under the transaction key (here the initial key, counter 0) it does not.
	c, _ = aes.NewCipher(ik)
	if _, err := pin.DecryptBlock(c, pin.ISO4, block, tc.PAN); err == nil {
		t.Errorf("decodes under the transaction key too")
	}
}
