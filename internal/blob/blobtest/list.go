package blobtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hourglass-sts/hourglass/internal/blob"
)

func sorted(keys []string) []string {
	out := append([]string(nil), keys...)
	sort.Strings(out) // Go compares strings bytewise: S3's UTF-8 binary order
	return out
}

// page is the comparable part of a ListResult.
type page struct {
	Keys      []string
	Prefixes  []string
	Truncated bool
	Next      string
}

func toPage(r blob.ListResult) page {
	p := page{Prefixes: r.CommonPrefixes, Truncated: r.IsTruncated, Next: r.NextMarker}
	for _, o := range r.Objects {
		p.Keys = append(p.Keys, o.Key)
	}
	return p
}

var emptyAsNil = cmpopts.EquateEmpty()

func testListTable(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	// The key set of Ceph's s3-tests delimiter tests, plus some.
	keys := []string{"asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla", "d//e", "d/", "e-f-g", "e-f-h", "e--x"}
	for _, k := range keys {
		put(t, s, b, k, []byte(k))
	}
	all := sorted(keys)
	tests := []struct {
		name string
		opts blob.ListOptions
		want page
	}{
		{"everything", blob.ListOptions{MaxKeys: 1000}, page{Keys: all}},
		{"default max-keys", blob.ListOptions{MaxKeys: -1}, page{Keys: all}},
		{"max-keys 0", blob.ListOptions{MaxKeys: 0}, page{}},
		{"delimiter /", blob.ListOptions{Delimiter: "/", MaxKeys: 1000},
			page{Keys: []string{"asdf", "e--x", "e-f-g", "e-f-h"}, Prefixes: []string{"boo/", "cquux/", "d/"}}},
		{"prefix boo/ delimiter /", blob.ListOptions{Prefix: "boo/", Delimiter: "/", MaxKeys: 1000},
			page{Keys: []string{"boo/bar"}, Prefixes: []string{"boo/baz/"}}},
		{"prefix without delimiter", blob.ListOptions{Prefix: "boo", MaxKeys: 1000},
			page{Keys: []string{"boo/bar", "boo/baz/xyzzy"}}},
		{"prefix matching nothing", blob.ListOptions{Prefix: "zzz", Delimiter: "/", MaxKeys: 1000}, page{}},
		{"prefix that is a whole key", blob.ListOptions{Prefix: "asdf", MaxKeys: 1000}, page{Keys: []string{"asdf"}}},
		{"delimiter d/ key equal to prefix+delimiter", blob.ListOptions{Prefix: "d", Delimiter: "/", MaxKeys: 1000},
			page{Prefixes: []string{"d/"}}},
		{"prefix d/ delimiter /", blob.ListOptions{Prefix: "d/", Delimiter: "/", MaxKeys: 1000},
			page{Keys: []string{"d/"}, Prefixes: []string{"d//"}}},
		{"delimiter not /", blob.ListOptions{Delimiter: "a", MaxKeys: 1000},
			page{Keys: []string{"cquux/thud", "d/", "d//e", "e--x", "e-f-g", "e-f-h"}, Prefixes: []string{"a", "boo/ba", "cquux/bla"}}},
		{"multi-byte delimiter", blob.ListOptions{Delimiter: "-f-", MaxKeys: 1000},
			page{Keys: []string{"asdf", "boo/bar", "boo/baz/xyzzy", "cquux/bla", "cquux/thud", "d/", "d//e", "e--x"}, Prefixes: []string{"e-f-"}}},
		{"delimiter with prefix, not /", blob.ListOptions{Prefix: "e", Delimiter: "-", MaxKeys: 1000},
			page{Prefixes: []string{"e-"}}},
		{"max-keys 2 truncates", blob.ListOptions{MaxKeys: 2},
			page{Keys: []string{"asdf", "boo/bar"}, Truncated: true, Next: "boo/bar"}},
		{"max-keys counts common prefixes", blob.ListOptions{Delimiter: "/", MaxKeys: 2},
			page{Keys: []string{"asdf"}, Prefixes: []string{"boo/"}, Truncated: true, Next: "boo/"}},
		{"start-after a common prefix skips it", blob.ListOptions{Delimiter: "/", StartAfter: "boo/", MaxKeys: 1},
			page{Prefixes: []string{"cquux/"}, Truncated: true, Next: "cquux/"}},
		{"start-after inside a common prefix", blob.ListOptions{Delimiter: "/", StartAfter: "boo/bar", MaxKeys: 1000},
			page{Keys: []string{"e--x", "e-f-g", "e-f-h"}, Prefixes: []string{"cquux/", "d/"}}},
		{"start-after without delimiter", blob.ListOptions{StartAfter: "boo/bar", MaxKeys: 3},
			page{Keys: []string{"boo/baz/xyzzy", "cquux/bla", "cquux/thud"}, Truncated: true, Next: "cquux/thud"}},
		{"start-after a missing key", blob.ListOptions{StartAfter: "c", MaxKeys: 1},
			page{Keys: []string{"cquux/bla"}, Truncated: true, Next: "cquux/bla"}},
		{"start-after the last key", blob.ListOptions{StartAfter: "e-f-h", MaxKeys: 10}, page{}},
		{"start-after before the prefix", blob.ListOptions{Prefix: "cquux/", StartAfter: "a", MaxKeys: 10},
			page{Keys: []string{"cquux/bla", "cquux/thud"}}},
		{"start-after beyond the prefix", blob.ListOptions{Prefix: "boo/", StartAfter: "c", MaxKeys: 10}, page{}},
		{"exactly max-keys entries is not truncated", blob.ListOptions{Prefix: "cquux/", MaxKeys: 2},
			page{Keys: []string{"cquux/bla", "cquux/thud"}}},
	}
	for _, tt := range tests {
		res, err := s.List(ctx, b, tt.opts)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, toPage(res), emptyAsNil); diff != "" {
			t.Errorf("%s: List(%+v) (-want +got):\n%s", tt.name, tt.opts, diff)
		}
	}
	// Pagination with max-keys 1 and delimiter walks keys and prefixes in order.
	var got []string
	marker := ""
	for i := 0; ; i++ {
		if i > 20 {
			t.Fatal("pagination does not end")
		}
		res, err := s.List(ctx, b, blob.ListOptions{Delimiter: "/", StartAfter: marker, MaxKeys: 1})
		if err != nil {
			t.Fatal(err)
		}
		p := toPage(res)
		got = append(got, p.Keys...)
		got = append(got, p.Prefixes...)
		if !res.IsTruncated {
			break
		}
		marker = res.NextMarker
	}
	if diff := cmp.Diff([]string{"asdf", "boo/", "cquux/", "d/", "e--x", "e-f-g", "e-f-h"}, got); diff != "" {
		t.Errorf("paged listing (-want +got):\n%s", diff)
	}
	// Listed objects carry size, ETag and generation.
	res, err := s.List(ctx, b, blob.ListOptions{Prefix: "asdf", MaxKeys: 1})
	if err != nil || len(res.Objects) != 1 {
		t.Fatalf("List asdf: %v, %v", res, err)
	}
	head, _ := s.Head(ctx, b, "asdf")
	o := res.Objects[0]
	if o.Size != 4 || o.ETag != md5hex([]byte("asdf")) || o.Generation != head.Generation || !o.LastModified.Equal(head.LastModified) {
		t.Fatalf("listed object %+v, head %+v", o, head)
	}
}

// refList is the reference model of List over a sorted key set.
func refList(keys []string, o blob.ListOptions) page {
	max := o.MaxKeys
	if max < 0 {
		max = blob.DefaultMaxKeys
	}
	var p page
	seen := map[string]bool{}
	n := 0
	add := func(name string, prefix bool) bool {
		if n == max {
			p.Truncated = true
			return false
		}
		n++
		if prefix {
			p.Prefixes = append(p.Prefixes, name)
		} else {
			p.Keys = append(p.Keys, name)
		}
		p.Next = name
		return true
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, o.Prefix) {
			continue
		}
		if o.Delimiter != "" {
			if i := strings.Index(k[len(o.Prefix):], o.Delimiter); i >= 0 {
				cp := k[:len(o.Prefix)+i+len(o.Delimiter)]
				if cp <= o.StartAfter || seen[cp] {
					continue
				}
				seen[cp] = true
				if !add(cp, true) {
					break
				}
				continue
			}
		}
		if k <= o.StartAfter {
			continue
		}
		if !add(k, false) {
			break
		}
	}
	if !p.Truncated {
		p.Next = ""
	}
	return p
}

// testListAgainstModel compares List with the reference model over many
// option combinations and follows every truncated page to the end.
func testListAgainstModel(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	r := rand.New(rand.NewPCG(42, 43))
	alphabet := []string{"a", "b", "/", "-", "é", "/"}
	set := map[string]bool{}
	for len(set) < 60 {
		var sb strings.Builder
		for n := 1 + r.IntN(6); n > 0; n-- {
			sb.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		set[sb.String()] = true
	}
	var keys []string
	for k := range set {
		keys = append(keys, k)
	}
	keys = sorted(keys)
	for _, k := range keys {
		put(t, s, b, k, nil)
	}
	prefixes := []string{"", "a", "a/", "b-", "é", "/", "zz"}
	delimiters := []string{"", "/", "-", "é", "a/"}
	for _, prefix := range prefixes {
		for _, delim := range delimiters {
			for _, max := range []int{2, 7, 1000} {
				for _, start := range []string{"", "a", "a/", "b", keys[len(keys)/2]} {
					o := blob.ListOptions{Prefix: prefix, Delimiter: delim, StartAfter: start, MaxKeys: max}
					name := fmt.Sprintf("%+v", o)
					for pageNo := 0; ; pageNo++ {
						if pageNo > len(keys)+1 {
							t.Fatalf("%s: pagination does not end", name)
						}
						res, err := s.List(ctx, b, o)
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						want := refList(keys, o)
						if diff := cmp.Diff(want, toPage(res), emptyAsNil); diff != "" {
							t.Fatalf("List(%+v) (-want +got):\n%s", o, diff)
						}
						if !res.IsTruncated {
							break
						}
						o.StartAfter = res.NextMarker
					}
				}
			}
		}
	}
}
