package policy

import (
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/s3action"
)

// A realistic 10-statement bucket policy: TLS-only and IP fences, per-SA grants, a public
// prefix, home directories with a policy variable, tag and header conditions.
const benchBucketPolicy = `{
  "Version": "2012-10-17",
  "Id": "bench",
  "Statement": [
    {"Sid": "DenyHTTP", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    {"Sid": "DenyOutside", "Effect": "Deny", "Principal": "*", "Action": ["s3:PutObject", "s3:DeleteObject"],
     "Resource": "arn:aws:s3:::data/*",
     "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24", "2001:db8::/32"]}}},
    {"Sid": "DenyUnencrypted", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
     "Resource": "arn:aws:s3:::data/secure/*",
     "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}}},
    {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::data/public/*"},
    {"Sid": "Readers", "Effect": "Allow",
     "Principal": {"AWS": ["arn:aws:iam::f1:user/reader", "arn:aws:iam::f1:user/auditor", "sa-9"]},
     "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"],
     "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"]},
    {"Sid": "Homes", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::f1:root"},
     "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
     "Resource": "arn:aws:s3:::data/home/${aws:username}/*"},
    {"Sid": "HomeList", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::f1:root"}, "Action": "s3:ListBucket",
     "Resource": "arn:aws:s3:::data",
     "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}, "NumericLessThanEquals": {"s3:max-keys": 1000}}},
    {"Sid": "Tagged", "Effect": "Allow", "Principal": {"CanonicalUser": ["sa-5", "sa-6"]}, "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::data/projects/*",
     "Condition": {"StringEquals": {"s3:ExistingObjectTag/team": "storage"}}},
    {"Sid": "Writers", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::f1:user/writer"},
     "Action": ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
     "Resource": "arn:aws:s3:::data/incoming/*",
     "Condition": {"StringEqualsIfExists": {"s3:x-amz-acl": "private"}}},
    {"Sid": "Window", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::f1:user/temp"}, "Action": "s3:GetObject",
     "Resource": "arn:aws:s3:::data/*",
     "Condition": {"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}}}
  ]
}`

// A 5-statement session policy as a client of Yandex STS would send.
const benchSessionPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "NoDeleteArchive", "Effect": "Deny", "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"],
     "Resource": "arn:aws:s3:::data/archive/*"},
    {"Sid": "Objects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
     "Resource": ["arn:aws:s3:::data/home/alice/*", "arn:aws:s3:::data/public/*"]},
    {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::data",
     "Condition": {"StringLike": {"s3:prefix": ["home/alice/*", "public/*"]}}},
    {"Sid": "Tags", "Effect": "Allow", "Action": "s3:*Tagging", "Resource": "arn:aws:s3:::data/home/alice/*"},
    {"Sid": "Net", "Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::data/shared/*",
     "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}
  ]
}`

func benchRequest() *Request {
	return &Request{
		Action:   s3action.GetObject,
		Resource: "arn:aws:s3:::data/home/alice/report.csv",
		Principal: Principal{Type: AssumedRole, ARN: "arn:aws:sts::f1:assumed-role/alice/s1",
			UserARN: "arn:aws:iam::f1:user/alice", UserID: "sa-1:s1", AccountID: "f1", CanonicalID: "sa-1"},
		SourceIP:           netip.MustParseAddr("10.1.2.3"),
		SecureTransport:    true,
		CurrentTime:        time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		UserAgent:          "aws-cli/2.15",
		Header:             http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}},
		ExistingObjectTags: map[string]string{"team": "storage"},
	}
}

func mustParse(tb testing.TB, doc string, kind Kind) *Policy {
	tb.Helper()
	p, err := Parse([]byte(doc), kind, 0)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func TestBenchPoliciesDecide(t *testing.T) {
	bucket, session := mustParse(t, benchBucketPolicy, Bucket), mustParse(t, benchSessionPolicy, Session)
	if err := ValidateForBucket(bucket, "data"); err != nil {
		t.Fatal(err)
	}
	req := benchRequest()
	// The temporary key of alice: no aws:username, so "Homes" does not apply; nothing else
	// grants her the object in the bucket policy.
	if d := bucket.Evaluate(req); d.Effect != NoMatch {
		t.Errorf("bucket: %v", d.Reason())
	}
	if d := session.Evaluate(req); d.Effect != Allow || d.Sid != "Objects" {
		t.Errorf("session: %v", d.Reason())
	}
	static := *req
	static.Principal = Principal{Type: User, ARN: "arn:aws:iam::f1:user/alice", UserID: "sa-1", Username: "alice", AccountID: "f1", CanonicalID: "sa-1"}
	if d := bucket.Evaluate(&static); d.Effect != Allow || d.Sid != "Homes" {
		t.Errorf("bucket, static key: %v", d.Reason())
	}
}

// TestEvaluateZeroAlloc holds Evaluate to its promise: no allocation for common requests, with
// conditions on IPs, booleans, strings, numbers, dates, tags, headers and policy variables.
func TestEvaluateZeroAlloc(t *testing.T) {
	bucket, session := mustParse(t, benchBucketPolicy, Bucket), mustParse(t, benchSessionPolicy, Session)
	reqs := []*Request{benchRequest()}
	r2 := benchRequest()
	r2.Principal = Principal{Type: User, ARN: "arn:aws:iam::f1:user/alice", UserID: "sa-1", Username: "alice", AccountID: "f1", CanonicalID: "sa-1"}
	r2.Action, r2.Resource, r2.Prefix, r2.HasPrefix, r2.MaxKeys, r2.HasMaxKeys = s3action.ListBucket, "arn:aws:s3:::data", "home/alice/", true, 100, true
	r3 := benchRequest()
	r3.Action, r3.Resource, r3.SecureTransport = s3action.PutObject, "arn:aws:s3:::data/secure/x", true
	r3.Principal = Principal{Type: Anonymous}
	r4 := benchRequest()
	r4.Resource = "arn:aws:s3:::data/projects/p"
	r4.Principal = Principal{Type: User, ARN: "arn:aws:iam::f1:user/x", UserID: "sa-5", Username: "x", AccountID: "f1", CanonicalID: "sa-5"}
	reqs = append(reqs, r2, r3, r4)
	for i, req := range reqs {
		allocs := testing.AllocsPerRun(200, func() {
			_ = bucket.Evaluate(req)
			_ = session.Evaluate(req)
		})
		if allocs != 0 {
			t.Errorf("request %d: %v allocations per Evaluate pair", i, allocs)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	bucket, session := mustParse(b, benchBucketPolicy, Bucket), mustParse(b, benchSessionPolicy, Session)
	req := benchRequest()
	b.Run("bucket-10-statements", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = bucket.Evaluate(req)
		}
	})
	b.Run("session-5-statements", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = session.Evaluate(req)
		}
	})
	b.Run("bucket+session", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = bucket.Evaluate(req)
			_ = session.Evaluate(req)
		}
	})
	one := mustParse(b, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/home/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`, Session)
	b.Run("one-statement", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = one.Evaluate(req)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	doc := []byte(benchBucketPolicy)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc, Bucket, 0); err != nil {
			b.Fatal(err)
		}
	}
}
