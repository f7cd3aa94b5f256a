package keys

import (
	"bytes"
	"encoding/hex"
	"io"
	"iter"
	"strconv"
	"strings"
)

// maxLMKFile bounds what ParseLMK reads; a real file is under 1 KiB.
const maxLMKFile = 64 << 10

// ParseLMK reads a variant LMK from r in the file format of
// `payhsm-gw sim --lmk FILE` (ours): one line per pair,
//
//	PP-PP LEFT RIGHT
//
// where PP-PP is the pair ("00-01" .. "38-39") and LEFT and RIGHT are its
// halves as 16 hex digits each, either case, separated by spaces or tabs.
// Blank lines are allowed, and "#" starts a comment that runs to the end of
// the line. Every one of the 20 pairs must appear exactly once and every key
// byte must be odd parity. The file may be at most 64 KiB.
//
// Errors are *LMKFileError values naming the line (or, for a missing pair,
// the pair); a parity error also matches ErrParity. They never contain key
// material or the text of a line. ParseLMK clears its copies of the key
// bytes before it returns.
func ParseLMK(r io.Reader) (*LMK, error) {
	buf, err := readLMKFile(r)
	if err != nil {
		return nil, err
	}
	defer clear(buf)
	var (
		pairs [NumPairs][16]byte
		seen  [NumPairs]int // line of each pair, 0 = not yet seen
	)
	defer clear(pairs[:])
	for line, f := range lmkLines(buf) {
		if len(f) != 3 {
			return nil, &LMKFileError{Line: line, Reason: "want 3 fields: pair, left half, right half"}
		}
		i, ok := parsePairLabel(f[0])
		if !ok {
			return nil, &LMKFileError{Line: line, Reason: "pair is not one of 00-01, 02-03 .. 38-39"}
		}
		if seen[i] != 0 {
			return nil, &LMKFileError{Line: line, Reason: "pair " + pairLabel(i) + " already given on line " + strconv.Itoa(seen[i])}
		}
		seen[i] = line
		for h, half := range [2]string{"left", "right"} {
			dst := pairs[i][8*h : 8*h+8]
			if len(f[1+h]) != 16 {
				return nil, &LMKFileError{Line: line, Reason: half + " half of pair " + pairLabel(i) + " is not 16 hex digits"}
			}
			if _, err := hex.Decode(dst, f[1+h]); err != nil {
				return nil, &LMKFileError{Line: line, Reason: half + " half of pair " + pairLabel(i) + " is not 16 hex digits"}
			}
			if !CheckParity(dst) {
				return nil, &LMKFileError{Line: line, Reason: half + " half of pair " + pairLabel(i) + " is not odd parity", Err: ErrParity}
			}
		}
	}
	var missing []string
	for i, l := range seen {
		if l == 0 {
			missing = append(missing, pairLabel(i))
		}
	}
	if len(missing) > 0 {
		return nil, &LMKFileError{Reason: "missing pair " + strings.Join(missing, ", ")}
	}
	return NewLMK(pairs)
}

// readLMKFile reads an LMK file whole: at most 64 KiB. The caller clears
// what it returns; on an error nothing of the file is kept.
func readLMKFile(r io.Reader) ([]byte, error) {
	buf, err := io.ReadAll(io.LimitReader(r, maxLMKFile+1))
	if err != nil {
		clear(buf)
		return nil, &LMKFileError{Reason: "read failed: " + err.Error(), Err: err}
	}
	if len(buf) > maxLMKFile {
		clear(buf)
		return nil, &LMKFileError{Reason: "larger than 64 KiB"}
	}
	return buf, nil
}

// lmkLines yields the number (from 1) and the fields of each line of an
// LMK file that has any once its "#" comment is cut off.
func lmkLines(buf []byte) iter.Seq2[int, [][]byte] {
	return func(yield func(int, [][]byte) bool) {
		rest := buf
		for line := 1; len(rest) > 0; line++ {
			var text []byte
			text, rest, _ = bytes.Cut(rest, []byte{'\n'})
			text, _, _ = bytes.Cut(text, []byte{'#'})
			if f := bytes.Fields(text); len(f) > 0 && !yield(line, f) {
				return
			}
		}
	}
}

// parsePairLabel parses "NN-MM" with NN even, MM = NN+1, NN <= 38 and returns
// the pair index NN/2.
func parsePairLabel(b []byte) (int, bool) {
	if len(b) != 5 || b[2] != '-' {
		return 0, false
	}
	for _, j := range [4]int{0, 1, 3, 4} {
		if b[j] < '0' || b[j] > '9' {
			return 0, false
		}
	}
	lo := int(b[0]-'0')*10 + int(b[1]-'0')
	hi := int(b[3]-'0')*10 + int(b[4]-'0')
	if lo%2 != 0 || hi != lo+1 || lo > 38 {
		return 0, false
	}
	return lo / 2, true
}

// ParseAnyLMK reads an LMK of either kind from r, the file of
// `payhsm-gw sim --lmk FILE` (ours). A file whose first line with content
// starts with the word "key-block" holds a key-block LMK on that one line:
//
//	key-block ALG KEY
//
// where ALG is TDES (KEY 32 or 48 hex digits, odd parity) or AES (KEY 64
// hex digits) and KEY may be split into groups by spaces; "#" comments and
// blank lines are allowed around it, and nothing else. Any other file is a
// variant LMK in the format of ParseLMK. The file may be at most 64 KiB.
//
// Errors are *LMKFileError values naming the line, never key material.
func ParseAnyLMK(r io.Reader) (AnyLMK, error) {
	buf, err := readLMKFile(r)
	if err != nil {
		return AnyLMK{}, err
	}
	defer clear(buf)
	var (
		kb     *KeyBlockLMK
		kbLine int
	)
	for line, f := range lmkLines(buf) {
		isKB := strings.EqualFold(string(f[0]), "key-block")
		switch {
		case kbLine == 0 && !isKB:
			l, err := ParseLMK(bytes.NewReader(buf))
			if err != nil {
				return AnyLMK{}, err
			}
			return AnyLMK{Variant: l}, nil
		case kbLine != 0:
			return AnyLMK{}, &LMKFileError{Line: line, Reason: "a key-block LMK file holds one key-block line only (the first is on line " + strconv.Itoa(kbLine) + ")"}
		}
		kbLine = line
		if kb, err = parseKeyBlockLine(f, line); err != nil {
			return AnyLMK{}, err
		}
	}
	if kb == nil {
		return AnyLMK{}, &LMKFileError{Reason: "no LMK in the file"}
	}
	return AnyLMK{KeyBlock: kb}, nil
}
