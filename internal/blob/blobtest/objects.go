package blobtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hourglass-sts/hourglass/internal/blob"
)

func testBuckets(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	if ok, err := s.BucketExists(ctx, b); err != nil || !ok {
		t.Fatalf("BucketExists(%q) = %v, %v; want true", b, ok, err)
	}
	wantErr(t, "CreateBucket twice", s.CreateBucket(ctx, b), blob.ErrBucketExists)
	missing := b + "-missing"
	if ok, err := s.BucketExists(ctx, missing); err != nil || ok {
		t.Fatalf("BucketExists(missing) = %v, %v; want false", ok, err)
	}
	wantErr(t, "DeleteBucket(missing)", s.DeleteBucket(ctx, missing), blob.ErrNoSuchBucket)
	_, err := s.Put(ctx, missing, "k", strings.NewReader("x"), blob.PutOptions{Size: 1})
	wantErr(t, "Put into missing bucket", err, blob.ErrNoSuchBucket)
	_, err = s.Get(ctx, missing, "k", blob.GetOptions{})
	wantErr(t, "Get from missing bucket", err, blob.ErrNoSuchBucket)
	_, err = s.Head(ctx, missing, "k")
	wantErr(t, "Head in missing bucket", err, blob.ErrNoSuchBucket)
	_, err = s.List(ctx, missing, blob.ListOptions{MaxKeys: 10})
	wantErr(t, "List missing bucket", err, blob.ErrNoSuchBucket)
	wantErr(t, "Delete in missing bucket", s.Delete(ctx, missing, "k"), blob.ErrNoSuchBucket)
	_, err = s.CreateUpload(ctx, missing, "k", blob.UploadOptions{})
	wantErr(t, "CreateUpload in missing bucket", err, blob.ErrNoSuchBucket)

	if err := s.DeleteBucket(ctx, b); err != nil {
		t.Fatalf("DeleteBucket(empty): %v", err)
	}
	if ok, _ := s.BucketExists(ctx, b); ok {
		t.Fatal("bucket exists after DeleteBucket")
	}
	// The name is free again, and the new bucket starts empty.
	if err := s.CreateBucket(ctx, b); err != nil {
		t.Fatalf("CreateBucket after delete: %v", err)
	}
	res, err := s.List(ctx, b, blob.ListOptions{MaxKeys: 10})
	if err != nil || len(res.Objects) != 0 {
		t.Fatalf("List of recreated bucket = %v, %v", res.Objects, err)
	}
}

func testPutGetHead(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	for _, size := range []int{0, 1, 4096, 100 << 10, 3<<20 + 17} {
		body := data(uint64(size), size)
		key := "obj-" + string(rune('a'+size%26))
		info := put(t, s, b, key, body)
		if info.Size != int64(size) || info.ETag != md5hex(body) || info.Bucket != b || info.Key != key {
			t.Fatalf("Put %d bytes: info %+v; want size %d etag %s", size, info, size, md5hex(body))
		}
		if info.Generation == "" || info.LastModified.IsZero() {
			t.Fatalf("Put: empty Generation or LastModified: %+v", info)
		}
		got := mustHave(t, s, b, key, body)
		if got.ETag != info.ETag || got.Generation != info.Generation {
			t.Fatalf("Get info %+v, Put info %+v", got, info)
		}
		if via := getVia(t, s, b, key, blob.GetOptions{}); !bytes.Equal(via, body) {
			t.Fatalf("Get via io.Copy: %d bytes, want %d", len(via), size)
		}
		head, err := s.Head(ctx, b, key)
		if err != nil {
			t.Fatal(err)
		}
		if head.Size != info.Size || head.ETag != info.ETag || head.Generation != info.Generation || !head.LastModified.Equal(got.LastModified) {
			t.Fatalf("Head %+v, want %+v", head, info)
		}
	}
	// Unknown size (chunked upload) streams just as well.
	body := data(7, 200<<10)
	info, err := s.Put(ctx, b, "unknown-size", io.MultiReader(bytes.NewReader(body[:1000]), bytes.NewReader(body[1000:])), blob.PutOptions{Size: -1})
	if err != nil || info.Size != int64(len(body)) {
		t.Fatalf("Put with Size -1: %+v, %v", info, err)
	}
	mustHave(t, s, b, "unknown-size", body)
	small := []byte("tiny")
	if _, err := s.Put(ctx, b, "unknown-small", bytes.NewReader(small), blob.PutOptions{Size: -1}); err != nil {
		t.Fatal(err)
	}
	mustHave(t, s, b, "unknown-small", small)
	mustNotExist(t, s, b, "never-written")
}

func testKeys(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	keys := []string{
		"//", "a//b", "..", "../../etc/passwd", "./x", "/leading", "trailing/", "with space", " ",
		"ключ/значение", "日本語/キー", "emoji-😀", "tab\tkey", "percent%2F", "plus+and=eq", "q?x=1&y#f",
		"back\\slash", strings.Repeat("k", 1024), strings.Repeat("é", 512),
	}
	for i, k := range keys {
		put(t, s, b, k, []byte(k))
		if got, _ := get(t, s, b, k, blob.GetOptions{}); string(got) != k {
			t.Fatalf("key %d (%q): read back %q", i, k, got)
		}
	}
	// Listing returns them all, in byte order, unchanged.
	var listed []string
	var marker string
	for {
		res, err := s.List(ctx, b, blob.ListOptions{StartAfter: marker, MaxKeys: 7})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range res.Objects {
			listed = append(listed, o.Key)
		}
		if !res.IsTruncated {
			break
		}
		marker = res.NextMarker
	}
	if diff := cmp.Diff(sorted(keys), listed); diff != "" {
		t.Fatalf("listed keys (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		key  string
		want error
	}{
		{strings.Repeat("k", 1025), blob.ErrKeyTooLong},
		{strings.Repeat("é", 513), blob.ErrKeyTooLong},
		{"", blob.ErrInvalidKey},
		{"bad\xffutf8", blob.ErrInvalidKey},
	} {
		_, err := s.Put(ctx, b, tc.key, strings.NewReader("x"), blob.PutOptions{Size: 1})
		wantErr(t, "Put of bad key", err, tc.want)
		_, err = s.Get(ctx, b, tc.key, blob.GetOptions{})
		wantErr(t, "Get of bad key", err, tc.want)
		_, err = s.CreateUpload(ctx, b, tc.key, blob.UploadOptions{})
		wantErr(t, "CreateUpload of bad key", err, tc.want)
	}
}

func testMetadata(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	meta := blob.Metadata{
		ContentType:        "text/plain; charset=utf-8",
		ContentEncoding:    "gzip",
		ContentDisposition: `attachment; filename="a b.txt"`,
		ContentLanguage:    "de-CH",
		CacheControl:       "max-age=60",
		Expires:            "Wed, 21 Oct 2037 07:28:00 GMT",
		User:               map[string]string{"color": "blue", "x-y": "ünïcode"},
	}
	for _, size := range []int{10, 200 << 10} {
		body := data(1, size)
		info, err := s.Put(ctx, b, "m", bytes.NewReader(body), blob.PutOptions{Size: int64(size), Metadata: meta})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(meta, info.Metadata); diff != "" {
			t.Fatalf("Put metadata (-want +got):\n%s", diff)
		}
		head, err := s.Head(ctx, b, "m")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(meta, head.Metadata); diff != "" {
			t.Fatalf("Head metadata (-want +got):\n%s", diff)
		}
		_, obj := get(t, s, b, "m", blob.GetOptions{})
		if diff := cmp.Diff(meta, obj.Info.Metadata); diff != "" {
			t.Fatalf("Get metadata (-want +got):\n%s", diff)
		}
	}
	// A later Put without metadata has none: metadata belongs to a version.
	put(t, s, b, "m", []byte("plain"))
	head, err := s.Head(ctx, b, "m")
	if err != nil {
		t.Fatal(err)
	}
	if head.Metadata.ContentType != "" || len(head.Metadata.User) != 0 {
		t.Fatalf("metadata survived an overwrite: %+v", head.Metadata)
	}
}

func digest(a blob.ChecksumAlgorithm, b []byte) string {
	h := a.New()
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func testChecksums(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	body := data(3, 70<<10)
	sums := blob.Checksums{}
	for _, a := range blob.ChecksumAlgorithms {
		sums[a] = digest(a, body)
	}
	info, err := s.Put(ctx, b, "c", bytes.NewReader(body), blob.PutOptions{Size: int64(len(body)), Checksums: sums})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sums, info.Checksums); diff != "" || info.ChecksumType != blob.ChecksumFullObject {
		t.Fatalf("Put checksums type %q (-want +got):\n%s", info.ChecksumType, diff)
	}
	head, err := s.Head(ctx, b, "c")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sums, head.Checksums); diff != "" || head.ChecksumType != blob.ChecksumFullObject {
		t.Fatalf("Head checksums type %q (-want +got):\n%s", head.ChecksumType, diff)
	}
	// Content-MD5 is checked by the backend.
	good := md5.Sum(body)
	if _, err := s.Put(ctx, b, "md5", bytes.NewReader(body), blob.PutOptions{Size: -1, ContentMD5: good[:]}); err != nil {
		t.Fatalf("Put with correct Content-MD5: %v", err)
	}
	bad := md5.Sum([]byte("other"))
	_, err = s.Put(ctx, b, "md5-bad", bytes.NewReader(body), blob.PutOptions{Size: -1, ContentMD5: bad[:]})
	wantErr(t, "Put with wrong Content-MD5", err, blob.ErrBadDigest)
	mustNotExist(t, s, b, "md5-bad")
	_, err = s.Put(ctx, b, "c2", bytes.NewReader(body), blob.PutOptions{Size: -1, Checksums: blob.Checksums{"MD4": "x"}})
	wantErr(t, "Put with unknown checksum algorithm", err, blob.ErrInvalidChecksum)
	_, err = s.Put(ctx, b, "c2", bytes.NewReader(body), blob.PutOptions{Size: -1, Checksums: blob.Checksums{blob.CRC32: "not base64"}})
	wantErr(t, "Put with malformed checksum", err, blob.ErrInvalidChecksum)
}

func testConditionalPut(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	putIf := func(key, ifMatch, ifNoneMatch string, body string) (blob.ObjectInfo, error) {
		return s.Put(ctx, b, key, strings.NewReader(body), blob.PutOptions{Size: int64(len(body)), IfMatch: ifMatch, IfNoneMatch: ifNoneMatch})
	}
	first, err := putIf("k", "", "*", "one")
	if err != nil {
		t.Fatalf("If-None-Match * on a new key: %v", err)
	}
	_, err = putIf("k", "", "*", "two")
	wantErr(t, "If-None-Match * on an existing key", err, blob.ErrPreconditionFailed)
	mustHave(t, s, b, "k", []byte("one"))
	_, err = putIf("k", "0123456789abcdef0123456789abcdef", "", "two")
	wantErr(t, "If-Match with a wrong ETag", err, blob.ErrPreconditionFailed)
	if _, err := putIf("k", `"`+first.ETag+`"`, "", "two"); err != nil {
		t.Fatalf("If-Match with the current ETag: %v", err)
	}
	mustHave(t, s, b, "k", []byte("two"))
	_, err = putIf("absent", first.ETag, "", "x")
	wantErr(t, "If-Match on a missing key", err, blob.ErrNoSuchKey)
	mustNotExist(t, s, b, "absent")
	// A large body is refused just the same (and nothing is left visible).
	big := string(data(5, 300<<10))
	_, err = putIf("k", "", "*", big)
	wantErr(t, "If-None-Match * with a large body", err, blob.ErrPreconditionFailed)
	mustHave(t, s, b, "k", []byte("two"))
}

func testRanges(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	single := data(11, 1000)
	put(t, s, b, "single", single)
	big := data(12, 300<<10)
	put(t, s, b, "big", big)
	mp, _ := multipartObject(t, s, b, "multi", 3, 13)

	for _, obj := range []struct {
		key  string
		body []byte
	}{{"single", single}, {"big", big}, {"multi", mp}} {
		n := int64(len(obj.body))
		cases := []blob.Range{
			{Start: 0, End: 0},             // first byte
			{Start: n - 1, End: n - 1},     // last byte
			{Start: 0, End: -1},            // open
			{Start: n / 3, End: -1},        // open from the middle
			{Start: 1, End: n + 100},       // end clamped
			{Start: -1, End: -1},           // suffix: last byte
			{Start: -(n / 2), End: -1},     // suffix
			{Start: -(n + 10), End: -1},    // suffix longer than the object
			{Start: n/3 - 5, End: n/3 + 5}, // crosses the first part boundary of "multi"
			{Start: 10, End: 2*n/3 + 10},   // spans several parts
			{Start: n / 3, End: 2*n/3 - 1}, // exactly the second part of "multi"
		}
		for _, r := range cases {
			start, end, err := r.Resolve(n)
			if err != nil {
				t.Fatalf("%s: Resolve(%v): %v", obj.key, r, err)
			}
			rr := r
			got, o := get(t, s, b, obj.key, blob.GetOptions{Range: &rr})
			if o.Start != start || o.End != end || !o.Partial || o.Info.Size != n {
				t.Fatalf("%s %v: Object Start/End/Partial/Size = %d/%d/%v/%d, want %d/%d/true/%d", obj.key, r, o.Start, o.End, o.Partial, o.Info.Size, start, end, n)
			}
			if want := obj.body[start : end+1]; !bytes.Equal(got, want) {
				t.Fatalf("%s %v: got %d bytes, want %d (bytes %d-%d)", obj.key, r, len(got), len(want), start, end)
			}
			if via := getVia(t, s, b, obj.key, blob.GetOptions{Range: &rr}); !bytes.Equal(via, obj.body[start:end+1]) {
				t.Fatalf("%s %v via io.Copy: got %d bytes", obj.key, r, len(via))
			}
		}
		for _, r := range []blob.Range{{Start: n, End: -1}, {Start: n + 5, End: n + 10}, {Start: 5, End: 4}} {
			rr := r
			_, err := s.Get(ctx, b, obj.key, blob.GetOptions{Range: &rr})
			wantErr(t, obj.key+" "+r.String(), err, blob.ErrInvalidRange)
		}
	}
	put(t, s, b, "empty", nil)
	_, err := s.Get(ctx, b, "empty", blob.GetOptions{Range: &blob.Range{Start: 0, End: 0}})
	wantErr(t, "range of an empty object", err, blob.ErrInvalidRange)
	if got, o := get(t, s, b, "empty", blob.GetOptions{}); len(got) != 0 || o.Partial {
		t.Fatalf("empty object: %d bytes, partial %v", len(got), o.Partial)
	}
	_, err = s.Get(ctx, b, "absent", blob.GetOptions{Range: &blob.Range{Start: 0, End: 0}})
	wantErr(t, "range of a missing key", err, blob.ErrNoSuchKey)
}

// failingReader yields data, then fails with err instead of io.EOF, like a
// verifying reader that finds a checksum mismatch at the end, or a client
// that disconnects.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

var errChecksumMismatch = errors.New("blobtest: x-amz-checksum-crc32 does not match")

func testBadBodies(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	for _, size := range []int{100, 200 << 10} {
		old := data(21, size)
		oldInfo := put(t, s, b, "k", old)
		newBody := data(22, size)
		for _, tc := range []struct {
			name string
			r    func() io.Reader
			size int64
			want error
		}{
			{"error at the end", func() io.Reader { return &failingReader{bytes.NewReader(newBody), errChecksumMismatch} }, int64(size), errChecksumMismatch},
			{"error at the end, size unknown", func() io.Reader { return &failingReader{bytes.NewReader(newBody), errChecksumMismatch} }, -1, errChecksumMismatch},
			{"disconnect midway", func() io.Reader { return &failingReader{bytes.NewReader(newBody[:size/2]), io.ErrUnexpectedEOF} }, int64(size), io.ErrUnexpectedEOF},
			{"short body", func() io.Reader { return bytes.NewReader(newBody[:size/2]) }, int64(size), blob.ErrIncompleteBody},
			{"long body", func() io.Reader { return bytes.NewReader(newBody) }, int64(size / 2), blob.ErrIncompleteBody},
		} {
			_, err := s.Put(ctx, b, "k", tc.r(), blob.PutOptions{Size: tc.size})
			wantErr(t, tc.name, err, tc.want)
			info := mustHave(t, s, b, "k", old)
			if info.Generation != oldInfo.Generation {
				t.Fatalf("%s: generation changed by a failed Put", tc.name)
			}
			_, err = s.Put(ctx, b, "new-"+tc.name, tc.r(), blob.PutOptions{Size: tc.size})
			wantErr(t, tc.name+" (new key)", err, tc.want)
			mustNotExist(t, s, b, "new-"+tc.name)
		}
	}
	// A cancelled context stops the upload and nothing becomes visible.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err := s.Put(cctx, b, "cancelled", bytes.NewReader(data(1, 300<<10)), blob.PutOptions{Size: -1})
	wantErr(t, "Put with a cancelled context", err, context.Canceled)
	mustNotExist(t, s, b, "cancelled")
}

func testGeneration(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	body := []byte("same bytes")
	g := map[string]bool{}
	first := put(t, s, b, "k", body)
	second := put(t, s, b, "k", body)
	if first.ETag != second.ETag {
		t.Fatalf("identical bytes: ETags %s and %s differ", first.ETag, second.ETag)
	}
	for _, gen := range []string{first.Generation, second.Generation} {
		if g[gen] {
			t.Fatalf("identical rewrite kept generation %q", gen)
		}
		g[gen] = true
	}
	head, _ := s.Head(ctx, b, "k")
	if head.Generation != second.Generation {
		t.Fatalf("Head generation %q, want the last write's %q", head.Generation, second.Generation)
	}
	cp, err := s.Copy(ctx, b, "k", b, "k", blob.CopyOptions{ReplaceMetadata: true, Metadata: blob.Metadata{ContentType: "text/x"}})
	if err != nil {
		t.Fatalf("copy onto itself: %v", err)
	}
	if g[cp.Generation] || cp.ETag != first.ETag || cp.Metadata.ContentType != "text/x" {
		t.Fatalf("copy onto itself: %+v", cp)
	}
	g[cp.Generation] = true
	head, _ = s.Head(ctx, b, "k")
	if head.Generation != cp.Generation || head.Metadata.ContentType != "text/x" {
		t.Fatalf("after copy onto itself Head = %+v", head)
	}
	mustHave(t, s, b, "k", body)
	c2, err := s.Copy(ctx, b, "k", b, "k2", blob.CopyOptions{})
	if err != nil || g[c2.Generation] {
		t.Fatalf("copy: %+v, %v", c2, err)
	}
	g[c2.Generation] = true
	_, info := multipartObject(t, s, b, "k", 2, 5)
	if g[info.Generation] {
		t.Fatal("CompleteUpload reused a generation")
	}
}

func testDelete(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	for _, size := range []int{5, 100 << 10} {
		put(t, s, b, "k", data(1, size))
		if err := s.Delete(ctx, b, "k"); err != nil {
			t.Fatal(err)
		}
		mustNotExist(t, s, b, "k")
		if err := s.Delete(ctx, b, "k"); err != nil {
			t.Fatalf("deleting a missing key: %v, want nil", err)
		}
	}
	multipartObject(t, s, b, "mp", 2, 9)
	if err := s.Delete(ctx, b, "mp"); err != nil {
		t.Fatal(err)
	}
	mustNotExist(t, s, b, "mp")
	res, err := s.List(ctx, b, blob.ListOptions{MaxKeys: 10})
	if err != nil || len(res.Objects) != 0 {
		t.Fatalf("List after deletes: %v, %v", res.Objects, err)
	}
}

func testCopy(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b1, b2 := newBucket(t, s), newBucket(t, s)
	meta := blob.Metadata{ContentType: "image/png", User: map[string]string{"a": "1"}}
	for _, size := range []int{10, 200 << 10} {
		body := data(uint64(size), size)
		src, err := s.Put(ctx, b1, "src", bytes.NewReader(body), blob.PutOptions{Size: int64(size), Metadata: meta,
			Checksums: blob.Checksums{blob.SHA256: digest(blob.SHA256, body)}})
		if err != nil {
			t.Fatal(err)
		}
		cp, err := s.Copy(ctx, b1, "src", b2, "dst", blob.CopyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cp.ETag != src.ETag || cp.Size != src.Size || cp.Bucket != b2 || cp.Key != "dst" || cp.Generation == src.Generation {
			t.Fatalf("copy info %+v from %+v", cp, src)
		}
		if diff := cmp.Diff(meta, cp.Metadata); diff != "" {
			t.Fatalf("COPY directive metadata (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(src.Checksums, cp.Checksums); diff != "" {
			t.Fatalf("copied checksums (-want +got):\n%s", diff)
		}
		mustHave(t, s, b2, "dst", body)
		// The copy is independent of its source.
		put(t, s, b1, "src", []byte("overwritten"))
		mustHave(t, s, b2, "dst", body)
		if err := s.Delete(ctx, b1, "src"); err != nil {
			t.Fatal(err)
		}
		mustHave(t, s, b2, "dst", body)
		// REPLACE directive.
		newMeta := blob.Metadata{ContentType: "text/plain"}
		cp2, err := s.Copy(ctx, b2, "dst", b2, "dst2", blob.CopyOptions{ReplaceMetadata: true, Metadata: newMeta})
		if err != nil {
			t.Fatal(err)
		}
		head, _ := s.Head(ctx, b2, "dst2")
		if diff := cmp.Diff(newMeta, head.Metadata); diff != "" || cp2.ETag != src.ETag {
			t.Fatalf("REPLACE directive metadata (-want +got):\n%s", diff)
		}
		// Overwriting an existing destination.
		put(t, s, b2, "dst3", []byte("old"))
		if _, err := s.Copy(ctx, b2, "dst", b2, "dst3", blob.CopyOptions{}); err != nil {
			t.Fatal(err)
		}
		mustHave(t, s, b2, "dst3", body)
	}
	// Source conditions.
	src := put(t, s, b1, "c", []byte("conditional"))
	for _, tc := range []struct {
		name string
		c    blob.Conditions
		want error
	}{
		{"if-match ok", blob.Conditions{IfMatch: src.ETag}, nil},
		{"if-match wrong", blob.Conditions{IfMatch: "00000000000000000000000000000000"}, blob.ErrPreconditionFailed},
		{"if-none-match hit", blob.Conditions{IfNoneMatch: src.ETag}, blob.ErrPreconditionFailed},
		{"if-modified-since future", blob.Conditions{IfModifiedSince: src.LastModified.Add(24 * 3600e9)}, blob.ErrPreconditionFailed},
		{"if-unmodified-since past", blob.Conditions{IfUnmodifiedSince: src.LastModified.Add(-24 * 3600e9)}, blob.ErrPreconditionFailed},
	} {
		_, err := s.Copy(ctx, b1, "c", b1, "c-"+tc.name, blob.CopyOptions{SourceConditions: tc.c})
		if tc.want == nil && err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.want != nil {
			wantErr(t, tc.name, err, tc.want)
			mustNotExist(t, s, b1, "c-"+tc.name)
		}
	}
	_, err := s.Copy(ctx, b1, "absent", b1, "x", blob.CopyOptions{})
	wantErr(t, "copy of a missing source", err, blob.ErrNoSuchKey)
	_, err = s.Copy(ctx, b1, "c", b1+"-missing", "x", blob.CopyOptions{})
	wantErr(t, "copy into a missing bucket", err, blob.ErrNoSuchBucket)

	// A multipart source keeps its ETag, parts and bytes.
	body, info := multipartObject(t, s, b1, "mp", 3, 31)
	cp, err := s.Copy(ctx, b1, "mp", b2, "mp-copy", blob.CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cp.ETag != info.ETag || cp.PartsCount != 3 || cp.Size != info.Size {
		t.Fatalf("multipart copy info %+v, source %+v", cp, info)
	}
	if err := s.Delete(ctx, b1, "mp"); err != nil {
		t.Fatal(err)
	}
	mustHave(t, s, b2, "mp-copy", body)
	n := int64(len(body))
	r := blob.Range{Start: n/3 - 3, End: 2*n/3 + 3}
	got, _ := get(t, s, b2, "mp-copy", blob.GetOptions{Range: &r})
	if !bytes.Equal(got, body[r.Start:r.End+1]) {
		t.Fatal("ranged read of the multipart copy differs")
	}
	// Copy of a multipart object onto itself with new metadata.
	self, err := s.Copy(ctx, b2, "mp-copy", b2, "mp-copy", blob.CopyOptions{ReplaceMetadata: true, Metadata: blob.Metadata{CacheControl: "no-cache"}})
	if err != nil || self.Generation == cp.Generation || self.Metadata.CacheControl != "no-cache" {
		t.Fatalf("multipart self-copy: %+v, %v", self, err)
	}
	mustHave(t, s, b2, "mp-copy", body)
}
