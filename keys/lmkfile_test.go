package keys

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// testLMKLines returns the built-in test LMK file as lines.
func testLMKLines() []string {
	return strings.Split(strings.TrimSuffix(testLMKFile, "\n"), "\n")
}

func TestParseLMKGoodFiles(t *testing.T) {
	lines := testLMKLines()
	reversed := []string{lines[0]}
	for i := len(lines) - 1; i >= 1; i-- {
		reversed = append(reversed, lines[i])
	}
	var crlfTabs strings.Builder
	for _, l := range lines {
		crlfTabs.WriteString("\t" + strings.ReplaceAll(strings.ToLower(l), " ", " \t ") + "   \r\n\r\n")
	}
	trailing := strings.ReplaceAll(testLMKFile, "\n", " # a comment\n")
	tests := map[string]string{
		"built-in":            testLMKFile,
		"reverse order":       strings.Join(reversed, "\n"),
		"no final newline":    strings.TrimSuffix(testLMKFile, "\n"),
		"lower case, tabs":    crlfTabs.String(),
		"trailing comments":   trailing,
		"comments and blanks": "\n\n# header\n   # indented comment\n" + testLMKFile + "\n# end\n\n",
	}
	want := TestLMK().CheckValue()
	for name, file := range tests {
		l, err := ParseLMK(strings.NewReader(file))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if have := l.CheckValue(); have != want {
			t.Errorf("%s: check value %X, want %X", name, have, want)
		}
		if *l.s.raw != *TestLMK().s.raw {
			t.Errorf("%s: pairs differ from the test LMK", name)
		}
	}
}

// replaceLine returns the test LMK file with line i (0-based, the comment is
// line 0) replaced by repl.
func replaceLine(i int, repl string) string {
	lines := testLMKLines()
	lines[i] = repl
	return strings.Join(lines, "\n") + "\n"
}

func TestParseLMKErrors(t *testing.T) {
	lines := testLMKLines()
	tests := []struct {
		name   string
		file   string
		line   int
		reason string
		parity bool
	}{
		{"missing pair", replaceLine(8, ""), 0, "missing pair 14-15", false},
		{"two missing", strings.Replace(replaceLine(8, ""), lines[9]+"\n", "", 1), 0, "missing pair 14-15, 16-17", false},
		{"empty file", "", 0, "missing pair 00-01, 02-03", false},
		{"only comments", "# nothing\n\n", 0, "missing pair 00-01", false},
		{"duplicate", testLMKFile + lines[3] + "\n", 22, "pair 04-05 already given on line 4", false},
		{"bad hex", replaceLine(5, "08-09 80808080808080G0 9191919191919191"), 6, "left half of pair 08-09 is not 16 hex digits", false},
		{"short half", replaceLine(5, "08-09 8080808080808080 91919191919191"), 6, "right half of pair 08-09 is not 16 hex digits", false},
		{"bad parity", replaceLine(10, "18-19 0101010101010101 0101010101010100"), 11, "right half of pair 18-19 is not odd parity", true},
		{"bad parity left", replaceLine(20, "38-39 0001010101010101 0101010101010101"), 21, "left half of pair 38-39 is not odd parity", true},
		{"two fields", replaceLine(2, "02-03 20202020202020203131313131313131"), 3, "want 3 fields", false},
		{"four fields", replaceLine(2, "02-03 2020202020202020 3131313131313131 00"), 3, "want 3 fields", false},
		{"odd label", replaceLine(2, "01-02 2020202020202020 3131313131313131"), 3, "pair is not one of", false},
		{"label past 39", replaceLine(2, "40-41 2020202020202020 3131313131313131"), 3, "pair is not one of", false},
		{"label gap", replaceLine(2, "02-04 2020202020202020 3131313131313131"), 3, "pair is not one of", false},
		{"label form", replaceLine(2, "0203 2020202020202020 3131313131313131"), 3, "pair is not one of", false},
		{"label sign", replaceLine(2, "+2-03 2020202020202020 3131313131313131"), 3, "pair is not one of", false},
		{"too large", testLMKFile + strings.Repeat("#", maxLMKFile), 0, "larger than 64 KiB", false},
	}
	for _, tc := range tests {
		_, err := ParseLMK(strings.NewReader(tc.file))
		var fe *LMKFileError
		if !errors.As(err, &fe) {
			t.Errorf("%s: err %v, want *LMKFileError", tc.name, err)
			continue
		}
		if fe.Line != tc.line || !strings.Contains(fe.Reason, tc.reason) {
			t.Errorf("%s: line %d reason %q, want line %d reason containing %q", tc.name, fe.Line, fe.Reason, tc.line, tc.reason)
		}
		if errors.Is(err, ErrParity) != tc.parity {
			t.Errorf("%s: errors.Is(err, ErrParity) = %v", tc.name, !tc.parity)
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "keys: LMK file") {
			t.Errorf("%s: message %q", tc.name, msg)
		}
		// No key material: no run of 4+ hex digits from the file.
		for _, half := range []string{"8080", "9191", "0101", "2020", "3131", "G0"} {
			if strings.Contains(msg, half) {
				t.Errorf("%s: message %q carries file content", tc.name, msg)
			}
		}
	}
}

func TestParseLMKReadError(t *testing.T) {
	fire := errors.New("disk on fire")
	r := io.MultiReader(strings.NewReader(testLMKFile[:100]), iotest.ErrReader(fire))
	_, err := ParseLMK(r)
	var fe *LMKFileError
	if !errors.As(err, &fe) || fe.Line != 0 || !errors.Is(err, fire) {
		t.Errorf("read error: %v", err)
	}
	if strings.Contains(err.Error(), "0101") || strings.Contains(err.Error(), "7902") {
		t.Errorf("read error %q carries file content", err)
	}
}
