package s3api_test

import (
	"bytes"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestBucketLifecycle(t *testing.T) {
	e := newEnv(t)
	alice := e.newSA("alice", "", iam.RoleAdmin)
	c := e.static(alice)

	e.createBucket(c, "photos")
	_, err := c.CreateBucket(e.ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")})
	wantCode(t, err, "BucketAlreadyOwnedByYou")
	_, err = c.CreateBucket(e.ctx, &s3.CreateBucketInput{Bucket: aws.String("Bad_Name")})
	wantCode(t, err, "InvalidBucketName")

	if _, err := c.HeadBucket(e.ctx, &s3.HeadBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatalf("HeadBucket: %v", err)
	}
	_, err = c.HeadBucket(e.ctx, &s3.HeadBucketInput{Bucket: aws.String("nothere")})
	wantCode(t, err, "NotFound")

	lb, err := c.ListBuckets(e.ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lb.Buckets) != 1 || aws.ToString(lb.Buckets[0].Name) != "photos" {
		t.Fatalf("ListBuckets = %+v", lb.Buckets)
	}
	loc, err := c.GetBucketLocation(e.ctx, &s3.GetBucketLocationInput{Bucket: aws.String("photos")})
	if err != nil {
		t.Fatalf("GetBucketLocation: %v", err)
	}
	_ = loc
	v, err := c.GetBucketVersioning(e.ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("photos")})
	if err != nil || v.Status != "" {
		t.Fatalf("GetBucketVersioning = %+v, %v", v, err)
	}

	// Another folder's SA sees nothing and may not touch the bucket.
	if _, err := e.iam().CreateFolder(e.ctx, "other"); err != nil {
		t.Fatal(err)
	}
	bob := e.newSA("bob", "other", iam.RoleAdmin)
	cb := e.static(bob)
	lb, err = cb.ListBuckets(e.ctx, &s3.ListBucketsInput{})
	if err != nil || len(lb.Buckets) != 0 {
		t.Fatalf("bob ListBuckets = %+v, %v", lb, err)
	}
	_, err = cb.CreateBucket(e.ctx, &s3.CreateBucketInput{Bucket: aws.String("photos")})
	wantCode(t, err, "BucketAlreadyExists")
	_, err = cb.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("photos"), Key: aws.String("x"), Body: strings.NewReader("x")})
	wantCode(t, err, "AccessDenied")

	e.put(c, "photos", "a.txt", []byte("hello"))
	_, err = c.DeleteBucket(e.ctx, &s3.DeleteBucketInput{Bucket: aws.String("photos")})
	wantCode(t, err, "BucketNotEmpty")
	if _, err := c.DeleteObject(e.ctx, &s3.DeleteObjectInput{Bucket: aws.String("photos"), Key: aws.String("a.txt")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteBucket(e.ctx, &s3.DeleteBucketInput{Bucket: aws.String("photos")}); err != nil {
		t.Fatalf("DeleteBucket: %v", err)
	}
	_, err = c.HeadBucket(e.ctx, &s3.HeadBucketInput{Bucket: aws.String("photos")})
	wantCode(t, err, "NotFound")
}

// TestPutRacingDelete: concurrent PUTs and DELETEs of one key leave either no object or one of
// the written bodies, whole.
func TestPutRacingDelete(t *testing.T) {
	e := newEnv(t)
	alice := e.newSA("alice", "", iam.RoleAdmin)
	c := e.static(alice)
	e.createBucket(c, "race")
	bodies := [][]byte{randomBytes(t, 10), randomBytes(t, 40_000), randomBytes(t, 300_000)}
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				if (i+j)%3 == 0 {
					c.DeleteObject(e.ctx, &s3.DeleteObjectInput{Bucket: aws.String("race"), Key: aws.String("k")})
				} else {
					c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("race"), Key: aws.String("k"), Body: bytes.NewReader(bodies[(i+j)%3])})
				}
			}
		}(i)
	}
	wg.Wait()
	out, err := c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("race"), Key: aws.String("k")})
	if errCode(err) == "NoSuchKey" {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	for _, b := range bodies {
		if bytes.Equal(got, b) {
			return
		}
	}
	t.Fatalf("final object (%d bytes) is none of the bodies written", len(got))
}

func TestObjectBasics(t *testing.T) { withKeys(t, testObjectBasics) }

func testObjectBasics(t *testing.T, e *env, alice identity, c *s3.Client) {
	e.createBucket(c, "data")

	body := randomBytes(t, 100_000)
	out, err := c.PutObject(e.ctx, &s3.PutObjectInput{
		Bucket: aws.String("data"), Key: aws.String("dir/obj.bin"), Body: bytes.NewReader(body),
		ContentType: aws.String("application/x-test"), ContentDisposition: aws.String("attachment"),
		ContentLanguage: aws.String("en"), CacheControl: aws.String("max-age=60"),
		Metadata:          map[string]string{"color": "blue", "Mixed-Case": "Value"},
		ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c,
	})
	if err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if aws.ToString(out.ChecksumCRC32C) == "" {
		t.Errorf("PutObject returned no CRC32C")
	}
	got, err := c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/obj.bin"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	b, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(b, body) {
		t.Fatal("GetObject body differs")
	}
	if aws.ToString(got.ContentType) != "application/x-test" || aws.ToString(got.ContentDisposition) != "attachment" ||
		aws.ToString(got.ContentLanguage) != "en" || aws.ToString(got.CacheControl) != "max-age=60" {
		t.Errorf("content headers = %q %q %q %q", aws.ToString(got.ContentType), aws.ToString(got.ContentDisposition), aws.ToString(got.ContentLanguage), aws.ToString(got.CacheControl))
	}
	if got.Metadata["color"] != "blue" || got.Metadata["mixed-case"] != "Value" {
		t.Errorf("metadata = %v", got.Metadata)
	}
	if aws.ToString(got.ETag) != aws.ToString(out.ETag) || aws.ToString(got.ChecksumCRC32C) != aws.ToString(out.ChecksumCRC32C) {
		t.Errorf("etag/checksum %s %s vs %s %s", aws.ToString(got.ETag), aws.ToString(got.ChecksumCRC32C), aws.ToString(out.ETag), aws.ToString(out.ChecksumCRC32C))
	}

	h, err := c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/obj.bin")})
	if err != nil || aws.ToInt64(h.ContentLength) != int64(len(body)) {
		t.Fatalf("HeadObject = %v, %v", h, err)
	}
	_, err = c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String("data"), Key: aws.String("missing")})
	wantCode(t, err, "NotFound")
	_, err = c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("missing")})
	wantCode(t, err, "NoSuchKey")

	// Ranges: closed, open, suffix; checksums never on 206.
	for _, tc := range []struct {
		rng        string
		start, end int
	}{{"bytes=0-9", 0, 9}, {"bytes=99990-", 99990, 99999}, {"bytes=-5", 99995, 99999}, {"bytes=500-99999999", 500, 99999}} {
		r, err := c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/obj.bin"), Range: aws.String(tc.rng), ChecksumMode: types.ChecksumModeEnabled})
		if err != nil {
			t.Fatalf("range %s: %v", tc.rng, err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if !bytes.Equal(b, body[tc.start:tc.end+1]) {
			t.Errorf("range %s: wrong bytes (%d)", tc.rng, len(b))
		}
		if r.ChecksumCRC32C != nil {
			t.Errorf("range %s returned a checksum", tc.rng)
		}
	}
	_, err = c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/obj.bin"), Range: aws.String("bytes=100000-")})
	wantCode(t, err, "InvalidRange")

	// Conditional requests.
	etag := aws.ToString(out.ETag)
	_, err = c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/obj.bin"), IfMatch: aws.String(`"nope"`)})
	wantCode(t, err, "PreconditionFailed")
	_, err = c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/obj.bin"), IfNoneMatch: aws.String(etag)})
	wantCode(t, err, "NotModified")
	_, err = c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/obj.bin"), IfModifiedSince: aws.Time(time.Now().Add(time.Hour))})
	wantCode(t, err, "NotModified")
	_, err = c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/obj.bin"), IfUnmodifiedSince: aws.Time(time.Now().Add(-time.Hour))})
	wantCode(t, err, "PreconditionFailed")
	r, err := c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/obj.bin"), IfMatch: aws.String(etag),
		IfModifiedSince: aws.Time(time.Now().Add(-time.Hour)), ResponseContentType: aws.String("text/plain"), ResponseCacheControl: aws.String("no-cache")})
	if err != nil {
		t.Fatalf("conditional GET: %v", err)
	}
	r.Body.Close()
	if aws.ToString(r.ContentType) != "text/plain" || aws.ToString(r.CacheControl) != "no-cache" {
		t.Errorf("overrides: %q %q", aws.ToString(r.ContentType), aws.ToString(r.CacheControl))
	}

	// Conditional writes.
	_, err = c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/obj.bin"), Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
	wantCode(t, err, "PreconditionFailed")

	// Metadata limit.
	_, err = c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("data"), Key: aws.String("big-meta"), Body: strings.NewReader("x"),
		Metadata: map[string]string{"m": strings.Repeat("v", 2100)}})
	wantCode(t, err, "MetadataTooLarge")
	// Key length limit.
	_, err = c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("data"), Key: aws.String(strings.Repeat("k", 1025)), Body: strings.NewReader("x")})
	wantCode(t, err, "KeyTooLongError")

	// Raw keys: no cleaning of "//", "..", or "./".
	for _, k := range []string{"a//b", "../escape", "./dot", "x/../y", "sp ace+plus%pct", "юникод/ключ"} {
		e.put(c, "data", k, []byte(k))
		if got := e.get(c, "data", k); string(got) != k {
			t.Errorf("key %q read back %q", k, got)
		}
	}

	if _, err := c.DeleteObject(e.ctx, &s3.DeleteObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/obj.bin")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteObject(e.ctx, &s3.DeleteObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/obj.bin")}); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
	_, err = c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("data"), Key: aws.String("dir/obj.bin")})
	wantCode(t, err, "NoSuchKey")
}
