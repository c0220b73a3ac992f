package acl

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
)

func benchACL(n int) ACL {
	a := ACL{Owner: owner}
	for i := 0; i < n-1; i++ {
		a.Grants = append(a.Grants, Grant{User(fmt.Sprintf("ajeserviceaccount%03d", i)), Permission(i%4 + 1)})
	}
	return ACL{Owner: a.Owner, Grants: append(a.Grants, Grant{AllUsers(), Read})}
}

// BenchmarkAllows measures the per-request question on a typical small ACL
// and on a maximal one where the deciding grant is last.
func BenchmarkAllows(b *testing.B) {
	who := Subject{Authenticated: true, ID: "ajeserviceaccount999"}
	for _, n := range []int{1, 4, MaxGrants} {
		a := benchACL(n)
		b.Run(fmt.Sprintf("grants=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if !a.Allows(Read, who) {
					b.Fatal("denied")
				}
			}
		})
	}
}

func BenchmarkMatch(b *testing.B) {
	a := benchACL(MaxGrants)
	who := Subject{Authenticated: true, ID: "ajeserviceaccount999"}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := a.Match(Read, who); !ok {
			b.Fatal("denied")
		}
	}
}

func BenchmarkRequired(b *testing.B) {
	actions := []string{"s3:GetObject", "s3:ListBucketMultipartUploads", "s3:PutBucketPolicy", "s3:PutObjectAcl"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Required(actions[i%len(actions)], i%2 == 0)
	}
}

func BenchmarkParseXML(b *testing.B) {
	for _, n := range []int{1, MaxGrants} {
		doc := RenderXML(benchACL(n))
		b.Run(fmt.Sprintf("grants=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, err := ParseXML(bytes.NewReader(doc)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRenderXML(b *testing.B) {
	a := benchACL(MaxGrants)
	buf := make([]byte, 0, 32<<10)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendXML(buf[:0], a)
	}
}

func BenchmarkFromHeaders(b *testing.B) {
	h := http.Header{}
	h.Set(HeaderGrantRead, `id="ajeserviceaccount001", uri="http://acs.amazonaws.com/groups/global/AllUsers"`)
	h.Set(HeaderGrantFullControl, `id="ajeserviceaccount002"`)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := FromHeaders(h, owner); err != nil {
			b.Fatal(err)
		}
	}
}
