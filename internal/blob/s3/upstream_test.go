package s3blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"

	"github.com/hourglass-sts/hourglass/internal/blob"
	s3blob "github.com/hourglass-sts/hourglass/internal/blob/s3"
)

// rawMoto is a plain SDK client on moto, to look behind the store's back.
func rawMoto(t *testing.T) *s3.Client {
	t.Helper()
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(motoEndpoint(t)), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("testing", "testing-secret", ""),
		APIOptions:  []func(*middleware.Stack) error{v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware},
	})
}

func keysOf(t *testing.T, c *s3.Client, bucket, prefix string) []string {
	t.Helper()
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatalf("listing %s/%s: %v", bucket, prefix, err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

type failingBody struct {
	r   io.Reader
	err error
}

func (f *failingBody) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

var errMismatch = errors.New("x-amz-checksum-crc32 does not match")

// TestFailedStreamsLeaveNothingUpstream looks at the upstream itself: after
// bodies that fail at their very end, neither the bucket nor the state
// bucket holds anything new (no object, no staged body, no record, no
// upload in progress).
func TestFailedStreamsLeaveNothingUpstream(t *testing.T) {
	ctx := context.Background()
	s := newMotoStore(t, func(o *s3blob.Options) { o.SpoolSize = 4 << 10; o.BucketPrefix = "leak-" })
	raw := rawMoto(t)
	bucket := "failures"
	if err := s.CreateBucket(ctx, bucket); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, 3*motoMinPart+123) // longer than the spool and than a staging part
	for i := range body {
		body[i] = byte(rand.Uint32())
	}
	for _, size := range []int64{int64(len(body)), -1} {
		_, err := s.Put(ctx, bucket, "k", &failingBody{bytes.NewReader(body), errMismatch}, blob.PutOptions{Size: size})
		if !errors.Is(err, errMismatch) {
			t.Fatalf("size %d: %v, want the body's error", size, err)
		}
	}
	id, err := s.CreateUpload(ctx, bucket, "mp", blob.UploadOptions{ChecksumAlgorithm: blob.CRC32})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int64{int64(len(body)), -1} {
		_, err := s.PutPart(ctx, bucket, "mp", id, 1, &failingBody{bytes.NewReader(body), errMismatch}, blob.PartOptions{Size: size})
		if !errors.Is(err, errMismatch) {
			t.Fatalf("part, size %d: %v, want the body's error", size, err)
		}
	}
	parts, err := s.ListParts(ctx, bucket, "mp", id, blob.ListPartsOptions{})
	if err != nil || len(parts.Parts) != 0 {
		t.Fatalf("parts after failed uploads: %+v, %v", parts.Parts, err)
	}
	if err := s.AbortUpload(ctx, bucket, "mp", id); err != nil {
		t.Fatal(err)
	}
	if keys := keysOf(t, raw, "leak-"+bucket, ""); len(keys) != 0 {
		t.Fatalf("upstream bucket holds %v", keys)
	}
	if keys := keysOf(t, raw, "leak-hourglass-state", bucket+"/"); len(keys) != 0 {
		t.Fatalf("state bucket holds %v", keys)
	}
	for _, b := range []string{"leak-" + bucket, "leak-hourglass-state"} {
		ups, err := raw.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(b)})
		if err != nil || len(ups.Uploads) != 0 {
			t.Fatalf("uploads in progress in %s: %+v, %v", b, ups.Uploads, err)
		}
	}
}

// TestGenerationLivesUpstream checks what the upstream object carries: the
// generation in x-amz-meta-hourglass-gen (new for identical bytes), no
// internal keys in the user metadata, escaped client keys.
func TestGenerationLivesUpstream(t *testing.T) {
	ctx := context.Background()
	s := newMotoStore(t, func(o *s3blob.Options) { o.BucketPrefix = "gen-" })
	raw := rawMoto(t)
	if err := s.CreateBucket(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	meta := blob.Metadata{User: map[string]string{"hourglass-gen": "forged", "note": "ünï"}}
	var gens []string
	for range 2 {
		info, err := s.Put(ctx, "g", "k", strings.NewReader("same"), blob.PutOptions{Size: 4, Metadata: meta})
		if err != nil {
			t.Fatal(err)
		}
		head, err := raw.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("gen-g"), Key: aws.String("k")})
		if err != nil {
			t.Fatal(err)
		}
		if got := head.Metadata["hourglass-gen"]; got != info.Generation {
			t.Fatalf("upstream generation %q, Put said %q", got, info.Generation)
		}
		gens = append(gens, info.Generation)
		h, err := s.Head(ctx, "g", "k")
		if err != nil {
			t.Fatal(err)
		}
		if h.Metadata.User["hourglass-gen"] != "forged" || h.Metadata.User["note"] != "ünï" || len(h.Metadata.User) != 2 {
			t.Fatalf("user metadata %v", h.Metadata.User)
		}
	}
	if gens[0] == gens[1] {
		t.Fatal("identical bytes written twice kept the generation")
	}
}

func TestBucketsMapUpstream(t *testing.T) {
	ctx := context.Background()
	s := newMotoStore(t, func(o *s3blob.Options) { o.BucketPrefix = "adopt-" })
	raw := rawMoto(t)
	// An upstream bucket made by someone else, with an object in it.
	if _, err := raw.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("adopt-legacy")}); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("adopt-legacy"), Key: aws.String("old"), Body: strings.NewReader("old bytes")}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, "legacy"); !errors.Is(err, blob.ErrBucketExists) {
		t.Fatalf("CreateBucket over an existing upstream bucket: %v, want ErrBucketExists", err)
	}
	if err := s.Adopt(ctx, "legacy"); err != nil {
		t.Fatalf("Adopt: %v", err)
	}
	info, err := s.Head(ctx, "legacy", "old")
	if err != nil || !strings.HasPrefix(info.Generation, "u") || info.Size != 9 {
		t.Fatalf("adopted object: %+v, %v", info, err)
	}
	again, _ := s.Head(ctx, "legacy", "old")
	if again.Generation != info.Generation {
		t.Fatal("an adopted object's generation is not stable")
	}
	// Adopt also creates a bucket that does not exist yet.
	if err := s.Adopt(ctx, "fresh"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.BucketExists(ctx, "fresh"); !ok || err != nil {
		t.Fatalf("adopted fresh bucket: %v, %v", ok, err)
	}
	long := strings.Repeat("n", 63-len("adopt-")+1)
	if err := s.CreateBucket(ctx, long); !errors.Is(err, blob.ErrInvalidBucketName) {
		t.Fatalf("a name too long with the prefix: %v", err)
	}
	if err := s.CreateBucket(ctx, s3blob.DefaultStateBucket); !errors.Is(err, blob.ErrInvalidBucketName) {
		t.Fatalf("the reserved state bucket name: %v", err)
	}
	if ok, _ := s.BucketExists(ctx, s3blob.DefaultStateBucket); ok {
		t.Fatal("the state bucket is visible as a bucket")
	}
}
