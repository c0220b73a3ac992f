package s3blob_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hourglass-sts/hourglass/internal/blob"
	s3blob "github.com/hourglass-sts/hourglass/internal/blob/s3"
)

// The checksum record of an object version is read from the state bucket once: later GETs and
// HEADs of the same version answer its checksums from memory. A counting proxy in front of the
// upstream (a Hourglass node) sees the state-bucket reads.
func TestChecksumRecordsAreReadOnce(t *testing.T) {
	endpoint, region, keyID, secret := hourglassUpstream(t)
	var stateReads atomic.Int64
	front := frontOf(t, endpoint, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/rc-hourglass-state/") {
			stateReads.Add(1)
		}
		return false
	})
	ctx := context.Background()
	s, err := s3blob.New(ctx, s3blob.Options{Endpoint: front, Region: region, AccessKey: keyID, SecretKey: secret,
		PathStyle: true, BucketPrefix: "rc-", SpoolSize: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("checksum "), 300) // streamed past the 1 KiB spool: checksums in a record
	sum := blob.CRC32.New()
	sum.Write(body)
	want := base64.StdEncoding.EncodeToString(sum.Sum(nil))
	put := func() blob.ObjectInfo {
		info, err := s.Put(ctx, "b", "k", bytes.NewReader(body), blob.PutOptions{Size: int64(len(body)), Checksums: blob.Checksums{blob.CRC32: want}})
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	check := func(what string) {
		t.Helper()
		info, err := s.Head(ctx, "b", "k")
		if err != nil || info.Checksums[blob.CRC32] != want {
			t.Fatalf("%s: Head %+v, %v", what, info.Checksums, err)
		}
		obj, err := s.Get(ctx, "b", "k", blob.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		obj.Body.Close()
		if obj.Info.Checksums[blob.CRC32] != want {
			t.Fatalf("%s: Get %+v", what, obj.Info.Checksums)
		}
	}
	put()
	stateReads.Store(0)
	for i := 0; i < 3; i++ {
		check("first version")
	}
	if n := stateReads.Load(); n != 1 {
		t.Fatalf("3 HEADs and 3 GETs of one version read its record %d times, want 1", n)
	}
	// A new version has a record of its own: read once more.
	put()
	check("second version")
	check("second version")
	if n := stateReads.Load(); n != 2 {
		t.Fatalf("after a second version: %d record reads, want 2", n)
	}
}

// Two Completes of one upload at once (a client retrying after a timeout): the one the upstream
// refuses must not delete the checksum record of the object the other one made.
func TestConcurrentCompletesKeepTheRecord(t *testing.T) {
	endpoint, region, keyID, secret := hourglassUpstream(t)
	// The front holds each CompleteMultipartUpload until both have arrived.
	arrived := make(chan struct{}, 2)
	both := make(chan struct{})
	var once sync.Once
	front := frontOf(t, endpoint, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPost && r.URL.Query().Has("uploadId") {
			arrived <- struct{}{}
			if len(arrived) == 2 {
				once.Do(func() { close(both) })
			}
			<-both
		}
		return false
	})
	ctx := context.Background()
	s, err := s3blob.New(ctx, s3blob.Options{Endpoint: front, Region: region, AccessKey: keyID, SecretKey: secret,
		PathStyle: true, BucketPrefix: "cc-"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateUpload(ctx, "b", "k", blob.UploadOptions{ChecksumAlgorithm: blob.CRC32, ChecksumType: blob.ChecksumFullObject})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("the only part")
	part, err := s.PutPart(ctx, "b", "k", id, 1, bytes.NewReader(body), blob.PartOptions{Size: int64(len(body))})
	if err != nil {
		t.Fatal(err)
	}
	parts := []blob.CompletePart{{Number: 1, ETag: part.ETag, Checksums: part.Checksums}}
	errs := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func() {
			_, err := s.CompleteUpload(ctx, "b", "k", id, parts, blob.CompleteOptions{})
			errs <- err
		}()
	}
	ok := 0
	for i := 0; i < 2; i++ {
		if err := <-errs; err == nil {
			ok++
		}
	}
	if ok == 0 {
		t.Fatal("neither Complete succeeded")
	}
	fresh, err := s3blob.New(ctx, s3blob.Options{Endpoint: endpoint, Region: region, AccessKey: keyID, SecretKey: secret,
		PathStyle: true, BucketPrefix: "cc-"})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	info, err := fresh.Head(ctx, "b", "k")
	if err != nil || info.Checksums[blob.CRC32] == "" {
		t.Fatalf("the completed object's checksums: %+v, %v", info.Checksums, err)
	}
}

// frontOf puts a reverse proxy in front of the upstream at endpoint and returns its URL. Each
// request goes to intercept first, which answers it itself by returning true.
func frontOf(t *testing.T, endpoint string, intercept func(w http.ResponseWriter, r *http.Request) bool) string {
	t.Helper()
	target, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !intercept(w, r) {
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(front.Close)
	return front.URL
}
