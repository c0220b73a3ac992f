package s3api

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/hourglass-sts/hourglass/internal/s3action"
)

// The handler table and the s3action table's implemented marks must agree: an operation
// marked implemented without a handler would answer NotImplemented, and a handler whose
// operation is not marked would never run.
func TestHandlersMatchOperationTable(t *testing.T) {
	hs := handlers()
	for _, op := range s3action.Operations() {
		_, ok := hs[op]
		if ok != op.Implemented() {
			t.Errorf("%s: handler %v, marked implemented %v", op, ok, op.Implemented())
		}
	}
}

// Every operation of the table except OptionsPreflight's duplicates is reachable by some row.
func TestEveryOperationRoutable(t *testing.T) {
	reached := map[s3action.Operation]bool{}
	for _, r := range routes {
		reached[r.op] = true
	}
	for _, op := range s3action.Operations() {
		if op == s3action.OpPostObject || op == s3action.OpOptionsPreflight {
			continue
		}
		if !reached[op] {
			t.Errorf("%s has no route", op)
		}
	}
}

func TestDispatch(t *testing.T) {
	for _, tc := range []struct {
		method, target string
		header         string
		want           s3action.Operation
	}{
		{"GET", "/", "", s3action.OpListBuckets},
		{"PUT", "/", "", s3action.OpNone},
		{"GET", "/b", "", s3action.OpListObjects},
		{"GET", "/b/", "", s3action.OpListObjects},
		{"GET", "/b?list-type=2", "", s3action.OpListObjectsV2},
		{"GET", "/b?list-type=1", "", s3action.OpListObjects},
		{"GET", "/b?location", "", s3action.OpGetBucketLocation},
		{"GET", "/b?uploads", "", s3action.OpListMultipartUploads},
		{"GET", "/b?analytics", "", s3action.OpListBucketAnalyticsConfigurations},
		{"GET", "/b?analytics&id=x", "", s3action.OpGetBucketAnalyticsConfiguration},
		{"PUT", "/b", "", s3action.OpCreateBucket},
		{"PUT", "/b?acl", "", s3action.OpPutBucketAcl},
		{"PUT", "/b?policy", "", s3action.OpPutBucketPolicy},
		{"DELETE", "/b?policy", "", s3action.OpDeleteBucketPolicy},
		{"DELETE", "/b", "", s3action.OpDeleteBucket},
		{"HEAD", "/b", "", s3action.OpHeadBucket},
		{"POST", "/b?delete", "", s3action.OpDeleteObjects},
		{"POST", "/b", "", s3action.OpPostObject},
		{"GET", "/b/k", "", s3action.OpGetObject},
		{"GET", "/b/k?acl", "", s3action.OpGetObjectAcl},
		{"GET", "/b/k?uploadId=1", "", s3action.OpListParts},
		{"HEAD", "/b/k", "", s3action.OpHeadObject},
		{"PUT", "/b/k", "", s3action.OpPutObject},
		{"PUT", "/b/k", "X-Amz-Copy-Source", s3action.OpCopyObject},
		{"PUT", "/b/k?partNumber=1&uploadId=x", "", s3action.OpUploadPart},
		{"PUT", "/b/k?partNumber=1&uploadId=x", "X-Amz-Copy-Source", s3action.OpUploadPartCopy},
		{"PUT", "/b/k?acl", "", s3action.OpPutObjectAcl},
		{"POST", "/b/k?uploads", "", s3action.OpCreateMultipartUpload},
		{"POST", "/b/k?uploadId=x", "", s3action.OpCompleteMultipartUpload},
		{"DELETE", "/b/k?uploadId=x", "", s3action.OpAbortMultipartUpload},
		{"DELETE", "/b/k", "", s3action.OpDeleteObject},
		{"DELETE", "/b/k?tagging", "", s3action.OpDeleteObjectTagging},
		{"OPTIONS", "/b/k", "", s3action.OpOptionsPreflight},
		{"PATCH", "/b/k", "", s3action.OpNone},
	} {
		r := httptest.NewRequest(tc.method, tc.target, nil)
		if tc.header != "" {
			r.Header.Set(tc.header, "src/key")
		}
		b, k, _ := address(r, "")
		lvl := levelService
		if b != "" {
			lvl = levelBucket
		}
		if k != "" {
			lvl = levelObject
		}
		if got := dispatch(r.Method, lvl, r.URL.Query(), r.Header); got != tc.want {
			t.Errorf("%s %s (%s): %v, want %v", tc.method, tc.target, tc.header, got, tc.want)
		}
	}
}

func TestAddress(t *testing.T) {
	for _, tc := range []struct {
		host, path, domain string
		bucket, key        string
		vhost              bool
	}{
		{"127.0.0.1:9000", "/", "", "", "", false},
		{"127.0.0.1:9000", "/b", "", "b", "", false},
		{"127.0.0.1:9000", "/b/a//b/../c", "", "b", "a//b/../c", false},
		{"127.0.0.1:9000", "/b//x", "", "b", "/x", false},
		{"b.s3.local:9000", "/a/../k", "s3.local", "b", "a/../k", true},
		{"B.S3.Local", "/", "s3.local", "b", "", true},
		{"s3.local:9000", "/b/k", "s3.local", "b", "k", false},
		{"my.dotted.bucket.s3.local", "/k", "s3.local", "my.dotted.bucket", "k", true},
		{"evil-s3.local", "/b/k", "s3.local", "b", "k", false},
	} {
		r := &http.Request{Host: tc.host, URL: &url.URL{Path: tc.path}}
		b, k, v := address(r, tc.domain)
		if b != tc.bucket || k != tc.key || v != tc.vhost {
			t.Errorf("%s%s (domain %q) = %q %q %v, want %q %q %v", tc.host, tc.path, tc.domain, b, k, v, tc.bucket, tc.key, tc.vhost)
		}
	}
}

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		in         string
		ok         bool
		start, end int64
	}{
		{"bytes=0-9", true, 0, 9},
		{"bytes=10-", true, 10, -1},
		{"bytes=-5", true, -5, -1},
		{"bytes= 1 - 2", true, 1, 2},
		{"bytes=5-1", false, 0, 0},
		{"bytes=0-1,3-4", false, 0, 0},
		{"items=0-1", false, 0, 0},
		{"bytes=a-b", false, 0, 0},
		{"bytes=-", false, 0, 0},
		{"bytes=--1", false, 0, 0},
	} {
		r, ok := parseRange(tc.in)
		if ok != tc.ok || ok && (r.Start != tc.start || r.End != tc.end) {
			t.Errorf("parseRange(%q) = %+v %v", tc.in, r, ok)
		}
	}
}

func TestURLEncode(t *testing.T) {
	for in, want := range map[string]string{
		"plain/key.txt": "plain/key.txt",
		"a b+c":         "a%20b%2Bc",
		"юни":           "%D1%8E%D0%BD%D0%B8",
		"100%":          "100%25",
		"\x01":          "%01",
	} {
		if got := urlEncode(in); got != want {
			t.Errorf("urlEncode(%q) = %q, want %q", in, got, want)
		}
	}
}
