package blobtest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// Run runs the suite. newStore returns a ready store; it may return the same
// backend for every call, as the suite creates uniquely named buckets, and it
// should register the store's Close with t.Cleanup. A store that implements
// MinPartSize() int64 gets multipart tests with parts of that size instead
// of 5 MiB.
func Run(t *testing.T, newStore func(t *testing.T) blob.Store) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, blob.Store)
	}{
		{"Buckets", testBuckets},
		{"PutGetHead", testPutGetHead},
		{"Keys", testKeys},
		{"Metadata", testMetadata},
		{"Checksums", testChecksums},
		{"ConditionalPut", testConditionalPut},
		{"Ranges", testRanges},
		{"BadBodies", testBadBodies},
		{"Generation", testGeneration},
		{"Delete", testDelete},
		{"Copy", testCopy},
		{"ListTable", testListTable},
		{"ListAgainstModel", testListAgainstModel},
		{"ConcurrentPutsSameKey", testConcurrentPutsSameKey},
		{"PutRacingDelete", testPutRacingDelete},
		{"ReadersDuringOverwrite", testReadersDuringOverwrite},
		{"OpenReaderSurvivesOverwrite", testOpenReaderSurvivesOverwrite},
		{"Multipart", testMultipart},
		{"MultipartErrors", testMultipartErrors},
		{"MultipartChecksums", testMultipartChecksums},
		{"ListParts", testListParts},
		{"ListUploads", testListUploads},
		{"DeleteBucketNotEmpty", testDeleteBucketNotEmpty},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

var bucketSeq atomic.Int64

// newBucket creates a bucket with a name valid for S3 and unique in this run.
func newBucket(t *testing.T, s blob.Store) string {
	t.Helper()
	name := fmt.Sprintf("blobtest-%08x-%d", rand.Uint32(), bucketSeq.Add(1))
	if err := s.CreateBucket(context.Background(), name); err != nil {
		t.Fatalf("CreateBucket(%q): %v", name, err)
	}
	return name
}

func minPartSize(s blob.Store) int64 {
	if m, ok := s.(interface{ MinPartSize() int64 }); ok {
		return m.MinPartSize()
	}
	return blob.MinPartSize
}

// data returns n deterministic pseudo-random bytes.
func data(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func put(t *testing.T, s blob.Store, bucket, key string, body []byte) blob.ObjectInfo {
	t.Helper()
	info, err := s.Put(context.Background(), bucket, key, bytes.NewReader(body), blob.PutOptions{Size: int64(len(body))})
	if err != nil {
		t.Fatalf("Put(%q, %d bytes): %v", key, len(body), err)
	}
	return info
}

func get(t *testing.T, s blob.Store, bucket, key string, opts blob.GetOptions) ([]byte, *blob.Object) {
	t.Helper()
	obj, err := s.Get(context.Background(), bucket, key, opts)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer obj.Body.Close()
	b, err := io.ReadAll(obj.Body)
	if err != nil {
		t.Fatalf("Get(%q): read: %v", key, err)
	}
	return b, obj
}

// getVia reads the body with io.Copy into a bytes.Buffer (exercising WriterTo
// where the body has one) instead of Read calls.
func getVia(t *testing.T, s blob.Store, bucket, key string, opts blob.GetOptions) []byte {
	t.Helper()
	obj, err := s.Get(context.Background(), bucket, key, opts)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer obj.Body.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, obj.Body); err != nil {
		t.Fatalf("Get(%q): copy: %v", key, err)
	}
	return buf.Bytes()
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func mustNotExist(t *testing.T, s blob.Store, bucket, key string) {
	t.Helper()
	_, err := s.Head(context.Background(), bucket, key)
	wantErr(t, fmt.Sprintf("Head(%q)", key), err, blob.ErrNoSuchKey)
	_, err = s.Get(context.Background(), bucket, key, blob.GetOptions{})
	wantErr(t, fmt.Sprintf("Get(%q)", key), err, blob.ErrNoSuchKey)
}

func mustHave(t *testing.T, s blob.Store, bucket, key string, want []byte) blob.ObjectInfo {
	t.Helper()
	got, obj := get(t, s, bucket, key, blob.GetOptions{})
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q): %d bytes (md5 %s), want %d bytes (md5 %s)", key, len(got), md5hex(got), len(want), md5hex(want))
	}
	if obj.Info.Size != int64(len(want)) {
		t.Fatalf("Get(%q): Info.Size %d, want %d", key, obj.Info.Size, len(want))
	}
	return obj.Info
}
