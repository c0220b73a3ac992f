package authz

import (
	"fmt"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/policy"
	"github.com/hourglass-sts/hourglass/internal/s3action"
)

// benchSetup is the benchmark: an SA with a folder role, a 10-statement bucket policy
// and a 5-statement session policy, deciding s3:GetObject on a key the last statements allow.
func benchSetup(tb testing.TB, model AccessModel) (*Engine, *Input) {
	tb.Helper()
	var stmts string
	for i := 0; i < 9; i++ {
		stmts += fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::fld1:user/other%d"},"Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/team%d/*","Condition":{"IpAddress":{"aws:SourceIp":"10.%d.0.0/16"}}},`, i, i, i, i)
	}
	stmts += `{"Sid":"Reads","Effect":"Allow","Principal":"*","Action":"s3:Get*","Resource":"arn:aws:s3:::b/data/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}`
	bucketPolicy := `{"Version":"2012-10-17","Statement":[` + stmts + `]}`
	sessionPolicy := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"},
		{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/uploads/*"},
		{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":"data/*"}}},
		{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"},
		{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::b/data/*","Condition":{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}}]}`
	sp, err := policy.Parse([]byte(sessionPolicy), policy.Session, 0)
	if err != nil {
		tb.Fatal(err)
	}
	src := &staticSource{
		bindings: []meta.RoleBinding{
			{Role: iam.RoleViewer, Subject: "sa1", ScopeType: meta.ScopeFolder, ScopeID: "fld1"},
			{Role: iam.RoleEditor, Subject: "sa2", ScopeType: meta.ScopeFolder, ScopeID: "fld1"},
			{Role: iam.RoleViewer, Subject: "allUsers", ScopeType: meta.ScopeBucket, ScopeID: "pub"},
		},
		buckets: []meta.Bucket{
			{Name: "b", FolderID: "fld1", Config: map[string][]byte{meta.BucketPolicy: []byte(bucketPolicy)}},
			{Name: "pub", FolderID: "fld1"},
		},
	}
	e, err := New(src, Options{Model: model})
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	p := iam.SessionPrincipal(meta.ServiceAccount{ID: "sa1", Name: "alice", FolderID: "fld1"}, "HGKKEY", "0123", "s1", now, now.Add(time.Hour), sp, "")
	in := &Input{
		Principal: p, Action: s3action.GetObject, Bucket: "b", Key: "data/reports/2025/06/summary.csv",
		Request: &policy.Request{SourceIP: netip.MustParseAddr("192.0.2.7"), SecureTransport: true, CurrentTime: now, UserAgent: "aws-cli/2.17"},
	}
	if d := e.Decide(in); !d.Allowed() {
		tb.Fatalf("benchmark request is denied: %s", d.Reason)
	}
	return e, in
}

// processCPU returns the CPU time (user + system) the process has used, in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func BenchmarkDecide(b *testing.B) {
	for _, model := range []AccessModel{ModelYandex, ModelAWS} {
		b.Run(string(model), func(b *testing.B) {
			e, in := benchSetup(b, model)
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				if !e.Decide(in).Allowed() {
					b.Fatal("denied")
				}
			}
			// On a shared machine wall-clock ns/op includes time spent descheduled; the
			// process's CPU time per decision does not.
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkDecideDenied measures the uncommon path, whose reason is formatted.
func BenchmarkDecideDenied(b *testing.B) {
	e, in := benchSetup(b, ModelYandex)
	c := *in
	c.Key = "secret/x"
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if e.Decide(&c).Allowed() {
			b.Fatal("allowed")
		}
	}
}

func BenchmarkDecideParallel(b *testing.B) {
	e, in := benchSetup(b, ModelYandex)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if !e.Decide(in).Allowed() {
				b.Error("denied")
				return
			}
		}
	})
}

func TestDecideDoesNotAllocate(t *testing.T) {
	for _, model := range []AccessModel{ModelYandex, ModelAWS} {
		e, in := benchSetup(t, model)
		if n := testing.AllocsPerRun(200, func() { e.Decide(in) }); n != 0 {
			t.Errorf("%s: Decide allocates %.1f times per call, want 0", model, n)
		}
	}
}
