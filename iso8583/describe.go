package iso8583

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/payhsm/payhsm-gw/emv"
	"github.com/payhsm/payhsm-gw/internal/redact"
)

// maskedField reports the sensitive fields of ISO 8583:1987 that Describe
// masks: the PANs (2, 34), track data (35, 36, 45) and PIN data (52).
func maskedField(n int) bool {
	switch n {
	case 2, 34, 35, 36, 45, 52:
		return true
	}
	return false
}

// maskedTag reports the sensitive EMV tags inside a tlv field: PAN 5A,
// track 2 equivalent 57, the application cryptogram 9F26, track 1
// discretionary data 9F1F and Mastercard's track 2 data 9F6B.
func maskedTag(tag uint32) bool {
	switch tag {
	case 0x5A, 0x57, 0x9F26, 0x9F1F, 0x9F6B:
		return true
	}
	return false
}

// Describe writes a readable listing of m as spec s declares it: one line a
// field, tlv fields broken into their data objects. Unless reveal, PANs
// show their first six and last four digits, track data its PAN so and
// nothing else, and PIN data, cryptograms and other sensitive tags are
// starred out.
func Describe(w io.Writer, s *Spec, m *Message, reveal bool) error {
	bw := &errWriter{w: w}
	bw.printf("MTI  %s\n", m.MTI)
	for _, n := range m.Numbers() {
		f := s.Fields[n]
		v := m.fields[n]
		desc, format := "", ""
		if f != nil {
			desc, format = f.Description, f.Format()
		}
		bw.printf("F%-3d %-24s %s: ", n, format, desc)
		switch {
		case f != nil && f.TLV:
			bw.printf("%d bytes\n", len(v))
			tlvs, err := emv.ParseTLV(v)
			if err != nil {
				bw.printf("     (not BER-TLV)\n")
				continue
			}
			describeTLV(bw, tlvs, "     ", reveal)
			continue
		case reveal || !maskedField(n):
			if f != nil && f.Type == TypeBinary {
				bw.printf("%X\n", v)
			} else {
				bw.printf("%s\n", v)
			}
		case n == 2 || n == 34:
			bw.printf("%s\n", redact.MaskPAN(string(v)))
		case n == 35:
			if t, err := ParseTrack2(v); err == nil {
				bw.printf("%s%c%s\n", redact.MaskPAN(t.PAN), t.Separator, stars(len(v)-len(t.PAN)-1))
			} else {
				bw.printf("%s\n", stars(len(v)))
			}
		default:
			bw.printf("%s (%d bytes)\n", stars(8), len(v))
		}
	}
	return bw.err
}

func describeTLV(bw *errWriter, tlvs []emv.TLV, indent string, reveal bool) {
	for _, t := range tlvs {
		tag := fmt.Sprintf("%X", t.Tag)
		if t.Children != nil {
			bw.printf("%s%s (%d bytes)\n", indent, tag, len(t.Value))
			describeTLV(bw, t.Children, indent+"  ", reveal)
			continue
		}
		val := strings.ToUpper(hex.EncodeToString(t.Value))
		if !reveal && maskedTag(t.Tag) {
			if t.Tag == 0x5A {
				val = redact.MaskPAN(strings.TrimRight(val, "F"))
			} else {
				val = stars(len(val))
			}
		}
		bw.printf("%s%s %s\n", indent, tag, val)
	}
}

func stars(n int) string { return strings.Repeat("*", max(n, 0)) }

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
