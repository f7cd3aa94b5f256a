package registry

import (
	"context"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A ZPK as a Thales key block under the test AES key-block LMK
// (docs/spec/hostcmd-keyblocks.md §9, the worked example's source ZPK).
const testBlockCryptogram = "S10096P0AB00E000041FAA8814866CBA77400211DD0AB06AE7CFDB3E5BCDA1CCF84E3F447432DD7627726D8F869190207"

// oldRecord is a record as written before Scheme and Usage existed.
const oldRecord = `{"keyType":"ZPK","cryptogram":"` + testCryptogram + `","kcv":"` + testKCV + `","createdAt":"2026-08-07T09:00:00Z"}`

func blockRecord(alias string) Record {
	return Record{Alias: alias, KeyType: "ZPK", Cryptogram: testBlockCryptogram, KCV: "98964F",
		Scheme: "S", Usage: "P0", CreatedAt: time.Date(2026, 8, 7, 9, 0, 0, 0, time.UTC)}
}

// checkSchemeAndUsage creates a key-block record and a variant one in s
// and reads both back through get.
func checkSchemeAndUsage(t *testing.T, s Store, get func(string) (Record, error)) {
	t.Helper()
	want := []Record{blockRecord("kb-zpk"),
		{Alias: "u-zpk", KeyType: "ZPK", Cryptogram: testCryptogram, KCV: testKCV, Scheme: "U",
			CreatedAt: time.Date(2026, 8, 7, 9, 0, 0, 0, time.UTC)}}
	for _, r := range want {
		if _, err := s.Create(r); err != nil {
			t.Fatal(err)
		}
	}
	for _, w := range want {
		got, err := get(w.Alias)
		if err != nil {
			t.Fatal(err)
		}
		if got != w {
			t.Fatalf("%s: have %+v, want %+v", w.Alias, got, w)
		}
	}
	list, err := s.List()
	if err != nil || len(list) < 2 {
		t.Fatalf("List: %v, %v", list, err)
	}
	for _, r := range list {
		if r.Alias == "kb-zpk" && (r.Scheme != "S" || r.Usage != "P0") {
			t.Fatalf("List lost the scheme or usage: %+v", r)
		}
	}
}

func TestSchemeAndUsagePersist(t *testing.T) {
	r, dir := openTemp(t)
	checkSchemeAndUsage(t, r, r.Get)
	// And after a reopen, from disk.
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r2, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if got, err := r2.Get("kb-zpk"); err != nil || got != blockRecord("kb-zpk") {
		t.Fatalf("after reopen: have %+v, %v", got, err)
	}
}

// TestOldRecordStillReads: a record written before Scheme and Usage
// existed decodes, with both empty.
func TestOldRecordStillReads(t *testing.T) {
	r, _ := openTemp(t)
	if err := r.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketKeys).Put([]byte("old"), []byte(oldRecord))
	}); err != nil {
		t.Fatal(err)
	}
	got, err := r.Get("old")
	if err != nil {
		t.Fatal(err)
	}
	if got.KeyType != "ZPK" || got.KCV != testKCV || got.Cryptogram.Reveal() != testCryptogram || got.Scheme != "" || got.Usage != "" {
		t.Fatalf("have %+v", got)
	}
}

func TestEtcdSchemeAndUsage(t *testing.T) {
	srv := startEtcd(t)
	a, b := srv.open(t), srv.open(t)
	// Written by a, read by b: a linearizable read or b's watch mirror.
	checkSchemeAndUsage(t, a, b.Get)
	// A record written before the fields existed, straight into etcd.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.cli.Put(ctx, a.prefix+"old", oldRecord); err != nil {
		t.Fatal(err)
	}
	got, err := b.Get("old")
	if err != nil {
		t.Fatal(err)
	}
	if got.KCV != testKCV || got.Cryptogram.Reveal() != testCryptogram || got.Scheme != "" || got.Usage != "" {
		t.Fatalf("old record: have %+v", got)
	}
}
