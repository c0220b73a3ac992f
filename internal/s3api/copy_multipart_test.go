package s3api_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestCopyObject(t *testing.T) { withKeys(t, testCopyObject) }

func testCopyObject(t *testing.T, e *env, alice identity, c *s3.Client) {
	e.createBucket(c, "src")
	e.createBucket(c, "dst")
	body := randomBytes(t, 4096)
	put, err := c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("k y"), Body: bytes.NewReader(body),
		ContentType: aws.String("text/x-original"), Metadata: map[string]string{"a": "1"}})
	if err != nil {
		t.Fatal(err)
	}

	// COPY keeps the metadata.
	cp, err := c.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy"), CopySource: aws.String("src/k%20y")})
	if err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	if aws.ToString(cp.CopyObjectResult.ETag) != aws.ToString(put.ETag) {
		t.Errorf("copy ETag %s, source %s", aws.ToString(cp.CopyObjectResult.ETag), aws.ToString(put.ETag))
	}
	h, err := c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy")})
	if err != nil || aws.ToString(h.ContentType) != "text/x-original" || h.Metadata["a"] != "1" {
		t.Fatalf("COPY metadata: %+v %v", h, err)
	}
	if got := e.get(c, "dst", "copy"); !bytes.Equal(got, body) {
		t.Fatal("copied bytes differ")
	}

	// REPLACE takes the request's metadata.
	_, err = c.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy2"), CopySource: aws.String("/src/k%20y"),
		MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("text/new"), Metadata: map[string]string{"b": "2"}})
	if err != nil {
		t.Fatal(err)
	}
	h, err = c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String("dst"), Key: aws.String("copy2")})
	if err != nil || aws.ToString(h.ContentType) != "text/new" || h.Metadata["b"] != "2" || h.Metadata["a"] != "" {
		t.Fatalf("REPLACE metadata: %+v %v", h.Metadata, err)
	}

	// Onto itself: only with REPLACE.
	_, err = c.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: aws.String("src"), Key: aws.String("k y"), CopySource: aws.String("src/k%20y")})
	wantCode(t, err, "InvalidRequest")
	_, err = c.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: aws.String("src"), Key: aws.String("k y"), CopySource: aws.String("src/k%20y"),
		MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"c": "3"}})
	if err != nil {
		t.Fatalf("self-copy with REPLACE: %v", err)
	}
	if got := e.get(c, "src", "k y"); !bytes.Equal(got, body) {
		t.Fatal("self-copy changed the bytes")
	}

	// Conditional copies.
	_, err = c.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("c3"), CopySource: aws.String("src/k%20y"), CopySourceIfMatch: aws.String(`"0000"`)})
	wantCode(t, err, "PreconditionFailed")
	_, err = c.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("c3"), CopySource: aws.String("src/k%20y"), CopySourceIfNoneMatch: put.ETag})
	wantCode(t, err, "PreconditionFailed")
	_, err = c.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("c3"), CopySource: aws.String("src/k%20y"), CopySourceIfModifiedSince: aws.Time(time.Now().Add(time.Hour))})
	wantCode(t, err, "PreconditionFailed")
	_, err = c.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("c3"), CopySource: aws.String("src/k%20y"), CopySourceIfMatch: put.ETag, CopySourceIfUnmodifiedSince: aws.Time(time.Now().Add(time.Hour))})
	if err != nil {
		t.Fatalf("matching conditional copy: %v", err)
	}
	_, err = c.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("c4"), CopySource: aws.String("src/missing")})
	wantCode(t, err, "NoSuchKey")
	_, err = c.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("c4"), CopySource: aws.String("nobucket/x")})
	wantCode(t, err, "NoSuchBucket")

	// Copying from a bucket of another folder needs read access there.
	if _, err := e.iam().CreateFolder(e.ctx, "other"); err != nil {
		t.Fatal(err)
	}
	bob := e.newSA("bob", "other", iam.RoleAdmin)
	cb := e.static(bob)
	e.createBucket(cb, "bobs")
	_, err = cb.CopyObject(e.ctx, &s3.CopyObjectInput{Bucket: aws.String("bobs"), Key: aws.String("stolen"), CopySource: aws.String("src/k%20y")})
	wantCode(t, err, "AccessDenied")
}

func TestMultipart(t *testing.T) { withKeys(t, testMultipart) }

func testMultipart(t *testing.T, e *env, alice identity, c *s3.Client) {
	e.createBucket(c, "mpu")

	// The transfer manager: 3 parts of 5 MiB + a short one, CRC32 checksums.
	body := randomBytes(t, 3*5<<20+123)
	up := manager.NewUploader(c, func(u *manager.Uploader) { u.PartSize = 5 << 20; u.Concurrency = 2 })
	res, err := up.Upload(e.ctx, &s3.PutObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big"), Body: bytes.NewReader(body), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	if !strings.HasSuffix(strings.Trim(aws.ToString(res.ETag), `"`), "-4") {
		t.Errorf("multipart ETag %s", aws.ToString(res.ETag))
	}
	if got := e.get(c, "mpu", "big"); !bytes.Equal(got, body) {
		t.Fatal("multipart object differs")
	}
	h, err := c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		t.Fatal(err)
	}
	if v := aws.ToString(h.ChecksumCRC32); !strings.HasSuffix(v, "-4") {
		t.Errorf("composite checksum = %q", v)
	}
	p2, err := c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big"), PartNumber: aws.Int32(2)})
	if err != nil {
		t.Fatalf("GetObject partNumber=2: %v", err)
	}
	b, _ := io.ReadAll(p2.Body)
	p2.Body.Close()
	if !bytes.Equal(b, body[5<<20:10<<20]) || aws.ToInt32(p2.PartsCount) != 4 {
		t.Errorf("part 2: %d bytes, parts count %d", len(b), aws.ToInt32(p2.PartsCount))
	}
	d, err := manager.NewDownloader(c, func(d *manager.Downloader) { d.PartSize = 4 << 20 }).Download(e.ctx, manager.NewWriteAtBuffer(nil), &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big")})
	if err != nil || d != int64(len(body)) {
		t.Fatalf("Download: %d %v", d, err)
	}

	// UploadPartCopy: a new object from two ranges of "big".
	cc, err := c.CreateMultipartUpload(e.ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("composed")})
	if err != nil {
		t.Fatal(err)
	}
	var copied []types.CompletedPart
	for i, rg := range []string{"bytes=0-5242879", fmt.Sprintf("bytes=5242880-%d", len(body)-1)} {
		out, err := c.UploadPartCopy(e.ctx, &s3.UploadPartCopyInput{Bucket: aws.String("mpu"), Key: aws.String("composed"), UploadId: cc.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), CopySource: aws.String("mpu/big"), CopySourceRange: aws.String(rg)})
		if err != nil {
			t.Fatalf("UploadPartCopy %s: %v", rg, err)
		}
		copied = append(copied, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.CopyPartResult.ETag})
	}
	if _, err := c.CompleteMultipartUpload(e.ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("composed"), UploadId: cc.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: copied}}); err != nil {
		t.Fatalf("Complete composed: %v", err)
	}
	if got := e.get(c, "mpu", "composed"); !bytes.Equal(got, body) {
		t.Fatal("object composed by UploadPartCopy differs")
	}
	_, err = c.UploadPartCopy(e.ctx, &s3.UploadPartCopyInput{Bucket: aws.String("mpu"), Key: aws.String("composed"), UploadId: cc.UploadId,
		PartNumber: aws.Int32(1), CopySource: aws.String("mpu/big"), CopySourceRange: aws.String("bytes=5-")})
	wantCode(t, err, "InvalidArgument")

	// By hand: ListMultipartUploads, ListParts, order and size checks, Abort.
	cr, err := c.CreateMultipartUpload(e.ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("manual")})
	if err != nil {
		t.Fatal(err)
	}
	id := cr.UploadId
	small := []byte("tiny part")
	var etags []string
	for i, p := range [][]byte{small, small} {
		out, err := c.UploadPart(e.ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("manual"), UploadId: id, PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatalf("UploadPart: %v", err)
		}
		etags = append(etags, aws.ToString(out.ETag))
	}
	lu, err := c.ListMultipartUploads(e.ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("mpu")})
	if err != nil || len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].UploadId) != aws.ToString(id) {
		t.Fatalf("ListMultipartUploads = %+v, %v", lu, err)
	}
	lp, err := c.ListParts(e.ctx, &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("manual"), UploadId: id})
	if err != nil || len(lp.Parts) != 2 || aws.ToString(lp.Parts[1].ETag) != etags[1] {
		t.Fatalf("ListParts = %+v, %v", lp, err)
	}
	complete := func(parts ...types.CompletedPart) error {
		_, err := c.CompleteMultipartUpload(e.ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("manual"), UploadId: id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		return err
	}
	part := func(n int, etag string) types.CompletedPart {
		return types.CompletedPart{PartNumber: aws.Int32(int32(n)), ETag: aws.String(etag)}
	}
	wantCode(t, complete(part(2, etags[1]), part(1, etags[0])), "InvalidPartOrder")
	wantCode(t, complete(part(1, `"00000000000000000000000000000000"`), part(2, etags[1])), "InvalidPart")
	wantCode(t, complete(part(1, etags[0]), part(2, etags[1])), "EntityTooSmall")
	// The last part may be small: completing with part 1 alone works.
	if err := complete(part(1, etags[0])); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	sum := md5.Sum(small)
	inner := md5.Sum(sum[:])
	h, err = c.HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String("mpu"), Key: aws.String("manual")})
	if err != nil || aws.ToString(h.ETag) != `"`+hex.EncodeToString(inner[:])+`-1"` {
		t.Fatalf("multipart ETag = %s, %v", aws.ToString(h.ETag), err)
	}
	// Completing again (the upload is gone) and aborting it are NoSuchUpload.
	wantCode(t, complete(part(1, etags[0])), "NoSuchUpload")
	cr2, err := c.CreateMultipartUpload(e.ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("aborted")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.AbortMultipartUpload(e.ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("aborted"), UploadId: cr2.UploadId}); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	_, err = c.CompleteMultipartUpload(e.ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("aborted"), UploadId: cr2.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{part(1, etags[0])}}})
	wantCode(t, err, "NoSuchUpload")
	_, err = c.UploadPart(e.ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("aborted"), UploadId: cr2.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("x")})
	wantCode(t, err, "NoSuchUpload")
	_, err = c.UploadPart(e.ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("manual"), UploadId: id, PartNumber: aws.Int32(10001), Body: strings.NewReader("x")})
	wantCode(t, err, "InvalidArgument")
}

func TestDeleteObjects(t *testing.T) { withKeys(t, testDeleteObjects) }

func testDeleteObjects(t *testing.T, e *env, alice identity, c *s3.Client) {
	e.createBucket(c, "del")
	var ids []types.ObjectIdentifier
	for i := 0; i < 10; i++ {
		k := fmt.Sprintf("k%d", i)
		e.put(c, "del", k, []byte(k))
		ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
	}
	ids = append(ids, types.ObjectIdentifier{Key: aws.String("never-existed")})
	out, err := c.DeleteObjects(e.ctx, &s3.DeleteObjectsInput{Bucket: aws.String("del"), Delete: &types.Delete{Objects: ids[:5]}})
	if err != nil {
		t.Fatalf("DeleteObjects: %v", err)
	}
	if len(out.Deleted) != 5 || len(out.Errors) != 0 {
		t.Fatalf("deleted %d, errors %+v", len(out.Deleted), out.Errors)
	}
	out, err = c.DeleteObjects(e.ctx, &s3.DeleteObjectsInput{Bucket: aws.String("del"), Delete: &types.Delete{Objects: ids[5:], Quiet: aws.Bool(true)}})
	if err != nil {
		t.Fatalf("quiet DeleteObjects: %v", err)
	}
	if len(out.Deleted) != 0 || len(out.Errors) != 0 {
		t.Fatalf("quiet mode reported %d deleted, %d errors", len(out.Deleted), len(out.Errors))
	}
	lo, _ := c.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String("del")})
	if len(lo.Contents) != 0 {
		t.Fatalf("left: %v", keysOf(lo.Contents))
	}

	// More than 1000 keys is MalformedXML.
	many := make([]types.ObjectIdentifier, 1001)
	for i := range many {
		many[i] = types.ObjectIdentifier{Key: aws.String(fmt.Sprint(i))}
	}
	_, err = c.DeleteObjects(e.ctx, &s3.DeleteObjectsInput{Bucket: aws.String("del"), Delete: &types.Delete{Objects: many}})
	wantCode(t, err, "MalformedXML")

	// Another folder's SA gets a per-key AccessDenied.
	e.put(c, "del", "keep", []byte("x"))
	if _, err := e.iam().CreateFolder(e.ctx, "other"); err != nil {
		t.Fatal(err)
	}
	bob := e.newSA("bob", "other", iam.RoleAdmin)
	out, err = e.static(bob).DeleteObjects(e.ctx, &s3.DeleteObjectsInput{Bucket: aws.String("del"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("keep")}}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Errors) != 1 || aws.ToString(out.Errors[0].Code) != "AccessDenied" {
		t.Fatalf("bob's delete: %+v", out.Errors)
	}
	if got := e.get(c, "del", "keep"); string(got) != "x" {
		t.Fatal("bob deleted alice's object")
	}
}

// contentMD5 is the Content-MD5 header value of b.
func contentMD5(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}
