package pin

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

var allFormats = []Format{ISO0, ISO1, ISO2, ISO3, ISO4, IBM3624}

// Test keys (ours): the JPOS ZPK and the ep2 AES key of the vectors.
const (
	tdesKeyHex  = "12345678123456781234567812345678"
	tdesKey2Hex = "0123456789ABCDEFFEDCBA9876543210"
	aesKeyHex   = "C1D0F8FB4958670DBA40AB1F3752EF0D"
	aesKey2Hex  = "00112233445566778899AABBCCDDEEFF"
	testPAN     = "4111111111111111"
	zeroAccount = "000000000000" // makes the format 0/3 account field all zero
)

// randomPIN returns a PIN of n digits from r.
func randomPIN(t *testing.T, r *rand.Rand, n int) PIN {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0' + byte(r.IntN(10))
	}
	return mustPIN(t, string(b))
}

// accountFor returns the account argument of format f for testPAN.
func accountFor(t *testing.T, f Format) string {
	if f == ISO4 {
		return testPAN
	}
	return accountArg(t, f, "", testPAN)
}

func TestRoundTripEveryFormatAndLength(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, f := range allFormats {
		key := keyFor(t, f, map[bool]string{true: aesKeyHex, false: tdesKeyHex}[f == ISO4])
		acct := accountFor(t, f)
		for n := MinLen; n <= MaxLen; n++ {
			p := randomPIN(t, r, n)
			clear, err := EncodeBlock(nil, f, p, acct, nil)
			if err != nil || len(clear) != f.BlockSize() {
				t.Fatalf("%v/%d: EncodeBlock: %d bytes, %v", f, n, len(clear), err)
			}
			if have, err := DecodeBlock(f, clear, acct); err != nil || !have.Equal(p) {
				t.Errorf("%v/%d: DecodeBlock(EncodeBlock): have %s, %v; want %s", f, n, digits(have), err, digits(p))
			}
			enc, err := EncryptBlock(nil, key, f, p, acct, nil)
			if err != nil || len(enc) != f.BlockSize() {
				t.Fatalf("%v/%d: EncryptBlock: %d bytes, %v", f, n, len(enc), err)
			}
			if have, err := DecryptBlock(key, f, enc, acct); err != nil || !have.Equal(p) {
				t.Errorf("%v/%d: DecryptBlock(EncryptBlock): have %s, %v; want %s", f, n, digits(have), err, digits(p))
			}
		}
	}
}

// The random fill of formats 1, 3 and 4 comes from the reader and stays in
// each format's alphabet, even for the extreme reader outputs.
func TestRandomFillUsesReaderAndAlphabet(t *testing.T) {
	p := mustPIN(t, "1234")
	for _, fill := range []byte{0x00, 0xFF, 0x5A} {
		for _, f := range []Format{ISO1, ISO3, ISO4} {
			acct := accountFor(t, f)
			if f == ISO3 {
				acct = zeroAccount
			}
			a, err := EncodeBlock(nil, f, p, acct, fixedRand(fill))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := DecodeBlock(f, a, acct); err != nil {
				t.Errorf("%v with fill byte %02X: %v", f, fill, err)
			}
			for i := 2 + 4; i < 16; i++ {
				var b [16]byte
				copy(b[:], a)
				d := nibble(&b, i)
				if f == ISO1 && d != fill>>(4*(1-uint(i%2)))&0xF {
					t.Errorf("ISO1 fill nibble %d: have %X, want the reader's", i, d)
				}
				if f == ISO3 && d < 0xA {
					t.Errorf("ISO3 fill nibble %d: have %X, want A-F", i, d)
				}
			}
			if f == ISO4 && !bytes.Equal(a[8:], bytes.Repeat([]byte{fill}, 8)) {
				t.Errorf("ISO4 random half: have %X, want the reader's %02X", a[8:], fill)
			}
		}
	}
	// From crypto/rand, two ISO 4 blocks of one PIN differ (8 random bytes).
	a, _ := EncodeBlock(nil, ISO4, p, testPAN, nil)
	b, _ := EncodeBlock(nil, ISO4, p, testPAN, nil)
	if bytes.Equal(a, b) {
		t.Error("two ISO4 encodings from crypto/rand are equal")
	}
}

// ISO 3 fill covers all of A-F over many encodings (catches a fill stuck on
// a subset of the alphabet).
func TestISO3FillCoversAF(t *testing.T) {
	seen := map[byte]bool{}
	p := mustPIN(t, "1234")
	for range 200 {
		b, err := EncodeBlock(nil, ISO3, p, zeroAccount, nil)
		if err != nil {
			t.Fatal(err)
		}
		var a [16]byte
		copy(a[:], b)
		for i := 6; i < 16; i++ {
			seen[nibble(&a, i)] = true
		}
	}
	for d := byte(0xA); d <= 0xF; d++ {
		if !seen[d] {
			t.Errorf("fill nibble %X never produced in 2000 draws", d)
		}
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestRandomSourceErrorIsReturned(t *testing.T) {
	dst := []byte("keep")
	out, err := EncodeBlock(dst, ISO3, mustPIN(t, "1234"), zeroAccount, errReader{})
	if !errors.Is(err, io.ErrUnexpectedEOF) || string(out) != "keep" {
		t.Errorf("have %q, %v; want dst unchanged and the reader's error", out, err)
	}
}

// hand-built clear blocks that break one rule each (ours, from the ISO
// 9564-1 rules). ISO0/ISO3 use the all-zero account so the clear block is
// the plain PIN field.
func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		name  string
		f     Format
		block string
		want  error
	}{
		{"ISO0 control 1", ISO0, "141234FFFFFFFFFF", ErrInvalidBlock},
		{"ISO1 control 0", ISO1, "041234FFFFFFFFFF", ErrInvalidBlock},
		{"ISO2 control 3", ISO2, "341234FFFFFFFFFF", ErrInvalidBlock},
		{"ISO3 control 0", ISO3, "041234AAAAAAAAAA", ErrInvalidBlock},
		{"ISO4 control 0", ISO4, "041234AAAAAAAAAA0000000000000000", ErrInvalidBlock},
		{"ISO0 fill E", ISO0, "041234FFFFFFFFFE", ErrInvalidBlock},
		{"ISO2 fill 0", ISO2, "2412340FFFFFFFFF", ErrInvalidBlock},
		{"ISO3 fill 9", ISO3, "341234AAAAAAAAA9", ErrInvalidBlock},
		{"ISO3 fill 0", ISO3, "3412340AAAAAAAAA", ErrInvalidBlock},
		{"ISO4 fill B", ISO4, "441234AAAAAAAAAB0000000000000000", ErrInvalidBlock},
		{"ISO4 fill F", ISO4, "441234FFFFFFFFFF0000000000000000", ErrInvalidBlock},
		{"IBM3624 pad E", IBM3624, "1234EEEEEEEEEEEE", ErrInvalidBlock},
		{"IBM3624 digit after pad", IBM3624, "1234FFFFFFFFFFF1", ErrInvalidBlock},
		{"ISO0 digit A", ISO0, "04123AFFFFFFFFFF", ErrPINDigits},
		{"ISO1 digit F", ISO1, "14123F0000000000", ErrPINDigits},
		{"ISO4 digit C", ISO4, "44C234AAAAAAAAAA0000000000000000", ErrPINDigits},
		{"ISO0 3 digits", ISO0, "03123FFFFFFFFFFF", ErrPINLength},
		{"ISO0 13 digits", ISO0, "0D1234567890123F", ErrPINLength},
		{"IBM3624 3 digits", IBM3624, "123FFFFFFFFFFFFF", ErrPINLength},
		{"IBM3624 13 digits", IBM3624, "1234567890123FFF", ErrPINLength},
		{"IBM3624 16 digits", IBM3624, "1234567890123456", ErrPINLength},
		{"IBM3624 all pad", IBM3624, "FFFFFFFFFFFFFFFF", ErrPINLength},
		{"ISO0 short", ISO0, "041234FFFFFFFF", ErrInvalidBlock},
		{"ISO0 long", ISO0, "041234FFFFFFFFFFFF", ErrInvalidBlock},
		{"ISO4 8 bytes", ISO4, "441234AAAAAAAAAA", ErrInvalidBlock},
		{"ISO0 empty", ISO0, "", ErrInvalidBlock},
	}
	for _, tt := range tests {
		acct := zeroAccount
		if tt.f == ISO4 {
			acct = testPAN
		}
		p, err := DecodeBlock(tt.f, unhex(t, tt.block), acct)
		if !errors.Is(err, tt.want) || p.Len() != 0 {
			t.Errorf("%s: have PIN of %d digits, %v; want %v", tt.name, p.Len(), err, tt.want)
		}
	}
}

// Every length nibble outside 4..C, in every ISO format, is ErrPINLength.
func TestDecodeRejectsLengthNibble(t *testing.T) {
	for _, f := range []Format{ISO0, ISO1, ISO2, ISO3, ISO4} {
		for _, l := range []byte{0, 1, 2, 3, 0xD, 0xE, 0xF} {
			b := make([]byte, f.BlockSize())
			b[0] = byte(f)<<4 | l
			for i := 1; i < 8; i++ {
				b[i] = 0x11
			}
			acct := zeroAccount
			if f == ISO4 {
				acct = testPAN
			}
			if _, err := DecodeBlock(f, b, acct); !errors.Is(err, ErrPINLength) {
				t.Errorf("%v length nibble %X: have %v, want ErrPINLength", f, l, err)
			}
		}
	}
}

// Every ISO 3 fill nibble 0-9 is refused, at every fill position.
func TestDecodeRejectsISO3FillOutOfRange(t *testing.T) {
	for pos := 6; pos < 16; pos++ {
		for d := byte(0); d <= 9; d++ {
			var b [16]byte
			copy(b[:], unhex(t, "341234AAAAAAAAAA"))
			b[pos/2] &^= 0xF << (4 * (1 - pos%2))
			b[pos/2] |= d << (4 * (1 - pos%2))
			if _, err := DecodeBlock(ISO3, b[:8], zeroAccount); !errors.Is(err, ErrInvalidBlock) {
				t.Errorf("fill nibble %X at %d: have %v, want ErrInvalidBlock", d, pos, err)
			}
		}
	}
}

// A block enciphered under one key or bound to one account does not decode
// under another (JPOS pinUnderZPK vector; wrong key and PAN are ours).
func TestWrongKeyOrAccountIsRejected(t *testing.T) {
	enc := unhex(t, "ABE38E29B58EA392")
	acct, _ := AccountFromPAN("1234567890123456")
	if _, err := DecryptBlock(newKey(t, tdesKeyHex, false), ISO0, enc, acct); err != nil {
		t.Fatalf("right key and account: %v", err)
	}
	if _, err := DecryptBlock(newKey(t, tdesKey2Hex, false), ISO0, enc, acct); !errors.Is(err, ErrInvalidBlock) && !errors.Is(err, ErrPINLength) {
		t.Errorf("wrong key: have %v, want a decode error", err)
	}
	wrongAcct, _ := AccountFromPAN("5555555551234567")
	if _, err := DecryptBlock(newKey(t, tdesKeyHex, false), ISO0, enc, wrongAcct); !errors.Is(err, ErrInvalidBlock) {
		t.Errorf("wrong account: have %v, want ErrInvalidBlock", err)
	}
	// ISO 4: the ep2 vector under the other AES key, and under another PAN.
	enc4 := unhex(t, "CC17F65586BFD0953010226C4FC5B3CA")
	if _, err := DecryptBlock(newKey(t, aesKey2Hex, true), ISO4, enc4, "432198765432109870"); err == nil {
		t.Error("ISO4 wrong key: no error")
	}
	if _, err := DecryptBlock(newKey(t, aesKeyHex, true), ISO4, enc4, "432198765432109871"); err == nil {
		t.Error("ISO4 wrong PAN: no error")
	}
}

func TestEncodeRejects(t *testing.T) {
	p := mustPIN(t, "1234")
	tdesKey := newKey(t, tdesKeyHex, false)
	aesKey := newKey(t, aesKeyHex, true)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"zero PIN", second(EncodeBlock(nil, ISO2, PIN{}, "", nil)), ErrPINLength},
		{"format 6", second(EncodeBlock(nil, Format(6), p, "", nil)), ErrFormat},
		{"format -1", second(EncodeBlock(nil, Format(-1), p, "", nil)), ErrFormat},
		{"ISO0 11-digit account", second(EncodeBlock(nil, ISO0, p, "12345678901", nil)), ErrAccount},
		{"ISO3 non-digit account", second(EncodeBlock(nil, ISO3, p, "12345678901A", nil)), ErrAccount},
		{"ISO0 given a PAN", second(EncodeBlock(nil, ISO0, p, testPAN, nil)), ErrAccount},
		{"ISO4 20-digit PAN", second(EncodeBlock(nil, ISO4, p, "12345678901234567890", nil)), ErrAccount},
		{"ISO4 empty PAN", second(EncodeBlock(nil, ISO4, p, "", nil)), ErrAccount},
		{"ISO4 with TDES", second(EncryptBlock(nil, tdesKey, ISO4, p, testPAN, nil)), ErrKey},
		{"ISO0 with AES", second(EncryptBlock(nil, aesKey, ISO0, p, zeroAccount, nil)), ErrKey},
		{"nil key", second(EncryptBlock(nil, nil, ISO2, p, "", nil)), ErrKey},
		{"decrypt nil key", second(DecryptBlock(nil, ISO2, make([]byte, 8), "")), ErrKey},
		{"decrypt ISO4 with TDES", second(DecryptBlock(tdesKey, ISO4, make([]byte, 16), testPAN)), ErrKey},
		{"decrypt short block", second(DecryptBlock(tdesKey, ISO2, make([]byte, 7), "")), ErrInvalidBlock},
		{"decrypt bad account", second(DecryptBlock(tdesKey, ISO0, make([]byte, 8), "1")), ErrAccount},
		{"decode format 9", second(DecodeBlock(Format(9), make([]byte, 8), "")), ErrFormat},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: have %v, want %v", tt.name, tt.err, tt.want)
		}
	}
	// ISO1, ISO2 and IBM3624 take no account: anything is accepted.
	for _, f := range []Format{ISO1, ISO2, IBM3624} {
		if _, err := EncodeBlock(nil, f, p, "not an account", nil); err != nil {
			t.Errorf("%v ignores the account: %v", f, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestEncodeAppendsAndKeepsDstOnError(t *testing.T) {
	p := mustPIN(t, "1234")
	dst := []byte("ab")
	out, err := EncodeBlock(dst, ISO2, p, "", nil)
	if err != nil || string(out[:2]) != "ab" || hexUpper(out[2:]) != "241234FFFFFFFFFF" {
		t.Errorf("append: have %X, %v", out, err)
	}
	out, err = EncodeBlock(dst, ISO0, p, "bad", nil)
	if err == nil || string(out) != "ab" {
		t.Errorf("on error: have %q, %v; want dst unchanged", out, err)
	}
}

// Translate between every pair of formats, for every PIN length; the result
// deciphers under the destination key to the same PIN.
func TestTranslateEveryPair(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	keys := map[Format][2]string{}
	for _, f := range allFormats {
		if f == ISO4 {
			keys[f] = [2]string{aesKeyHex, aesKey2Hex}
		} else {
			keys[f] = [2]string{tdesKeyHex, tdesKey2Hex}
		}
	}
	for _, from := range allFormats {
		for _, to := range allFormats {
			fromKey := keyFor(t, from, keys[from][0])
			toKey := keyFor(t, to, keys[to][1])
			account, _ := AccountFromPAN(testPAN)
			if from == ISO4 || to == ISO4 {
				account = testPAN
			}
			for n := MinLen; n <= MaxLen; n++ {
				p := randomPIN(t, r, n)
				src, err := EncryptBlock(nil, fromKey, from, p, accountFor(t, from), nil)
				if err != nil {
					t.Fatal(err)
				}
				out, length, err := Translate(nil, src, fromKey, from, toKey, to, account, nil)
				if err != nil || length != n || len(out) != to.BlockSize() {
					t.Fatalf("%v to %v, %d digits: have %d bytes, length %d, %v", from, to, n, len(out), length, err)
				}
				if have, err := DecryptBlock(toKey, to, out, accountFor(t, to)); err != nil || !have.Equal(p) {
					t.Errorf("%v to %v: have %s, %v; want %s", from, to, digits(have), err, digits(p))
				}
			}
		}
	}
}

func TestTranslateInPlaceAndAppend(t *testing.T) {
	k1, k2 := newKey(t, tdesKeyHex, false), newKey(t, tdesKey2Hex, false)
	acct := "123456789012"
	p := mustPIN(t, "987654")
	// In place: dst is src[:0].
	buf, _ := EncryptBlock(make([]byte, 0, 16), k1, ISO0, p, acct, nil)
	out, _, err := Translate(buf[:0], buf, k1, ISO0, k2, ISO3, acct, nil)
	if err != nil {
		t.Fatal(err)
	}
	if have, err := DecryptBlock(k2, ISO3, out, acct); err != nil || !have.Equal(p) {
		t.Errorf("in place: have %s, %v", digits(have), err)
	}
	// Appending keeps what dst held; ISO4 to ISO0 leaves nothing past the
	// 8-byte result.
	k4 := newKey(t, aesKeyHex, true)
	src, _ := EncryptBlock(nil, k4, ISO4, p, testPAN, nil)
	dst := make([]byte, 2, 64)
	copy(dst, "hd")
	out, _, err = Translate(dst, src, k4, ISO4, k1, ISO0, testPAN, nil)
	if err != nil || string(out[:2]) != "hd" || len(out) != 10 {
		t.Fatalf("append: have %X, %v", out, err)
	}
	if spare := out[10:18]; !bytes.Equal(spare, make([]byte, 8)) {
		t.Errorf("scratch past the result not cleared: %X", spare)
	}
	acctPAN, _ := AccountFromPAN(testPAN)
	if have, err := DecryptBlock(k1, ISO0, out[2:], acctPAN); err != nil || !have.Equal(p) {
		t.Errorf("ISO4 to ISO0: have %s, %v", digits(have), err)
	}
}

func TestTranslateRejects(t *testing.T) {
	k := newKey(t, tdesKeyHex, false)
	k4 := newKey(t, aesKeyHex, true)
	acct := "123456789012"
	src, _ := EncryptBlock(nil, k, ISO0, mustPIN(t, "1234"), acct, nil)
	bad := append([]byte(nil), src...)
	bad[0] ^= 0xFF
	tests := []struct {
		name string
		src  []byte
		from Format
		to   Format
		fk   any
		acct string
		want error
	}{
		{"short src", src[:7], ISO0, ISO0, nil, acct, ErrInvalidBlock},
		{"bad from format", src, Format(7), ISO0, nil, acct, ErrFormat},
		{"bad to format", src, ISO0, Format(-2), nil, acct, ErrFormat},
		{"bad account", src, ISO0, ISO0, nil, "12", ErrAccount},
		{"PAN where account expected", src, ISO0, ISO3, nil, testPAN, ErrAccount},
		{"ISO4 side needs a PAN", src, ISO0, ISO4, nil, "", ErrAccount},
		{"AES key for ISO0", src, ISO0, ISO0, k4, acct, ErrKey},
		{"garbage block", bad, ISO0, ISO0, nil, acct, ErrInvalidBlock},
	}
	for _, tt := range tests {
		from := k
		if tt.fk != nil {
			from = k4
		}
		to := k
		if tt.to == ISO4 {
			to = k4
		}
		dst := []byte("x")
		out, n, err := Translate(dst, tt.src, from, tt.from, to, tt.to, tt.acct, nil)
		if !errors.Is(err, tt.want) && !(tt.name == "garbage block" && errors.Is(err, ErrPINLength)) {
			t.Errorf("%s: have %v, want %v", tt.name, err, tt.want)
		}
		if string(out) != "x" || n != 0 {
			t.Errorf("%s: have %q, %d; want dst unchanged and length 0", tt.name, out, n)
		}
	}
}

// Error messages start with "pin: " and never carry the PIN, PAN, account
// or block that caused them.
func TestErrorsCarryNoValues(t *testing.T) {
	const (
		pan   = "5432101234567891"
		acct  = "987654321098"
		digs  = "98765"
		block = "0598765FFFFFFFFE"
	)
	k := newKey(t, tdesKeyHex, false)
	var errs []error
	_, err := DecodeBlock(ISO2, unhex(t, block), "")
	errs = append(errs, err)
	_, err = DecryptBlock(k, ISO0, unhex(t, block), acct)
	errs = append(errs, err)
	_, err = ParsePIN(digs + "12345678")
	errs = append(errs, err)
	_, err = ParsePIN(digs + "x")
	errs = append(errs, err)
	_, err = AccountFromPAN(pan + "1234")
	errs = append(errs, err)
	_, err = EncodeBlock(nil, ISO0, mustPIN(t, digs), pan, nil)
	errs = append(errs, err)
	_, err = VerifyPVV(k, acct, 1, mustPIN(t, digs), "98x6")
	errs = append(errs, err)
	_, err = VerifyOffset(k, "ZZ", DecTable{}, 4, "9876", mustPIN(t, digs))
	errs = append(errs, err)
	_, err = ExpandValidationData(acct, acct)
	errs = append(errs, err)
	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "pin: ") {
			t.Errorf("case %d: %q does not start with \"pin: \"", i, msg)
		}
		for _, secret := range []string{pan, acct, digs, block, "98765", "0598"} {
			if strings.Contains(msg, secret) {
				t.Errorf("case %d: %q carries a value", i, msg)
			}
		}
	}
}
