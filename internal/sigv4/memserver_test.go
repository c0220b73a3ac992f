package sigv4

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// memS3 is a stand-in S3 endpoint for client tests: it authenticates every
// request with a Verifier against an in-memory key map and keeps objects in
// memory. It knows just enough S3 (buckets, PUT/GET/HEAD/DELETE object,
// ListObjects v1/v2, ListBuckets, multipart) to satisfy real clients. An
// object is stored only after its body was read to a clean io.EOF.
type memS3 struct {
	t    testing.TB
	v    *Verifier
	keys map[string]string

	mu       sync.Mutex
	buckets  map[string]bool
	objects  map[string]memObject // "bucket/key"
	uploads  map[string]map[int][]byte
	stores   int                 // committed writes (objects and parts)
	modes    map[PayloadMode]int // payload modes seen on authenticated requests
	chunkedT int                 // requests that came with HTTP chunked transfer
	authErrs []string            // codes of the errors returned
	lastErr  error
	served   int // requests completed
	cond     *sync.Cond
}

type memObject struct {
	data      []byte
	etag      string
	checksums []Checksum
	encoding  string
}

func newMemS3(t testing.TB, keys map[string]string) *memS3 {
	v, err := NewVerifier(Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &memS3{t: t, v: v, keys: keys, buckets: map[string]bool{}, objects: map[string]memObject{},
		uploads: map[string]map[int][]byte{}, modes: map[PayloadMode]int{}}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// waitServed blocks until n requests have completed (a client may give up
// on a request before the handler finishes with it).
func (s *memS3) waitServed(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.served < n {
		s.cond.Wait()
	}
}

func (s *memS3) servedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served
}

func (s *memS3) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: "InternalError", Message: err.Error(), Status: 500}
	}
	s.mu.Lock()
	s.authErrs = append(s.authErrs, e.Code)
	s.lastErr = err
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.Status)
	if r.Method == http.MethodHead {
		return
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>1</RequestId></Error>`,
		xmlText(e.Code), xmlText(e.Message))
}

func xmlText(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (s *memS3) counts() (stores int, errs []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stores, append([]string(nil), s.authErrs...)
}

func (s *memS3) object(bucket, key string) (memObject, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.objects[bucket+"/"+key]
	return o, ok
}

func (s *memS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		s.mu.Lock()
		s.served++
		s.cond.Broadcast()
		s.mu.Unlock()
	}()
	a, err := Parse(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if a == nil {
		s.fail(w, r, newErr(CodeAccessDenied, "Access Denied"))
		return
	}
	secret, ok := s.keys[a.AccessKeyID]
	if !ok {
		s.fail(w, r, &Error{Code: CodeInvalidAccessKeyID, Status: 403, Message: "The AWS Access Key Id you provided does not exist in our records."})
		return
	}
	body, err := s.v.Verify(r, a, Credential{AccessKeyID: a.AccessKeyID, CacheID: a.AccessKeyID, Secret: []byte(secret)},
		VerifyOptions{Service: "s3", ComputeMD5: true})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer body.Close()
	s.mu.Lock()
	s.modes[a.Payload]++
	if len(r.TransferEncoding) > 0 {
		s.chunkedT++
	}
	s.mu.Unlock()

	// Path-style addressing: /bucket/key.
	p := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ := strings.Cut(p, "/")
	q := r.URL.Query()
	switch {
	case bucket == "":
		s.listBuckets(w)
	case key == "" && r.Method == http.MethodPut:
		if _, err := io.ReadAll(body); err != nil {
			s.fail(w, r, err)
			return
		}
		s.mu.Lock()
		s.buckets[bucket] = true
		s.mu.Unlock()
		w.Header().Set("Location", "/"+bucket)
	case key == "" && r.Method == http.MethodHead:
		if !s.hasBucket(bucket) {
			w.WriteHeader(404)
		}
	case key == "" && r.Method == http.MethodGet:
		if q.Has("location") {
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>`)
			return
		}
		s.list(w, bucket, q.Get("list-type") == "2", q.Get("prefix"))
	case r.Method == http.MethodPost && q.Has("uploads"):
		id := strconv.Itoa(len(s.uploads) + 1)
		s.mu.Lock()
		s.uploads[id] = map[int][]byte{}
		s.mu.Unlock()
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>%s</Bucket><Key>%s</Key><UploadId>%s</UploadId></InitiateMultipartUploadResult>`,
			xmlText(bucket), xmlText(key), id)
	case r.Method == http.MethodPut && q.Has("uploadId"):
		data, err := io.ReadAll(body)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		n, _ := strconv.Atoi(q.Get("partNumber"))
		s.mu.Lock()
		parts, ok := s.uploads[q.Get("uploadId")]
		if ok {
			parts[n] = data
			s.stores++
		}
		s.mu.Unlock()
		if !ok {
			w.WriteHeader(404)
			return
		}
		sum := md5.Sum(data)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
		for _, c := range body.Checksums() {
			w.Header().Set("x-amz-checksum-"+strings.ToLower(c.Algorithm), c.Value)
		}
	case r.Method == http.MethodPost && q.Has("uploadId"):
		if _, err := io.ReadAll(body); err != nil {
			s.fail(w, r, err)
			return
		}
		s.mu.Lock()
		parts := s.uploads[q.Get("uploadId")]
		delete(s.uploads, q.Get("uploadId"))
		nums := make([]int, 0, len(parts))
		for n := range parts {
			nums = append(nums, n)
		}
		sort.Ints(nums)
		var data []byte
		for _, n := range nums {
			data = append(data, parts[n]...)
		}
		etag := fmt.Sprintf(`"%x-%d"`, md5.Sum(data), len(nums))
		s.objects[bucket+"/"+key] = memObject{data: data, etag: etag}
		s.stores++
		s.mu.Unlock()
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>%s</Bucket><Key>%s</Key><ETag>%s</ETag></CompleteMultipartUploadResult>`,
			xmlText(bucket), xmlText(key), xmlText(etag))
	case r.Method == http.MethodPut:
		data, err := io.ReadAll(body)
		if err != nil {
			s.fail(w, r, err) // never stored
			return
		}
		o := memObject{data: data, etag: `"` + body.MD5() + `"`, checksums: body.Checksums(), encoding: body.ContentEncoding()}
		s.mu.Lock()
		s.objects[bucket+"/"+key] = o
		s.stores++
		s.mu.Unlock()
		w.Header().Set("ETag", o.etag)
		for _, c := range o.checksums {
			w.Header().Set("x-amz-checksum-"+strings.ToLower(c.Algorithm), c.Value)
		}
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		o, ok := s.object(bucket, key)
		if !ok {
			s.fail(w, r, &Error{Code: "NoSuchKey", Status: 404, Message: "The specified key does not exist."})
			return
		}
		w.Header().Set("ETag", o.etag)
		w.Header().Set("Last-Modified", time.Unix(1700000000, 0).UTC().Format(http.TimeFormat))
		w.Header().Set("Content-Type", "application/octet-stream")
		if o.encoding != "" {
			w.Header().Set("Content-Encoding", o.encoding)
		}
		if r.Header.Get("Range") == "" {
			for _, c := range o.checksums {
				w.Header().Set("x-amz-checksum-"+strings.ToLower(c.Algorithm), c.Value)
			}
		}
		http.ServeContent(w, r, "", time.Unix(1700000000, 0), strings.NewReader(string(o.data)))
	case r.Method == http.MethodDelete:
		s.mu.Lock()
		delete(s.objects, bucket+"/"+key)
		delete(s.uploads, q.Get("uploadId"))
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	default:
		s.fail(w, r, &Error{Code: "NotImplemented", Status: 501, Message: r.Method + " " + r.URL.String()})
	}
}

func (s *memS3) hasBucket(b string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buckets[b]
}

func (s *memS3) listBuckets(w http.ResponseWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>o</ID><DisplayName>o</DisplayName></Owner><Buckets>`)
	for name := range s.buckets {
		fmt.Fprintf(&b, `<Bucket><Name>%s</Name><CreationDate>2024-01-01T00:00:00.000Z</CreationDate></Bucket>`, xmlText(name))
	}
	b.WriteString(`</Buckets></ListAllMyBucketsResult>`)
	io.WriteString(w, b.String())
}

func (s *memS3) list(w http.ResponseWriter, bucket string, v2 bool, prefix string) {
	s.mu.Lock()
	var keys []string
	for k := range s.objects {
		if b, key, _ := strings.Cut(k, "/"); b == bucket && strings.HasPrefix(key, prefix) {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>%s</Name><Prefix>%s</Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>`,
		xmlText(bucket), xmlText(prefix))
	if v2 {
		fmt.Fprintf(&b, `<KeyCount>%d</KeyCount>`, len(keys))
	}
	for _, k := range keys {
		o := s.objects[bucket+"/"+k]
		fmt.Fprintf(&b, `<Contents><Key>%s</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>%s</ETag><Size>%d</Size><StorageClass>STANDARD</StorageClass></Contents>`,
			xmlText(k), xmlText(o.etag), len(o.data))
	}
	b.WriteString(`</ListBucketResult>`)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/xml")
	io.WriteString(w, b.String())
}
