package kbvec

import (
	"encoding/json"
	"testing"
)

// The JSON names are those of the vector files.
func TestKeyBlockJSON(t *testing.T) {
	var v KeyBlock
	in := `{"name":"n","source":"s","kbpk":"00","kbpk_alg":"A","block":"D0112","key":"11","kcv":"ABCDEF"}`
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatal(err)
	}
	want := KeyBlock{Name: "n", Source: "s", KBPK: "00", KBPKAlg: "A", Block: "D0112", Key: "11", KCV: "ABCDEF"}
	if v != want {
		t.Fatalf("have %+v, want %+v", v, want)
	}
}
