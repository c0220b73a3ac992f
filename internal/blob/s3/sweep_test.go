package s3blob_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/hourglass-sts/hourglass/internal/blob"
	s3blob "github.com/hourglass-sts/hourglass/internal/blob/s3"
)

// The sweep removes state records that describe nothing any more, and only those, and only when
// they are older than the cutoff. The upstream is a Hourglass node; the test reaches the state
// bucket (layout: internal/blob/s3/state.go) with its own client to make the leftovers that
// failed clean-ups leave behind, and to see what remains.
func TestSweep(t *testing.T) {
	endpoint, region, keyID, secret := hourglassUpstream(t)
	ctx := context.Background()
	s, err := s3blob.New(ctx, s3blob.Options{Endpoint: endpoint, Region: region, AccessKey: keyID, SecretKey: secret,
		PathStyle: true, BucketPrefix: "sw-", SpoolSize: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	up := s3.New(s3.Options{Region: region, BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, "")})
	const state = "sw-hourglass-state"

	body := bytes.Repeat([]byte("sweep me "), 512) // 4.5 KiB: streamed past the 1 KiB spool
	put := func(bucket, key string) blob.ObjectInfo {
		t.Helper()
		sum := blob.CRC32.New()
		sum.Write(body)
		info, err := s.Put(ctx, bucket, key, bytes.NewReader(body), blob.PutOptions{Size: int64(len(body)),
			Checksums: blob.Checksums{blob.CRC32: base64.StdEncoding.EncodeToString(sum.Sum(nil))}})
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	stateKeys := func() []string {
		t.Helper()
		var keys []string
		p := s3.NewListObjectsV2Paginator(up, &s3.ListObjectsV2Input{Bucket: aws.String(state)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range out.Contents {
				keys = append(keys, aws.ToString(o.Key))
			}
		}
		sort.Strings(keys)
		return keys
	}
	for _, b := range []string{"b", "dropped"} {
		if err := s.CreateBucket(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	keep := put("b", "keep")
	put("b", "over")
	over := put("b", "over") // the first version's record describes nothing now
	put("b", "gone")
	if err := s.Delete(ctx, "b", "gone"); err != nil {
		t.Fatal(err)
	}
	live, err := s.CreateUpload(ctx, "b", "live", blob.UploadOptions{ChecksumAlgorithm: blob.CRC32})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutPart(ctx, "b", "live", live, 1, bytes.NewReader(body), blob.PartOptions{Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
	lost, err := s.CreateUpload(ctx, "b", "lost", blob.UploadOptions{ChecksumAlgorithm: blob.CRC32})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutPart(ctx, "b", "lost", lost, 1, bytes.NewReader(body), blob.PartOptions{Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
	// Leftovers of failed clean-ups: an upload aborted upstream behind the store's back, a part
	// record without an upload, a staged body and a staging upload, a bucket deleted upstream.
	if _, err := up.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("sw-b"), Key: aws.String("lost"), UploadId: aws.String(lost)}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"b/p/nosuchupload/00001/0123456789abcdef0123456789abcdef/1/", "b/t/abandoned"} {
		if _, err := up.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(state), Key: aws.String(k), Body: strings.NewReader("")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := up.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(state), Key: aws.String("b/t/staging")}); err != nil {
		t.Fatal(err)
	}
	put("dropped", "x")
	if _, err := up.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("sw-dropped"), Key: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := up.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("sw-dropped")}); err != nil {
		t.Fatal(err)
	}

	before := stateKeys()
	// Everything is younger than a cutoff an hour back: nothing goes.
	st, err := s.Sweep(ctx, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if st.Removed != 0 || st.Aborted != 0 || st.Examined != 0 {
		t.Fatalf("a sweep with a cutoff before every record: %+v", st)
	}
	if diff := cmp.Diff(before, stateKeys()); diff != "" {
		t.Fatalf("records changed (-before +after):\n%s", diff)
	}

	st, err = s.Sweep(ctx, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, k := range stateKeys() {
		// Part records carry their time and checksum in the key; keep the part of the key up to the upload.
		if i := strings.Index(k, "/p/"); i >= 0 {
			k = k[:i+3] + strings.SplitN(k[i+3:], "/", 2)[0]
		}
		kept = append(kept, k)
	}
	want := []string{"b/c/" + keep.Generation, "b/c/" + over.Generation, "b/p/" + live, "b/u/" + live}
	sort.Strings(want)
	if diff := cmp.Diff(want, kept); diff != "" {
		t.Fatalf("state after the sweep (-want +got):\n%s\nstats %+v", diff, st)
	}
	if st.Aborted != 1 || st.Removed != len(before)-len(kept) {
		t.Fatalf("stats %+v: want 1 aborted and %d removed", st, len(before)-len(kept))
	}
	ups, err := up.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(state)})
	if err != nil || len(ups.Uploads) != 0 {
		t.Fatalf("staging uploads left: %v, %v", ups, err)
	}
	// The objects and the live upload are untouched.
	for _, k := range []string{"keep", "over"} {
		info, err := s.Head(ctx, "b", k)
		if err != nil || len(info.Checksums) != 1 {
			t.Fatalf("%s after the sweep: %+v, %v", k, info, err)
		}
	}
	if _, err := s.ListParts(ctx, "b", "live", live, blob.ListPartsOptions{}); err != nil {
		t.Fatalf("the live upload after the sweep: %v", err)
	}
}

// A record whose check fails for another reason than its object being gone (here the upstream
// refuses to read it) stays, and the sweep goes on with the others.
func TestSweepKeepsWhatItCannotCheck(t *testing.T) {
	endpoint, region, keyID, secret := hourglassUpstream(t)
	var refuse atomic.Bool
	front := frontOf(t, endpoint, func(w http.ResponseWriter, r *http.Request) bool {
		if refuse.Load() && r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/sk-hourglass-state/b/c/") {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
			return true
		}
		return false
	})
	ctx := context.Background()
	s, err := s3blob.New(ctx, s3blob.Options{Endpoint: front, Region: region, AccessKey: keyID, SecretKey: secret,
		PathStyle: true, BucketPrefix: "sk-", SpoolSize: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("keep me "), 512)
	sum := blob.CRC32.New()
	sum.Write(body)
	cs := blob.Checksums{blob.CRC32: base64.StdEncoding.EncodeToString(sum.Sum(nil))}
	if _, err := s.Put(ctx, "b", "k", bytes.NewReader(body), blob.PutOptions{Size: int64(len(body)), Checksums: cs}); err != nil {
		t.Fatal(err)
	}
	refuse.Store(true)
	st, err := s.Sweep(ctx, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if st.Removed != 0 || st.Skipped != 1 {
		t.Fatalf("stats %+v: want the unreadable record skipped and nothing removed", st)
	}
	refuse.Store(false)
	fresh, err := s3blob.New(ctx, s3blob.Options{Endpoint: endpoint, Region: region, AccessKey: keyID, SecretKey: secret,
		PathStyle: true, BucketPrefix: "sk-"})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if info, err := fresh.Head(ctx, "b", "k"); err != nil || !info.Checksums.Equal(cs) {
		t.Fatalf("after the sweep: %+v, %v", info.Checksums, err)
	}
}

// A sweep in steps of a bounded number of records covers the whole state bucket, each step
// starting where the last one ended.
func TestSweepInSteps(t *testing.T) {
	endpoint, region, keyID, secret := hourglassUpstream(t)
	ctx := context.Background()
	s, err := s3blob.New(ctx, s3blob.Options{Endpoint: endpoint, Region: region, AccessKey: keyID, SecretKey: secret,
		PathStyle: true, BucketPrefix: "st-"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	up := s3.New(s3.Options{Region: region, BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, "")})
	if err := s.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	const staged = 7 // leftovers of interrupted writes, all to go
	for i := 0; i < staged; i++ {
		if _, err := up.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("st-hourglass-state"), Key: aws.String(fmt.Sprintf("b/t/left-%d", i)), Body: strings.NewReader("")}); err != nil {
			t.Fatal(err)
		}
	}
	removed, steps, next := 0, 0, ""
	for {
		st, n, err := s.SweepFrom(ctx, time.Now().Add(time.Hour), next, 3)
		if err != nil {
			t.Fatal(err)
		}
		steps++
		removed += st.Removed
		if st.Examined > 3 {
			t.Fatalf("step %d examined %d records, more than 3", steps, st.Examined)
		}
		if next = n; next == "" {
			break
		}
		if steps > staged {
			t.Fatal("the steps do not end")
		}
	}
	if removed != staged || steps != 3 {
		t.Fatalf("%d steps removed %d records, want 3 steps and %d", steps, removed, staged)
	}
}

// Nodes share the sweep's schedule and progress through the state bucket: a step runs only when
// the last one anywhere is old enough, and continues where that one ended.
func TestSweepDueIsShared(t *testing.T) {
	endpoint, region, keyID, secret := hourglassUpstream(t)
	ctx := context.Background()
	node := func() *s3blob.Store {
		s, err := s3blob.New(ctx, s3blob.Options{Endpoint: endpoint, Region: region, AccessKey: keyID, SecretKey: secret,
			PathStyle: true, BucketPrefix: "sd-"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := node(), node()
	up := s3.New(s3.Options{Region: region, BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, "")})
	if err := a.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if _, err := up.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sd-hourglass-state"), Key: aws.String(fmt.Sprintf("b/t/left-%d", i)), Body: strings.NewReader("")}); err != nil {
			t.Fatal(err)
		}
	}
	// The records are an hour old in the clock the nodes are given; grace is 30 minutes.
	now := time.Now().Add(time.Hour)
	step := func(s *s3blob.Store, at time.Time) (s3blob.SweepStats, bool) {
		t.Helper()
		st, ran, err := s.SweepDue(ctx, at, 6*time.Hour, 30*time.Minute, 2)
		if err != nil {
			t.Fatal(err)
		}
		return st, ran
	}
	if st, ran := step(a, now); !ran || st.Removed != 2 {
		t.Fatalf("first step on A: ran %v, %+v; want 2 of the 4 removed", ran, st)
	}
	if _, ran := step(b, now.Add(time.Hour)); ran {
		t.Fatal("B stepped an hour after A's step: the schedule is not shared")
	}
	if st, ran := step(b, now.Add(7*time.Hour)); !ran || st.Removed != 2 {
		t.Fatalf("B's step 7 h later: ran %v, %+v; want the other 2 removed", ran, st)
	}
}
