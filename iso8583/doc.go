// Package iso8583 packs and unpacks ISO 8583 financial messages: an MTI,
// the primary, secondary and tertiary bitmaps, and data elements (fields)
// laid out as a Spec says. Specs are data, not code: each field is declared
// with its type (n, a, an, ans, b, z), its length, its length prefix (fixed,
// L, LL, LLL, LLLL) and the encodings of its length and value (ASCII, BCD,
// binary, or binary written as hex). Two specs ship with the package (see
// Lookup), and any other can be loaded from a JSON file (ParseSpec).
//
// Pack and Unpack are byte-exact: a message Unpack accepts packs back to
// the same bytes, because values keep their padding and a field never
// changes form between the two (hex letters of bitmaps and hex fields are
// the one exception: Unpack accepts either case, Pack writes upper case).
// A field marked tlv holds BER-TLV data objects (ISO 8583 field 55, ICC
// data), checked with emv.ParseTLV, which keeps unknown tags and their order.
//
// Errors name the field ("field 52: ...") and at most lengths and offsets,
// never a value: messages carry PANs, track data and PIN blocks. Unpack
// never panics on any input (FuzzUnpack).
package iso8583
