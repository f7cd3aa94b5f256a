package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRunDispatch(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{nil, exitUsage, "", "Usage: payhsm-gw"},
		{[]string{"help"}, exitOK, "serve", ""},
		{[]string{"version"}, exitOK, "payhsm-gw ", ""},
		{[]string{"version", "x"}, exitUsage, "", "usage"},
		{[]string{"frobnicate"}, exitUsage, "", `unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(context.Background(), tt.args, &out, &errb)
		if code != tt.code || !strings.Contains(out.String(), tt.inStdout) || !strings.Contains(errb.String(), tt.inStderr) {
			t.Errorf("run(%q): have code %d stdout %q stderr %q; want code %d, stdout with %q, stderr with %q",
				tt.args, code, out.String(), errb.String(), tt.code, tt.inStdout, tt.inStderr)
		}
	}
}

func TestHelpListsEveryContractCommand(t *testing.T) {
	var out bytes.Buffer
	run(context.Background(), []string{"help"}, &out, &out)
	for _, name := range []string{"serve", "sim", "conform", "load", "version"} {
		if !strings.Contains(out.String(), "  "+name+" ") {
			t.Errorf("help does not list %q:\n%s", name, out.String())
		}
	}
}
