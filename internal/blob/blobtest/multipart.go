package blobtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hourglass-sts/hourglass/internal/blob"
)

// multipartETag computes the S3 multipart ETag independently of any backend.
func multipartETag(parts ...[]byte) string {
	var all []byte
	for _, p := range parts {
		s := md5.Sum(p)
		all = append(all, s[:]...)
	}
	s := md5.Sum(all)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(s[:]), len(parts))
}

func createUpload(t *testing.T, s blob.Store, bucket, key string, opts blob.UploadOptions) string {
	t.Helper()
	id, err := s.CreateUpload(context.Background(), bucket, key, opts)
	if err != nil {
		t.Fatalf("CreateUpload(%q): %v", key, err)
	}
	if id == "" {
		t.Fatal("CreateUpload returned an empty upload ID")
	}
	return id
}

func putPart(t *testing.T, s blob.Store, bucket, key, id string, n int, body []byte, opts blob.PartOptions) blob.PartInfo {
	t.Helper()
	if opts.Size == 0 {
		opts.Size = int64(len(body))
	}
	p, err := s.PutPart(context.Background(), bucket, key, id, n, bytes.NewReader(body), opts)
	if err != nil {
		t.Fatalf("PutPart(%q, %d): %v", key, n, err)
	}
	if p.Number != n || p.Size != int64(len(body)) || p.ETag != md5hex(body) {
		t.Fatalf("PutPart(%d) = %+v; want size %d ETag %s", n, p, len(body), md5hex(body))
	}
	return p
}

// multipartObject uploads n parts of the minimum part size each (so the
// part boundaries are at multiples of len/n) and completes the upload.
func multipartObject(t *testing.T, s blob.Store, bucket, key string, n int, seed uint64) ([]byte, blob.ObjectInfo) {
	t.Helper()
	m := int(minPartSize(s))
	id := createUpload(t, s, bucket, key, blob.UploadOptions{})
	var all []byte
	var parts [][]byte
	var cps []blob.CompletePart
	for i := 1; i <= n; i++ {
		p := data(seed*1000+uint64(i), m)
		parts = append(parts, p)
		all = append(all, p...)
		info := putPart(t, s, bucket, key, id, i, p, blob.PartOptions{})
		cps = append(cps, blob.CompletePart{Number: i, ETag: info.ETag})
	}
	info, err := s.CompleteUpload(context.Background(), bucket, key, id, cps, blob.CompleteOptions{})
	if err != nil {
		t.Fatalf("CompleteUpload(%q): %v", key, err)
	}
	if want := multipartETag(parts...); info.ETag != want || info.PartsCount != n || info.Size != int64(len(all)) {
		t.Fatalf("CompleteUpload = %+v; want ETag %s, %d parts, %d bytes", info, want, n, len(all))
	}
	return all, info
}

func testMultipart(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	m := int(minPartSize(s))
	meta := blob.Metadata{ContentType: "application/x-test", User: map[string]string{"k": "v"}}
	id := createUpload(t, s, b, "obj", blob.UploadOptions{Metadata: meta})
	p1, p2, p3 := data(1, m), data(2, m+1), data(3, 1000)
	// Parts may arrive in any order.
	e3 := putPart(t, s, b, "obj", id, 3, p3, blob.PartOptions{})
	e1 := putPart(t, s, b, "obj", id, 1, p1, blob.PartOptions{Size: -1})
	e2 := putPart(t, s, b, "obj", id, 2, p2, blob.PartOptions{})
	mustNotExist(t, s, b, "obj") // nothing visible before completion
	info, err := s.CompleteUpload(ctx, b, "obj", id, []blob.CompletePart{
		{Number: 1, ETag: e1.ETag}, {Number: 2, ETag: `"` + e2.ETag + `"`}, {Number: 3, ETag: e3.ETag},
	}, blob.CompleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	all := append(append(append([]byte(nil), p1...), p2...), p3...)
	if want := multipartETag(p1, p2, p3); info.ETag != want || info.PartsCount != 3 || info.Size != int64(len(all)) || info.Generation == "" {
		t.Fatalf("CompleteUpload = %+v; want ETag %s", info, want)
	}
	if diff := cmp.Diff(meta, info.Metadata); diff != "" {
		t.Fatalf("multipart metadata (-want +got):\n%s", diff)
	}
	got := mustHave(t, s, b, "obj", all)
	if got.ETag != info.ETag || got.PartsCount != 3 || got.Generation != info.Generation {
		t.Fatalf("Get info %+v, complete info %+v", got, info)
	}
	if via := getVia(t, s, b, "obj", blob.GetOptions{}); !bytes.Equal(via, all) {
		t.Fatal("multipart object read via io.Copy differs")
	}
	// GET ?partNumber=N.
	off := int64(0)
	for i, p := range [][]byte{p1, p2, p3} {
		body, obj := get(t, s, b, "obj", blob.GetOptions{PartNumber: i + 1})
		if !bytes.Equal(body, p) || obj.Start != off || obj.End != off+int64(len(p))-1 || !obj.Partial {
			t.Fatalf("part %d: %d bytes at %d-%d, want %d at %d", i+1, len(body), obj.Start, obj.End, len(p), off)
		}
		off += int64(len(p))
	}
	_, err = s.Get(ctx, b, "obj", blob.GetOptions{PartNumber: 4})
	wantErr(t, "part 4 of 3", err, blob.ErrInvalidPartNumber)
	put(t, s, b, "single", []byte("single"))
	if body, _ := get(t, s, b, "single", blob.GetOptions{PartNumber: 1}); string(body) != "single" {
		t.Fatalf("part 1 of a single-part object: %q", body)
	}
	_, err = s.Get(ctx, b, "single", blob.GetOptions{PartNumber: 2})
	wantErr(t, "part 2 of a single-part object", err, blob.ErrInvalidPartNumber)
	_, err = s.ListParts(ctx, b, "obj", id, blob.ListPartsOptions{})
	wantErr(t, "ListParts after completion", err, blob.ErrNoSuchUpload)
	_, err = s.CompleteUpload(ctx, b, "obj", id, []blob.CompletePart{{Number: 1, ETag: e1.ETag}}, blob.CompleteOptions{})
	wantErr(t, "completing twice", err, blob.ErrNoSuchUpload)

	// Re-uploading a part number replaces it; unlisted parts are dropped.
	id = createUpload(t, s, b, "obj2", blob.UploadOptions{})
	q1, q2old, q2, q3 := data(11, m), data(12, m), data(13, m), data(14, 10)
	f1 := putPart(t, s, b, "obj2", id, 1, q1, blob.PartOptions{})
	f2old := putPart(t, s, b, "obj2", id, 2, q2old, blob.PartOptions{})
	f2 := putPart(t, s, b, "obj2", id, 2, q2, blob.PartOptions{})
	f3 := putPart(t, s, b, "obj2", id, 3, q3, blob.PartOptions{})
	lp, err := s.ListParts(ctx, b, "obj2", id, blob.ListPartsOptions{})
	if err != nil || len(lp.Parts) != 3 || lp.Parts[1].ETag != f2.ETag {
		t.Fatalf("ListParts after re-upload: %+v, %v", lp.Parts, err)
	}
	_, err = s.CompleteUpload(ctx, b, "obj2", id, []blob.CompletePart{{Number: 1, ETag: f1.ETag}, {Number: 2, ETag: f2old.ETag}}, blob.CompleteOptions{})
	wantErr(t, "completing with the replaced part's ETag", err, blob.ErrInvalidPart)
	info, err = s.CompleteUpload(ctx, b, "obj2", id, []blob.CompletePart{{Number: 1, ETag: f1.ETag}, {Number: 3, ETag: f3.ETag}}, blob.CompleteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := multipartETag(q1, q3); info.ETag != want {
		t.Fatalf("ETag %s, want %s", info.ETag, want)
	}
	mustHave(t, s, b, "obj2", append(append([]byte(nil), q1...), q3...))

	// Completing over an existing object replaces it; a single part is fine.
	id = createUpload(t, s, b, "obj2", blob.UploadOptions{})
	only := putPart(t, s, b, "obj2", id, 7, []byte("tiny last part"), blob.PartOptions{})
	info, err = s.CompleteUpload(ctx, b, "obj2", id, []blob.CompletePart{{Number: 7, ETag: only.ETag}}, blob.CompleteOptions{})
	if err != nil || info.PartsCount != 1 || info.ETag != multipartETag([]byte("tiny last part")) {
		t.Fatalf("one-part upload: %+v, %v", info, err)
	}
	mustHave(t, s, b, "obj2", []byte("tiny last part"))

	// Conditional completion.
	id = createUpload(t, s, b, "obj2", blob.UploadOptions{})
	x := putPart(t, s, b, "obj2", id, 1, []byte("x"), blob.PartOptions{})
	_, err = s.CompleteUpload(ctx, b, "obj2", id, []blob.CompletePart{{Number: 1, ETag: x.ETag}}, blob.CompleteOptions{IfNoneMatch: "*"})
	wantErr(t, "CompleteUpload If-None-Match * over an object", err, blob.ErrPreconditionFailed)
	mustHave(t, s, b, "obj2", []byte("tiny last part"))
	if _, err := s.CompleteUpload(ctx, b, "obj2", id, []blob.CompletePart{{Number: 1, ETag: x.ETag}}, blob.CompleteOptions{IfMatch: info.ETag}); err != nil {
		t.Fatalf("CompleteUpload with a matching If-Match: %v", err)
	}
	mustHave(t, s, b, "obj2", []byte("x"))
}

func testMultipartErrors(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	m := int(minPartSize(s))
	id := createUpload(t, s, b, "k", blob.UploadOptions{})
	small := data(1, m-1)
	e1 := putPart(t, s, b, "k", id, 1, data(2, m), blob.PartOptions{})
	e2 := putPart(t, s, b, "k", id, 2, small, blob.PartOptions{})
	e3 := putPart(t, s, b, "k", id, 3, data(3, 10), blob.PartOptions{})
	complete := func(parts ...blob.CompletePart) error {
		_, err := s.CompleteUpload(ctx, b, "k", id, parts, blob.CompleteOptions{})
		return err
	}
	p1 := blob.CompletePart{Number: 1, ETag: e1.ETag}
	p2 := blob.CompletePart{Number: 2, ETag: e2.ETag}
	p3 := blob.CompletePart{Number: 3, ETag: e3.ETag}
	wantErr(t, "wrong order", complete(p2, p1), blob.ErrInvalidPartOrder)
	wantErr(t, "duplicate part", complete(p1, p1), blob.ErrInvalidPartOrder)
	wantErr(t, "wrong ETag", complete(p1, blob.CompletePart{Number: 3, ETag: e1.ETag}), blob.ErrInvalidPart)
	wantErr(t, "unknown part", complete(p1, blob.CompletePart{Number: 4, ETag: e1.ETag}), blob.ErrInvalidPart)
	wantErr(t, "no parts", complete(), blob.ErrInvalidPart)
	wantErr(t, "too-small part before the last", complete(p1, p2, p3), blob.ErrEntityTooSmall)
	mustNotExist(t, s, b, "k")
	// The failures left the upload usable: a small part is fine last.
	if err := complete(p1, p2); err != nil {
		t.Fatalf("complete after failures: %v", err)
	}

	_, err := s.PutPart(ctx, b, "k", id, 1, bytes.NewReader([]byte("x")), blob.PartOptions{Size: 1})
	wantErr(t, "PutPart after completion", err, blob.ErrNoSuchUpload)

	id = createUpload(t, s, b, "k2", blob.UploadOptions{})
	a1 := putPart(t, s, b, "k2", id, 1, []byte("part"), blob.PartOptions{})
	for _, n := range []int{0, -1, blob.MaxParts + 1} {
		_, err := s.PutPart(ctx, b, "k2", id, n, bytes.NewReader([]byte("x")), blob.PartOptions{Size: 1})
		wantErr(t, fmt.Sprintf("part number %d", n), err, blob.ErrInvalidPartNumber)
	}
	if _, err := s.PutPart(ctx, b, "k2", id, blob.MaxParts, bytes.NewReader([]byte("x")), blob.PartOptions{Size: 1}); err != nil {
		t.Fatalf("part number %d: %v", blob.MaxParts, err)
	}
	// A failing body leaves the earlier part in place.
	_, err = s.PutPart(ctx, b, "k2", id, 1, &failingReader{bytes.NewReader(data(5, 1000)), errChecksumMismatch}, blob.PartOptions{Size: -1})
	wantErr(t, "PutPart with a failing body", err, errChecksumMismatch)
	lp, err := s.ListParts(ctx, b, "k2", id, blob.ListPartsOptions{})
	if err != nil || len(lp.Parts) != 2 || lp.Parts[0].ETag != a1.ETag {
		t.Fatalf("ListParts after a failed PutPart: %+v, %v", lp.Parts, err)
	}
	// The upload belongs to its key.
	_, err = s.PutPart(ctx, b, "other", id, 1, bytes.NewReader([]byte("x")), blob.PartOptions{Size: 1})
	wantErr(t, "PutPart with another key", err, blob.ErrNoSuchUpload)
	_, err = s.CompleteUpload(ctx, b, "other", id, []blob.CompletePart{{Number: 1, ETag: a1.ETag}}, blob.CompleteOptions{})
	wantErr(t, "CompleteUpload with another key", err, blob.ErrNoSuchUpload)
	wantErr(t, "AbortUpload with another key", s.AbortUpload(ctx, b, "other", id), blob.ErrNoSuchUpload)
	_, err = s.PutPart(ctx, b, "k2", "no-such-upload-id", 1, bytes.NewReader([]byte("x")), blob.PartOptions{Size: 1})
	wantErr(t, "PutPart with a made-up upload ID", err, blob.ErrNoSuchUpload)

	if err := s.AbortUpload(ctx, b, "k2", id); err != nil {
		t.Fatal(err)
	}
	_, err = s.CompleteUpload(ctx, b, "k2", id, []blob.CompletePart{{Number: 1, ETag: a1.ETag}}, blob.CompleteOptions{})
	wantErr(t, "complete after abort", err, blob.ErrNoSuchUpload)
	wantErr(t, "abort twice", s.AbortUpload(ctx, b, "k2", id), blob.ErrNoSuchUpload)
	_, err = s.PutPart(ctx, b, "k2", id, 2, bytes.NewReader([]byte("x")), blob.PartOptions{Size: 1})
	wantErr(t, "PutPart after abort", err, blob.ErrNoSuchUpload)
	_, err = s.ListParts(ctx, b, "k2", id, blob.ListPartsOptions{})
	wantErr(t, "ListParts after abort", err, blob.ErrNoSuchUpload)
	mustNotExist(t, s, b, "k2")
}

func testMultipartChecksums(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	m := int(minPartSize(s))
	parts := [][]byte{data(1, m), data(2, m), data(3, 77)}
	var all []byte
	for _, p := range parts {
		all = append(all, p...)
	}
	for _, tc := range []struct {
		alg         blob.ChecksumAlgorithm
		typ         blob.ChecksumType
		callerSends bool // the caller passes part checksums (else the backend computes them)
	}{
		{blob.CRC32, blob.ChecksumComposite, true},
		{blob.SHA256, blob.ChecksumComposite, false},
		{blob.CRC32C, blob.ChecksumFullObject, true},
		{blob.CRC64NVME, blob.ChecksumFullObject, false},
	} {
		name := fmt.Sprintf("%s-%s", tc.alg, tc.typ)
		id := createUpload(t, s, b, name, blob.UploadOptions{ChecksumAlgorithm: tc.alg, ChecksumType: tc.typ})
		var cps []blob.CompletePart
		var partSums []string
		for i, p := range parts {
			opts := blob.PartOptions{}
			sum := digest(tc.alg, p)
			partSums = append(partSums, sum)
			if tc.callerSends {
				opts.Checksums = blob.Checksums{tc.alg: sum}
			}
			info := putPart(t, s, b, name, id, i+1, p, opts)
			if info.Checksums[tc.alg] != sum {
				t.Fatalf("%s: part %d checksum %q, want %q", name, i+1, info.Checksums[tc.alg], sum)
			}
			cps = append(cps, blob.CompletePart{Number: i + 1, ETag: info.ETag, Checksums: blob.Checksums{tc.alg: sum}})
		}
		want := digest(tc.alg, all)
		if tc.typ == blob.ChecksumComposite {
			var err error
			if want, err = blob.CompositeChecksum(tc.alg, partSums); err != nil {
				t.Fatal(err)
			}
		}
		bad := append([]blob.CompletePart(nil), cps...)
		bad[1].Checksums = blob.Checksums{tc.alg: partSums[0]}
		_, err := s.CompleteUpload(ctx, b, name, id, bad, blob.CompleteOptions{})
		wantErr(t, name+": part checksum mismatch", err, blob.ErrInvalidPart)
		_, err = s.CompleteUpload(ctx, b, name, id, cps, blob.CompleteOptions{Checksums: blob.Checksums{tc.alg: partSums[0]}})
		wantErr(t, name+": object checksum mismatch", err, blob.ErrBadDigest)
		info, err := s.CompleteUpload(ctx, b, name, id, cps, blob.CompleteOptions{Checksums: blob.Checksums{tc.alg: want}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if info.Checksums[tc.alg] != want || info.ChecksumType != tc.typ {
			t.Fatalf("%s: object checksum %q type %q, want %q type %q", name, info.Checksums[tc.alg], info.ChecksumType, want, tc.typ)
		}
		head, err := s.Head(ctx, b, name)
		if err != nil || head.Checksums[tc.alg] != want || head.ChecksumType != tc.typ {
			t.Fatalf("%s: Head checksums %v type %q, %v", name, head.Checksums, head.ChecksumType, err)
		}
		mustHave(t, s, b, name, all)
	}
	_, err := s.CreateUpload(ctx, b, "x", blob.UploadOptions{ChecksumAlgorithm: blob.SHA1, ChecksumType: blob.ChecksumFullObject})
	wantErr(t, "full-object SHA1", err, blob.ErrInvalidChecksum)
}

func testListParts(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	meta := blob.Metadata{ContentType: "a/b"}
	id := createUpload(t, s, b, "k", blob.UploadOptions{Metadata: meta, ChecksumAlgorithm: blob.CRC32})
	var want []blob.PartInfo
	for _, n := range []int{1, 2, 5, 9, 10} {
		want = append(want, putPart(t, s, b, "k", id, n, data(uint64(n), n*10), blob.PartOptions{}))
	}
	var got []blob.PartInfo
	marker := 0
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("ListParts pagination does not end")
		}
		res, err := s.ListParts(ctx, b, "k", id, blob.ListPartsOptions{PartNumberMarker: marker, MaxParts: 2})
		if err != nil {
			t.Fatal(err)
		}
		if res.Upload.UploadID != id || res.Upload.Key != "k" || res.Upload.ChecksumAlgorithm != blob.CRC32 || res.Upload.Metadata.ContentType != "a/b" {
			t.Fatalf("ListParts Upload = %+v", res.Upload)
		}
		if len(res.Parts) > 2 {
			t.Fatalf("ListParts returned %d parts with MaxParts 2", len(res.Parts))
		}
		got = append(got, res.Parts...)
		if !res.IsTruncated {
			break
		}
		if res.NextPartNumberMarker != res.Parts[len(res.Parts)-1].Number {
			t.Fatalf("NextPartNumberMarker %d, last part %d", res.NextPartNumberMarker, res.Parts[len(res.Parts)-1].Number)
		}
		marker = res.NextPartNumberMarker
	}
	if len(got) != len(want) {
		t.Fatalf("ListParts listed %d parts, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Number != w.Number || g.ETag != w.ETag || g.Size != w.Size || !g.LastModified.Equal(w.LastModified) || !g.Checksums.Equal(w.Checksums) {
			t.Fatalf("part %d: listed %+v, uploaded %+v", i, g, w)
		}
	}
	res, err := s.ListParts(ctx, b, "k", id, blob.ListPartsOptions{PartNumberMarker: 10})
	if err != nil || len(res.Parts) != 0 || res.IsTruncated {
		t.Fatalf("ListParts after the last part: %+v, %v", res, err)
	}
	_, err = s.ListParts(ctx, b, "k", "unknown", blob.ListPartsOptions{})
	wantErr(t, "ListParts of an unknown upload", err, blob.ErrNoSuchUpload)
}

type uploadRef struct{ Key, ID string }

func testListUploads(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	var created []uploadRef
	for _, k := range []string{"a/1", "a/1", "a/2", "b", "c/d/e", "a/1"} {
		created = append(created, uploadRef{k, createUpload(t, s, b, k, blob.UploadOptions{})})
	}
	list := func(o blob.ListUploadsOptions) blob.ListUploadsResult {
		t.Helper()
		res, err := s.ListUploads(ctx, b, o)
		if err != nil {
			t.Fatalf("ListUploads(%+v): %v", o, err)
		}
		return res
	}
	refs := func(us []blob.UploadInfo) []uploadRef {
		var out []uploadRef
		for _, u := range us {
			out = append(out, uploadRef{u.Key, u.UploadID})
		}
		return out
	}
	full := list(blob.ListUploadsOptions{})
	if full.IsTruncated || len(full.Uploads) != len(created) {
		t.Fatalf("ListUploads: %d uploads, truncated %v; want %d", len(full.Uploads), full.IsTruncated, len(created))
	}
	all := refs(full.Uploads)
	if !sort.SliceIsSorted(all, func(i, j int) bool { return all[i].Key < all[j].Key }) {
		t.Fatalf("uploads not in key order: %v", all)
	}
	wantSet := append([]uploadRef(nil), created...)
	gotSet := append([]uploadRef(nil), all...)
	byKeyID := func(r []uploadRef) func(i, j int) bool {
		return func(i, j int) bool { return r[i].Key+"\x00"+r[i].ID < r[j].Key+"\x00"+r[j].ID }
	}
	sort.Slice(wantSet, byKeyID(wantSet))
	sort.Slice(gotSet, byKeyID(gotSet))
	if diff := cmp.Diff(wantSet, gotSet); diff != "" {
		t.Fatalf("listed uploads (-want +got):\n%s", diff)
	}
	for _, u := range full.Uploads {
		if u.Initiated.IsZero() || u.Bucket != b {
			t.Fatalf("upload info %+v", u)
		}
	}
	// Paging with any page size yields the same sequence.
	for _, max := range []int{1, 2, 4} {
		var paged []uploadRef
		o := blob.ListUploadsOptions{MaxUploads: max}
		for page := 0; ; page++ {
			if page > len(created)+1 {
				t.Fatal("ListUploads pagination does not end")
			}
			res := list(o)
			if len(res.Uploads) > max {
				t.Fatalf("%d uploads with MaxUploads %d", len(res.Uploads), max)
			}
			paged = append(paged, refs(res.Uploads)...)
			if !res.IsTruncated {
				break
			}
			o.KeyMarker, o.UploadIDMarker = res.NextKeyMarker, res.NextUploadIDMarker
		}
		if diff := cmp.Diff(all, paged); diff != "" {
			t.Fatalf("paged by %d (-want +got):\n%s", max, diff)
		}
	}
	// KeyMarker alone skips every upload of that key.
	res := list(blob.ListUploadsOptions{KeyMarker: "a/1"})
	if diff := cmp.Diff(all[3:], refs(res.Uploads)); diff != "" {
		t.Fatalf("KeyMarker a/1 (-want +got):\n%s", diff)
	}
	// KeyMarker with UploadIDMarker continues within the key.
	res = list(blob.ListUploadsOptions{KeyMarker: "a/1", UploadIDMarker: all[0].ID})
	if diff := cmp.Diff(all[1:], refs(res.Uploads)); diff != "" {
		t.Fatalf("KeyMarker a/1 + UploadIDMarker (-want +got):\n%s", diff)
	}
	// Prefix and delimiter.
	res = list(blob.ListUploadsOptions{Delimiter: "/"})
	if diff := cmp.Diff([]string{"a/", "c/"}, res.CommonPrefixes); diff != "" || len(res.Uploads) != 1 || res.Uploads[0].Key != "b" {
		t.Fatalf("delimiter /: uploads %v, prefixes (-want +got):\n%s", refs(res.Uploads), diff)
	}
	res = list(blob.ListUploadsOptions{Prefix: "a/", Delimiter: "/"})
	if len(res.Uploads) != 4 || len(res.CommonPrefixes) != 0 {
		t.Fatalf("prefix a/: %v %v", refs(res.Uploads), res.CommonPrefixes)
	}
	res = list(blob.ListUploadsOptions{Prefix: "c/", Delimiter: "/"})
	if diff := cmp.Diff([]string{"c/d/"}, res.CommonPrefixes); diff != "" || len(res.Uploads) != 0 {
		t.Fatalf("prefix c/: uploads %v prefixes (-want +got):\n%s", refs(res.Uploads), diff)
	}
	res = list(blob.ListUploadsOptions{Delimiter: "/", MaxUploads: 1})
	if !res.IsTruncated || res.NextKeyMarker != "a/" || len(res.CommonPrefixes) != 1 {
		t.Fatalf("delimiter / max 1: %+v", res)
	}
	res = list(blob.ListUploadsOptions{Delimiter: "/", KeyMarker: "a/"})
	if len(res.Uploads) != 1 || res.Uploads[0].Key != "b" || len(res.CommonPrefixes) != 1 || res.CommonPrefixes[0] != "c/" {
		t.Fatalf("delimiter / after a/: %+v", res)
	}
	// Completed and aborted uploads disappear from the list.
	if err := s.AbortUpload(ctx, b, created[3].Key, created[3].ID); err != nil {
		t.Fatal(err)
	}
	if n := len(list(blob.ListUploadsOptions{}).Uploads); n != len(created)-1 {
		t.Fatalf("%d uploads after an abort, want %d", n, len(created)-1)
	}
}

func testDeleteBucketNotEmpty(t *testing.T, s blob.Store) {
	ctx := context.Background()
	b := newBucket(t, s)
	put(t, s, b, "k", []byte("x"))
	wantErr(t, "DeleteBucket with an object", s.DeleteBucket(ctx, b), blob.ErrBucketNotEmpty)
	mustHave(t, s, b, "k", []byte("x"))
	if err := s.Delete(ctx, b, "k"); err != nil {
		t.Fatal(err)
	}
	id := createUpload(t, s, b, "u", blob.UploadOptions{})
	wantErr(t, "DeleteBucket with an upload", s.DeleteBucket(ctx, b), blob.ErrBucketNotEmpty)
	if err := s.AbortUpload(ctx, b, "u", id); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, b); err != nil {
		t.Fatalf("DeleteBucket once empty: %v", err)
	}
}
