package s3api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/hourglass-sts/hourglass/internal/iam"
)

// ListObjectVersions answers as an unversioned bucket: one "null" version per key, the latest.
func TestListObjectVersions(t *testing.T) {
	e := newEnv(t)
	alice := e.newSA("alice", "", iam.RoleAdmin)
	c := e.static(alice)
	e.createBucket(c, "vers")
	for _, k := range []string{"a", "b/1", "b/2", "c", "d"} {
		e.put(c, "vers", k, []byte(k))
	}
	e.put(c, "vers", "a", []byte("a again")) // an overwrite is still one version
	v, err := c.GetBucketVersioning(e.ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("vers")})
	if err != nil || v.Status != "" {
		t.Fatalf("GetBucketVersioning = %+v, %v", v, err)
	}

	var keys []string
	in := &s3.ListObjectVersionsInput{Bucket: aws.String("vers"), MaxKeys: aws.Int32(2)}
	pages := 0
	for {
		out, err := c.ListObjectVersions(e.ctx, in)
		if err != nil {
			t.Fatalf("ListObjectVersions: %v", err)
		}
		pages++
		for _, ver := range out.Versions {
			if aws.ToString(ver.VersionId) != "null" || !aws.ToBool(ver.IsLatest) || aws.ToString(ver.ETag) == "" || ver.Owner == nil {
				t.Errorf("version %+v", ver)
			}
			if aws.ToString(ver.Key) == "a" && aws.ToInt64(ver.Size) != int64(len("a again")) {
				t.Errorf("a: size %d", aws.ToInt64(ver.Size))
			}
			keys = append(keys, aws.ToString(ver.Key))
		}
		if len(out.DeleteMarkers) != 0 {
			t.Errorf("delete markers: %v", out.DeleteMarkers)
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		if aws.ToString(out.NextVersionIdMarker) != "null" {
			t.Errorf("NextVersionIdMarker %q", aws.ToString(out.NextVersionIdMarker))
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	if diff := cmp.Diff([]string{"a", "b/1", "b/2", "c", "d"}, keys); diff != "" || pages != 3 {
		t.Errorf("versions in %d pages (-want +got):\n%s", pages, diff)
	}
	out, err := c.ListObjectVersions(e.ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("vers"), Delimiter: aws.String("/"), Prefix: aws.String("")})
	if err != nil || len(out.Versions) != 3 || len(out.CommonPrefixes) != 1 || aws.ToString(out.CommonPrefixes[0].Prefix) != "b/" {
		t.Fatalf("with delimiter: %+v, %v", out, err)
	}
	_, err = c.ListObjectVersions(e.ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("vers"), VersionIdMarker: aws.String("null")})
	wantCode(t, err, "InvalidArgument")
	// Listing versions is s3:ListBucketVersions: a viewer may, an anonymous caller may not.
	viewer := e.newSA("viewer", "", iam.RoleViewer)
	if _, err := e.static(viewer).ListObjectVersions(e.ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("vers")}); err != nil {
		t.Errorf("viewer: %v", err)
	}
	_, err = e.anonymous().ListObjectVersions(e.ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("vers")})
	wantCode(t, err, "AccessDenied")
}

// UploadPartCopy honours the x-amz-copy-source-if-* conditions.
func TestUploadPartCopyConditions(t *testing.T) {
	e := newEnv(t)
	alice := e.newSA("alice", "", iam.RoleAdmin)
	c := e.static(alice)
	e.createBucket(c, "upc")
	src := e.put(c, "upc", "src", []byte(strings.Repeat("s", 1000)))
	mp, err := c.CreateMultipartUpload(e.ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("upc"), Key: aws.String("dst")})
	if err != nil {
		t.Fatal(err)
	}
	copyPart := func(mod func(*s3.UploadPartCopyInput)) (*s3.UploadPartCopyOutput, error) {
		in := &s3.UploadPartCopyInput{Bucket: aws.String("upc"), Key: aws.String("dst"), UploadId: mp.UploadId, PartNumber: aws.Int32(1),
			CopySource: aws.String("upc/src"), CopySourceRange: aws.String("bytes=100-199")}
		mod(in)
		return c.UploadPartCopy(e.ctx, in)
	}
	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	for _, tc := range []struct {
		name string
		mod  func(*s3.UploadPartCopyInput)
		code string
	}{
		{"if-match", func(in *s3.UploadPartCopyInput) { in.CopySourceIfMatch = src.ETag }, ""},
		{"if-match other", func(in *s3.UploadPartCopyInput) { in.CopySourceIfMatch = aws.String(`"0123"`) }, "PreconditionFailed"},
		{"if-none-match same", func(in *s3.UploadPartCopyInput) { in.CopySourceIfNoneMatch = src.ETag }, "PreconditionFailed"},
		{"if-none-match other", func(in *s3.UploadPartCopyInput) { in.CopySourceIfNoneMatch = aws.String(`"0123"`) }, ""},
		{"if-modified-since future", func(in *s3.UploadPartCopyInput) { in.CopySourceIfModifiedSince = aws.Time(future) }, "PreconditionFailed"},
		{"if-modified-since past", func(in *s3.UploadPartCopyInput) { in.CopySourceIfModifiedSince = aws.Time(past) }, ""},
		{"if-unmodified-since past", func(in *s3.UploadPartCopyInput) { in.CopySourceIfUnmodifiedSince = aws.Time(past) }, "PreconditionFailed"},
		{"range past the end", func(in *s3.UploadPartCopyInput) { in.CopySourceRange = aws.String("bytes=2000-2001") }, "InvalidArgument"},
		{"open range", func(in *s3.UploadPartCopyInput) { in.CopySourceRange = aws.String("bytes=10-") }, "InvalidArgument"},
		{"missing source", func(in *s3.UploadPartCopyInput) { in.CopySource = aws.String("upc/nothere") }, "NoSuchKey"},
	} {
		if _, err := copyPart(tc.mod); errCode(err) != tc.code {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.code)
		}
	}
	out, err := copyPart(func(*s3.UploadPartCopyInput) {})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompleteMultipartUpload(e.ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("upc"), Key: aws.String("dst"), UploadId: mp.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: out.CopyPartResult.ETag}}}}); err != nil {
		t.Fatal(err)
	}
	if got := e.get(c, "upc", "dst"); len(got) != 100 {
		t.Errorf("composed object: %d bytes", len(got))
	}
}
