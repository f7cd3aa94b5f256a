package iso8583

// Names of the specs that ship with the package (Lookup).
const (
	// ISO87ASCII is ISO 8583:1987 with every field in ASCII, the bitmaps as
	// hex characters, PIN data and MACs as 16 hex characters and field 55
	// as raw BER-TLV behind an ASCII LLL prefix (the layout of
	// moov-io/iso8583's specs.Spec87ASCII).
	ISO87ASCII = "iso87ascii"
	// ISO87Binary is ISO 8583:1987 in the binary/BCD form: MTI and numeric
	// fields in BCD, binary bitmaps, BCD length prefixes (LL one byte, LLL
	// two), track 2 as BCD, b fields as raw bytes, text fields in ASCII
	// (ours: networks differ; load a JSON spec for a given one).
	ISO87Binary = "iso87binary"
)

// Names returns the names of the shipped specs.
func Names() []string { return []string{ISO87ASCII, ISO87Binary} }

// Lookup returns a fresh copy of a shipped spec by name.
func Lookup(name string) (*Spec, bool) {
	switch name {
	case ISO87ASCII:
		return iso87(ISO87ASCII, false), true
	case ISO87Binary:
		return iso87(ISO87Binary, true), true
	}
	return nil, false
}

// iso87Field is one data element of ISO 8583:1987 (field numbers, types,
// lengths and length forms as in the standard's data element directory;
// the x+n amounts are declared an).
type iso87Field struct {
	n      int
	typ    Type
	length int
	prefix Prefix
	desc   string
}

var iso87Fields = [...]iso87Field{
	{2, TypeNumeric, 19, LL, "Primary account number (PAN)"},
	{3, TypeNumeric, 6, Fixed, "Processing code"},
	{4, TypeNumeric, 12, Fixed, "Amount, transaction"},
	{5, TypeNumeric, 12, Fixed, "Amount, settlement"},
	{6, TypeNumeric, 12, Fixed, "Amount, cardholder billing"},
	{7, TypeNumeric, 10, Fixed, "Transmission date and time"},
	{8, TypeNumeric, 8, Fixed, "Amount, cardholder billing fee"},
	{9, TypeNumeric, 8, Fixed, "Conversion rate, settlement"},
	{10, TypeNumeric, 8, Fixed, "Conversion rate, cardholder billing"},
	{11, TypeNumeric, 6, Fixed, "System trace audit number (STAN)"},
	{12, TypeNumeric, 6, Fixed, "Local transaction time (hhmmss)"},
	{13, TypeNumeric, 4, Fixed, "Local transaction date (MMDD)"},
	{14, TypeNumeric, 4, Fixed, "Expiration date (YYMM)"},
	{15, TypeNumeric, 4, Fixed, "Settlement date"},
	{16, TypeNumeric, 4, Fixed, "Currency conversion date"},
	{17, TypeNumeric, 4, Fixed, "Capture date"},
	{18, TypeNumeric, 4, Fixed, "Merchant type"},
	{19, TypeNumeric, 3, Fixed, "Acquiring institution country code"},
	{20, TypeNumeric, 3, Fixed, "PAN extended, country code"},
	{21, TypeNumeric, 3, Fixed, "Forwarding institution country code"},
	{22, TypeNumeric, 3, Fixed, "Point of service entry mode"},
	{23, TypeNumeric, 3, Fixed, "Application PAN sequence number"},
	{24, TypeNumeric, 3, Fixed, "Function code (ISO 8583:1993), or network international identifier (NII)"},
	{25, TypeNumeric, 2, Fixed, "Point of service condition code"},
	{26, TypeNumeric, 2, Fixed, "Point of service capture code"},
	{27, TypeNumeric, 1, Fixed, "Authorizing identification response length"},
	{28, TypeAlphaNumeric, 9, Fixed, "Amount, transaction fee (x+n 8)"},
	{29, TypeAlphaNumeric, 9, Fixed, "Amount, settlement fee (x+n 8)"},
	{30, TypeAlphaNumeric, 9, Fixed, "Amount, transaction processing fee (x+n 8)"},
	{31, TypeAlphaNumeric, 9, Fixed, "Amount, settlement processing fee (x+n 8)"},
	{32, TypeNumeric, 11, LL, "Acquiring institution identification code"},
	{33, TypeNumeric, 11, LL, "Forwarding institution identification code"},
	{34, TypeText, 28, LL, "Primary account number, extended"},
	{35, TypeTrack, 37, LL, "Track 2 data"},
	{36, TypeText, 104, LLL, "Track 3 data"},
	{37, TypeAlphaNumeric, 12, Fixed, "Retrieval reference number"},
	{38, TypeAlphaNumeric, 6, Fixed, "Authorization identification response"},
	{39, TypeAlphaNumeric, 2, Fixed, "Response code"},
	{40, TypeAlphaNumeric, 3, Fixed, "Service restriction code"},
	{41, TypeText, 8, Fixed, "Card acceptor terminal identification"},
	{42, TypeText, 15, Fixed, "Card acceptor identification code"},
	{43, TypeText, 40, Fixed, "Card acceptor name/location"},
	{44, TypeText, 25, LL, "Additional response data"},
	{45, TypeText, 76, LL, "Track 1 data"},
	{46, TypeText, 999, LLL, "Additional data (ISO)"},
	{47, TypeText, 999, LLL, "Additional data (national)"},
	{48, TypeText, 999, LLL, "Additional data (private)"},
	{49, TypeAlphaNumeric, 3, Fixed, "Currency code, transaction"},
	{50, TypeAlphaNumeric, 3, Fixed, "Currency code, settlement"},
	{51, TypeAlphaNumeric, 3, Fixed, "Currency code, cardholder billing"},
	{52, TypeBinary, 8, Fixed, "Personal identification number (PIN) data"},
	{53, TypeNumeric, 16, Fixed, "Security related control information"},
	{54, TypeText, 120, LLL, "Additional amounts"},
	{55, TypeBinary, 999, LLL, "ICC data (EMV, BER-TLV)"},
	{56, TypeText, 999, LLL, "Reserved (ISO)"},
	{57, TypeText, 999, LLL, "Reserved (national)"},
	{58, TypeText, 999, LLL, "Reserved (national)"},
	{59, TypeText, 999, LLL, "Reserved (national)"},
	{60, TypeText, 999, LLL, "Reserved (national)"},
	{61, TypeText, 999, LLL, "Reserved (private)"},
	{62, TypeText, 999, LLL, "Reserved (private)"},
	{63, TypeText, 999, LLL, "Reserved (private)"},
	{64, TypeBinary, 8, Fixed, "Message authentication code (MAC)"},
	{66, TypeNumeric, 1, Fixed, "Settlement code"},
	{67, TypeNumeric, 2, Fixed, "Extended payment code"},
	{68, TypeNumeric, 3, Fixed, "Receiving institution country code"},
	{69, TypeNumeric, 3, Fixed, "Settlement institution country code"},
	{70, TypeNumeric, 3, Fixed, "Network management information code"},
	{71, TypeNumeric, 4, Fixed, "Message number"},
	{72, TypeNumeric, 4, Fixed, "Message number, last"},
	{73, TypeNumeric, 6, Fixed, "Date, action (YYMMDD)"},
	{74, TypeNumeric, 10, Fixed, "Credits, number"},
	{75, TypeNumeric, 10, Fixed, "Credits, reversal number"},
	{76, TypeNumeric, 10, Fixed, "Debits, number"},
	{77, TypeNumeric, 10, Fixed, "Debits, reversal number"},
	{78, TypeNumeric, 10, Fixed, "Transfer, number"},
	{79, TypeNumeric, 10, Fixed, "Transfer, reversal number"},
	{80, TypeNumeric, 10, Fixed, "Inquiries, number"},
	{81, TypeNumeric, 10, Fixed, "Authorizations, number"},
	{82, TypeNumeric, 12, Fixed, "Credits, processing fee amount"},
	{83, TypeNumeric, 12, Fixed, "Credits, transaction fee amount"},
	{84, TypeNumeric, 12, Fixed, "Debits, processing fee amount"},
	{85, TypeNumeric, 12, Fixed, "Debits, transaction fee amount"},
	{86, TypeNumeric, 16, Fixed, "Credits, amount"},
	{87, TypeNumeric, 16, Fixed, "Credits, reversal amount"},
	{88, TypeNumeric, 16, Fixed, "Debits, amount"},
	{89, TypeNumeric, 16, Fixed, "Debits, reversal amount"},
	{90, TypeNumeric, 42, Fixed, "Original data elements"},
	{91, TypeAlphaNumeric, 1, Fixed, "File update code"},
	{92, TypeAlphaNumeric, 2, Fixed, "File security code"},
	{93, TypeAlphaNumeric, 5, Fixed, "Response indicator"},
	{94, TypeAlphaNumeric, 7, Fixed, "Service indicator"},
	{95, TypeAlphaNumeric, 42, Fixed, "Replacement amounts"},
	{96, TypeBinary, 8, Fixed, "Message security code"},
	{97, TypeAlphaNumeric, 17, Fixed, "Amount, net settlement (x+n 16)"},
	{98, TypeText, 25, Fixed, "Payee"},
	{99, TypeNumeric, 11, LL, "Settlement institution identification code"},
	{100, TypeNumeric, 11, LL, "Receiving institution identification code"},
	{101, TypeText, 17, LL, "File name"},
	{102, TypeText, 28, LL, "Account identification 1"},
	{103, TypeText, 28, LL, "Account identification 2"},
	{104, TypeText, 100, LLL, "Transaction description"},
	{105, TypeText, 999, LLL, "Reserved (ISO)"},
	{106, TypeText, 999, LLL, "Reserved (ISO)"},
	{107, TypeText, 999, LLL, "Reserved (ISO)"},
	{108, TypeText, 999, LLL, "Reserved (ISO)"},
	{109, TypeText, 999, LLL, "Reserved (ISO)"},
	{110, TypeText, 999, LLL, "Reserved (ISO)"},
	{111, TypeText, 999, LLL, "Reserved (ISO)"},
	{112, TypeText, 999, LLL, "Reserved (national)"},
	{113, TypeText, 999, LLL, "Reserved (national)"},
	{114, TypeText, 999, LLL, "Reserved (national)"},
	{115, TypeText, 999, LLL, "Reserved (national)"},
	{116, TypeText, 999, LLL, "Reserved (national)"},
	{117, TypeText, 999, LLL, "Reserved (national)"},
	{118, TypeText, 999, LLL, "Reserved (national)"},
	{119, TypeText, 999, LLL, "Reserved (national)"},
	{120, TypeText, 999, LLL, "Reserved (private)"},
	{121, TypeText, 999, LLL, "Reserved (private)"},
	{122, TypeText, 999, LLL, "Reserved (private)"},
	{123, TypeText, 999, LLL, "Reserved (private)"},
	{124, TypeText, 999, LLL, "Reserved (private)"},
	{125, TypeText, 999, LLL, "Reserved (private)"},
	{126, TypeText, 999, LLL, "Reserved (private)"},
	{127, TypeText, 999, LLL, "Reserved (private)"},
	{128, TypeBinary, 8, Fixed, "Message authentication code (MAC)"},
}

// iso87 builds the ISO 8583:1987 spec in its ASCII or binary form.
func iso87(name string, binary bool) *Spec {
	s := &Spec{Name: name, MTIEncoding: EncodingASCII, BitmapEncoding: EncodingHex,
		Fields: make(map[int]*Field, len(iso87Fields))}
	s.Description = "ISO 8583:1987, ASCII (moov-io/iso8583 Spec87ASCII layout)"
	if binary {
		s.MTIEncoding, s.BitmapEncoding = EncodingBCD, EncodingBinary
		s.Description = "ISO 8583:1987, binary bitmaps and BCD numerics"
	}
	for _, r := range iso87Fields {
		f := &Field{Description: r.desc, Type: r.typ, Length: r.length, Encoding: EncodingASCII}
		if r.prefix != Fixed {
			f.Prefix, f.LengthEncoding = r.prefix, EncodingASCII
			if binary {
				f.LengthEncoding = EncodingBCD
			}
		}
		switch r.typ {
		case TypeNumeric:
			if f.Prefix == "" {
				f.PadLeft = "0"
			}
			if binary {
				f.Encoding = EncodingBCD
			}
		case TypeTrack:
			if binary {
				f.Encoding = EncodingBCD
			}
		case TypeBinary:
			f.Encoding = EncodingBinary
			if !binary && r.n != 55 {
				f.Encoding = EncodingHex
			}
			f.TLV = r.n == 55
		}
		s.Fields[r.n] = f
	}
	return s
}
