package iso8583

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	"github.com/payhsm/payhsm-gw/internal/testvec"
)

// vectorFile is testdata/vectors.json: public packing vectors, each with
// its source and the spec it was packed with in this package's JSON form.
type vectorFile struct {
	Messages []struct {
		Source   string            `json:"source"`
		Spec     json.RawMessage   `json:"spec"`
		MTI      string            `json:"mti"`
		Fields   map[string]string `json:"fields"`
		Unpacked map[string]string `json:"unpacked"`
		Packed   string            `json:"packed"`
	} `json:"messages"`
	Bitmaps []struct {
		Source string `json:"source"`
		Hex    string `json:"hex"`
		Fields []int  `json:"fields"`
	} `json:"bitmaps"`
}

func loadVectors(t testing.TB) vectorFile {
	t.Helper()
	var v vectorFile
	testvec.LoadJSON(t, "testdata/vectors.json", &v)
	return v
}

// value turns a vector's field text into a value: hex for type b.
func value(t testing.TB, f *Field, s string) []byte {
	t.Helper()
	if f.Type != TypeBinary {
		return []byte(s)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPackingVectors packs each vector's fields to its bytes, unpacks the
// bytes to the same fields (padding included) and packs them back.
func TestPackingVectors(t *testing.T) {
	for _, v := range loadVectors(t).Messages {
		t.Run(v.Source, func(t *testing.T) {
			spec, err := ParseSpec(v.Spec)
			if err != nil {
				t.Fatal(err)
			}
			want, err := hex.DecodeString(v.Packed)
			if err != nil {
				t.Fatal(err)
			}
			m := NewMessage(v.MTI)
			for k, s := range v.Fields {
				n, _ := strconv.Atoi(k)
				m.Set(n, value(t, spec.Fields[n], s))
			}
			got, err := m.Pack(spec)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Pack:\nhave %X\nwant %X", got, want)
			}
			u, err := Unpack(spec, want)
			if err != nil {
				t.Fatal(err)
			}
			if u.MTI != v.MTI || len(u.Numbers()) != len(v.Fields) {
				t.Fatalf("Unpack: MTI %s, fields %v", u.MTI, u.Numbers())
			}
			for k, s := range v.Fields {
				n, _ := strconv.Atoi(k)
				if p, ok := v.Unpacked[k]; ok {
					s = p
				}
				if have, _ := u.Field(n); !bytes.Equal(have, value(t, spec.Fields[n], s)) {
					t.Errorf("field %d: have %q, want %q", n, have, s)
				}
			}
			again, err := u.Pack(spec)
			if err != nil || !bytes.Equal(again, want) {
				t.Fatalf("repack: %v\nhave %X\nwant %X", err, again, want)
			}
		})
	}
}

// TestBitmapVectors checks the bit numbering against the published bitmaps:
// the bits a bitmap sets are the fields listed (bit 1 being the secondary
// bitmap flag), and Pack writes the same bitmap for those fields.
func TestBitmapVectors(t *testing.T) {
	for _, v := range loadVectors(t).Bitmaps {
		t.Run(v.Hex, func(t *testing.T) {
			var bm [3][8]byte
			b, _ := hex.DecodeString(v.Hex)
			copy(bm[0][:], b)
			var have []int
			for n := 1; n <= 64; n++ {
				if bit(&bm, n) {
					have = append(have, n)
				}
			}
			if !slices.Equal(have, v.Fields) {
				t.Fatalf("bits %v, want %v", have, v.Fields)
			}
			var set [3][8]byte
			for _, n := range v.Fields {
				setBit(&set, n)
			}
			if set[0] != bm[0] {
				t.Fatalf("setBit: %X, want %s", set[0], v.Hex)
			}
		})
	}
}
