package emv

import (
	"errors"

	"github.com/payhsm/payhsm-gw/mac"
)

// SessionMethod is how a profile derives the application cryptogram key
// from the ICC master key.
type SessionMethod int

const (
	// SessionNone uses the ICC master key itself (Visa CVN 10).
	SessionNone SessionMethod = iota
	// SessionCommon is the EMV common session key with R = ATC || 00..00
	// (EMV 4.3 Book 2 A1.3.1; CommonSessionKey).
	SessionCommon
	// SessionMastercard is the Mastercard SKD with R = ATC || 0000 || UN
	// (MastercardSessionKey).
	SessionMastercard
)

// String names the method.
func (m SessionMethod) String() string {
	switch m {
	case SessionNone:
		return "none"
	case SessionCommon:
		return "EMV common session key"
	case SessionMastercard:
		return "Mastercard SKD"
	}
	return "SessionMethod(?)"
}

// ARPCKey says which key a profile's ARPC is computed with.
type ARPCKey int

const (
	// ARPCCardKey is the ICC master key (Visa CVN 10, Mastercard CVN 16/17).
	ARPCCardKey ARPCKey = iota
	// ARPCSessionKey is the application cryptogram session key (Visa CVN
	// 18/22, Mastercard CVN 20/21).
	ARPCSessionKey
)

// String names the key.
func (k ARPCKey) String() string {
	switch k {
	case ARPCCardKey:
		return "ICC master key"
	case ARPCSessionKey:
		return "session key"
	}
	return "ARPCKey(?)"
}

// Profile fixes how one card scheme version (cryptogram version number,
// CVN) computes its cryptograms, after payment-crypto.md §5.4 (transcribed from PYEMV
// cvn.py), and which payShield host command carries it (hostcmd.md, KQ/KW).
// The transaction data layout itself is the caller's: the profile only
// documents what the card appends after the terminal data (CardData).
type Profile struct {
	// Name is the REST profile name (rest.md), e.g. "visa-cvn18".
	Name string
	// Brand is "visa" or "mastercard".
	Brand string
	// CVN is the cryptogram version number.
	CVN int
	// Derivation is the ICC master key derivation option (A or B).
	Derivation Option
	// Session is how the cryptogram key is derived from the ICC master key.
	Session SessionMethod
	// Padding is the ISO/IEC 9797-1 padding of the cryptogram data.
	Padding mac.Padding
	// ARPCMethod is 1 (8-byte ARPC, ARC) or 2 (4-byte ARPC, CSU).
	ARPCMethod int
	// ARPCKey is the key the ARPC is computed with.
	ARPCKey ARPCKey
	// CardData describes the card data that follows the terminal data.
	CardData string
	// Command is the payShield host command that verifies this profile:
	// "KQ" or "KW" (hostcmd.md, EMV cryptograms).
	Command string
	// CommandScheme is the command's scheme digit: KQ '0' (Visa CVN 10, card
	// key), KQ '1' (Mastercard SKD, ARPC method 1 with the card key), KW '2'
	// (common session key, option A) or KW '3' (the same with option B).
	CommandScheme byte
}

// profiles is the fixed table; it is never modified (Profiles returns a copy).
var profiles = [...]Profile{
	{Name: "visa-cvn10", Brand: "visa", CVN: 10, Derivation: OptionA, Session: SessionNone,
		Padding: mac.PaddingMethod1, ARPCMethod: 1, ARPCKey: ARPCCardKey,
		CardData: "CVR, 4 bytes (IAD bytes 4-7)", Command: "KQ", CommandScheme: '0'},
	{Name: "visa-cvn18", Brand: "visa", CVN: 18, Derivation: OptionB, Session: SessionCommon,
		Padding: mac.PaddingMethod2, ARPCMethod: 2, ARPCKey: ARPCSessionKey,
		CardData: "issuer application data, the whole 9F10 value (its first byte is its own length)", Command: "KW", CommandScheme: '3'},
	{Name: "visa-cvn22", Brand: "visa", CVN: 22, Derivation: OptionB, Session: SessionCommon,
		Padding: mac.PaddingMethod2, ARPCMethod: 2, ARPCKey: ARPCSessionKey,
		CardData: "issuer application data, the whole 9F10 value (its first byte is its own length)", Command: "KW", CommandScheme: '3'},
	{Name: "mc-cvn16", Brand: "mastercard", CVN: 16, Derivation: OptionA, Session: SessionMastercard,
		Padding: mac.PaddingMethod2, ARPCMethod: 1, ARPCKey: ARPCCardKey,
		CardData: "CVR, 6 bytes", Command: "KQ", CommandScheme: '1'},
	{Name: "mc-cvn17", Brand: "mastercard", CVN: 17, Derivation: OptionA, Session: SessionMastercard,
		Padding: mac.PaddingMethod2, ARPCMethod: 1, ARPCKey: ARPCCardKey,
		CardData: "CVR, 6 bytes, then the counters, 8 bytes", Command: "KQ", CommandScheme: '1'},
	{Name: "mc-cvn20", Brand: "mastercard", CVN: 20, Derivation: OptionA, Session: SessionCommon,
		Padding: mac.PaddingMethod2, ARPCMethod: 1, ARPCKey: ARPCSessionKey,
		CardData: "CVR, 6 bytes", Command: "KW", CommandScheme: '2'},
	{Name: "mc-cvn21", Brand: "mastercard", CVN: 21, Derivation: OptionA, Session: SessionCommon,
		Padding: mac.PaddingMethod2, ARPCMethod: 1, ARPCKey: ARPCSessionKey,
		CardData: "CVR, 6 bytes, then the counters, 8 bytes", Command: "KW", CommandScheme: '2'},
}

// Profiles returns the supported profiles in a fresh slice, Visa first.
func Profiles() []Profile {
	return append([]Profile(nil), profiles[:]...)
}

// LookupProfile returns the profile with the given REST name (rest.md:
// "visa-cvn10", "visa-cvn18", "visa-cvn22", "mc-cvn16", "mc-cvn17",
// "mc-cvn20", "mc-cvn21").
func LookupProfile(name string) (Profile, bool) {
	for _, p := range profiles {
		if p.Name == name {
			return p, true
		}
	}
	return Profile{}, false
}

// CommandMode returns the mode digit of the profile's host command for a
// request that verifies the ARQC (verify) and/or asks for an ARPC (arpc)
// (hostcmd.md): KQ '0' verify, '1' verify and ARPC, '2' ARPC only; KW '0'
// verify, '1'/'2' the same with ARPC method 1, '3'/'4' with method 2.
func (p Profile) CommandMode(verify, arpc bool) (byte, error) {
	switch {
	case verify && !arpc:
		return '0', nil
	case !verify && !arpc:
		return 0, errors.New("emv: nothing to do: neither verify nor arpc")
	}
	var m byte = '1' // verify and ARPC
	if !verify {
		m = '2'
	}
	if p.Command == "KW" && p.ARPCMethod == 2 {
		m += 2
	}
	return m, nil
}
