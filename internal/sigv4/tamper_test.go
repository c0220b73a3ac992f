package sigv4

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/minio/minio-go/v7/pkg/signer"
)

// Tampered requests against the live stand-in: each must fail with the
// right code, and the handler must never store the object.

// sha256Hasher adapts sha256 to minio-go's md5simd.Hasher.
type sha256Hasher struct{ hash.Hash }

func (sha256Hasher) Close() {}

// sdkSign signs r (header auth, S3 rules) with aws-sdk-go-v2's signer.
func sdkSign(t testing.TB, r *http.Request, payloadHash, secret string, at time.Time) {
	t.Helper()
	err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).SignHTTP(context.Background(),
		aws.Credentials{AccessKeyID: testAK, SecretAccessKey: secret}, r, payloadHash, "s3", "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
}

// minioStreaming returns a PUT signed by minio-go's streaming signer and its
// encoded aws-chunked body. trailer, if set, makes it a signed-trailer body.
func minioStreaming(t testing.TB, url string, data []byte, trailer http.Header) (*http.Request, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Trailer = trailer
	req = signer.StreamingSignV4(req, testAK, testSecret, "", "us-east-1", int64(len(data)), time.Now().UTC(), sha256Hasher{sha256.New()})
	enc, err := io.ReadAll(req.Body)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(enc)) != req.ContentLength {
		t.Fatalf("minio-go encoded %d bytes, announced %d", len(enc), req.ContentLength)
	}
	return req, enc
}

// unsignedTrailerBody encodes data as STREAMING-UNSIGNED-PAYLOAD-TRAILER
// the way aws-sdk-go-v2 does.
func unsignedTrailerBody(data []byte, chunk int, trailers ...string) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		n := min(chunk, len(data))
		b.WriteString(strconv.FormatInt(int64(n), 16) + "\r\n")
		b.Write(data[:n])
		b.WriteString("\r\n")
		data = data[n:]
	}
	b.WriteString("0\r\n")
	for _, tr := range trailers {
		b.WriteString(tr + "\r\n")
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

func crc32b64(data []byte) string {
	var s [4]byte
	v := crc32.ChecksumIEEE(data)
	s[0], s[1], s[2], s[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	return base64.StdEncoding.EncodeToString(s[:])
}

func TestTamperedUploads(t *testing.T) {
	srv, ts := startMemS3(t, false)
	data := randomBytes(t, 150_000) // three 64 KiB minio chunks
	url := ts.URL + "/bkt/obj"

	type tc struct {
		name string
		req  func() *http.Request
		code string // expected error code recorded by the server
	}
	send := func(r *http.Request, body []byte) *http.Request {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.GetBody = nil
		return r
	}
	unsignedTrailer := func(body []byte, trailer string, hdr map[string]string) *http.Request {
		r, _ := http.NewRequest(http.MethodPut, url, nil)
		r.Header.Set("Content-Encoding", "aws-chunked")
		r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)))
		r.Header.Set("X-Amz-Trailer", trailer)
		r.Header.Set("X-Amz-Content-Sha256", StreamingUnsignedPayloadTrailer)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		r.ContentLength = int64(len(body))
		sdkSign(t, r, StreamingUnsignedPayloadTrailer, testSecret, time.Now())
		return send(r, body)
	}
	literal := func(body []byte, hash string, hdr map[string]string, at time.Time) *http.Request {
		r, _ := http.NewRequest(http.MethodPut, url, nil)
		r.Header.Set("X-Amz-Content-Sha256", hash)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		r.ContentLength = int64(len(body))
		sdkSign(t, r, hash, testSecret, at)
		return send(r, body)
	}
	sum := sha256.Sum256(data)
	dataHash := hex.EncodeToString(sum[:])
	md5sum := md5.Sum(data)

	cases := []tc{
		{"corrupted chunk", func() *http.Request {
			r, enc := minioStreaming(t, url, data, nil)
			enc[len(enc)/2] ^= 1
			return send(r, enc)
		}, CodeSignatureDoesNotMatch},
		{"wrong chunk signature", func() *http.Request {
			r, enc := minioStreaming(t, url, data, nil)
			i := bytes.Index(enc[100:], []byte("chunk-signature=")) + 100 + len("chunk-signature=")
			if enc[i] == '0' {
				enc[i] = '1'
			} else {
				enc[i] = '0'
			}
			return send(r, enc)
		}, CodeSignatureDoesNotMatch},
		{"chunks reordered", func() *http.Request {
			r, enc := minioStreaming(t, url, bytes.Repeat(data[:65536], 2), nil)
			// Same bytes, same lengths: only the chained signatures differ.
			first := bytes.Index(enc, []byte("\r\n")) + 2
			sigLen := len("10000;chunk-signature=") + 64
			second := first + 65536 + 2
			a, b := bytes.Clone(enc[:sigLen]), bytes.Clone(enc[second:second+sigLen])
			copy(enc[:sigLen], b)
			copy(enc[second:second+sigLen], a)
			return send(r, enc)
		}, CodeSignatureDoesNotMatch},
		{"final chunk missing", func() *http.Request {
			r, enc := minioStreaming(t, url, data, nil)
			cut := bytes.LastIndex(enc, []byte("0;chunk-signature="))
			return send(r, enc[:cut])
		}, CodeIncompleteBody},
		{"decoded length larger than body", func() *http.Request {
			r, enc := minioStreaming(t, url, data, nil)
			r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(data)+1))
			return send(r, enc) // the seed signature covers the header
		}, CodeSignatureDoesNotMatch},
		{"wrong signed trailing checksum", func() *http.Request {
			r, enc := minioStreaming(t, url, data, http.Header{"x-amz-checksum-crc32": {crc32b64(data[1:])}})
			return send(r, enc)
		}, CodeBadDigest},
		{"trailer changed after signing", func() *http.Request {
			r, enc := minioStreaming(t, url, data, http.Header{"x-amz-checksum-crc32": {crc32b64(data)}})
			enc = bytes.Replace(enc, []byte(crc32b64(data)), []byte(crc32b64(data[1:])), 1)
			return send(r, enc)
		}, CodeSignatureDoesNotMatch},
		{"wrong unsigned trailing checksum", func() *http.Request {
			return unsignedTrailer(unsignedTrailerBody(data, 65536, "x-amz-checksum-crc32:"+crc32b64(data[1:])), "x-amz-checksum-crc32", nil)
		}, CodeBadDigest},
		{"corrupted unsigned-trailer chunk", func() *http.Request {
			body := unsignedTrailerBody(data, 65536, "x-amz-checksum-crc32:"+crc32b64(data))
			body[1000] ^= 0x80
			return unsignedTrailer(body, "x-amz-checksum-crc32", nil)
		}, CodeBadDigest},
		{"trailer not sent", func() *http.Request {
			return unsignedTrailer(unsignedTrailerBody(data, 65536), "x-amz-checksum-crc32", nil)
		}, CodeIncompleteBody},
		{"unknown trailing algorithm", func() *http.Request {
			return unsignedTrailer(unsignedTrailerBody(data, 65536, "x-amz-checksum-md5:AAAAAAAAAAAAAAAAAAAAAA=="), "x-amz-checksum-md5", nil)
		}, CodeInvalidRequest},
		{"unknown sdk checksum algorithm", func() *http.Request {
			return literal(data, dataHash, map[string]string{"X-Amz-Sdk-Checksum-Algorithm": "XXHASH3"}, time.Now())
		}, CodeInvalidRequest},
		{"chunk size lies", func() *http.Request {
			body := unsignedTrailerBody(data, 65536, "x-amz-checksum-crc32:"+crc32b64(data))
			body = bytes.Replace(body, []byte("10000\r\n"), []byte("fff0\r\n"), 1)
			return unsignedTrailer(body, "x-amz-checksum-crc32", nil)
		}, CodeInvalidRequest},
		{"payload hash mismatch", func() *http.Request {
			bad := bytes.Clone(data)
			bad[len(bad)-1] ^= 1
			return literal(bad, dataHash, nil, time.Now())
		}, CodeXAmzContentSHA256Mismatch},
		{"malformed Content-MD5", func() *http.Request {
			return literal(data, dataHash, map[string]string{"Content-Md5": base64.StdEncoding.EncodeToString(md5sum[1:])}, time.Now())
		}, CodeInvalidDigest},
		{"Content-MD5 mismatch", func() *http.Request {
			other := md5.Sum(data[1:])
			return literal(data, dataHash, map[string]string{"Content-Md5": base64.StdEncoding.EncodeToString(other[:])}, time.Now())
		}, CodeBadDigest},
		{"checksum header mismatch", func() *http.Request {
			return literal(data, dataHash, map[string]string{"X-Amz-Checksum-Crc32": crc32b64(data[1:])}, time.Now())
		}, CodeBadDigest},
		{"two checksum headers", func() *http.Request {
			return literal(data, dataHash, map[string]string{"X-Amz-Checksum-Crc32": crc32b64(data),
				"X-Amz-Checksum-Sha256": base64.StdEncoding.EncodeToString(sum[:])}, time.Now())
		}, CodeInvalidRequest},
		{"clock skew", func() *http.Request {
			return literal(data, dataHash, nil, time.Now().Add(-16*time.Minute))
		}, CodeRequestTimeTooSkewed},
		{"unsigned x-amz header", func() *http.Request {
			r := literal(data, dataHash, nil, time.Now())
			r.Header.Set("X-Amz-Acl", "public-read")
			return r
		}, CodeAccessDenied},
		{"signed header changed", func() *http.Request {
			r := literal(data, dataHash, map[string]string{"X-Amz-Meta-A": "1"}, time.Now())
			r.Header.Set("X-Amz-Meta-A", "2")
			return r
		}, CodeSignatureDoesNotMatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, _ := srv.counts()
			served := srv.servedCount()
			resp, err := http.DefaultClient.Do(c.req())
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode < 400 || !strings.Contains(string(body), "<Code>"+c.code+"</Code>") {
					t.Errorf("status %d, body %s; want %s", resp.StatusCode, body, c.code)
				}
			}
			srv.waitServed(served + 1)
			after, errs := srv.counts()
			if after != before {
				t.Fatalf("the tampered upload was stored")
			}
			if len(errs) == 0 || errs[len(errs)-1] != c.code {
				t.Fatalf("server error codes %v, want %s last (%v)", errs, c.code, srv.lastErr)
			}
		})
	}

	// Sanity: the untampered versions of the same requests are stored.
	for i, r := range []*http.Request{
		func() *http.Request { r, enc := minioStreaming(t, url, data, nil); return send(r, enc) }(),
		func() *http.Request {
			r, enc := minioStreaming(t, url, data, http.Header{"x-amz-checksum-crc32": {crc32b64(data)}})
			return send(r, enc)
		}(),
		unsignedTrailer(unsignedTrailerBody(data, 65536, "x-amz-checksum-crc32:"+crc32b64(data)), "x-amz-checksum-crc32", nil),
		literal(data, dataHash, map[string]string{"Content-Md5": base64.StdEncoding.EncodeToString(md5sum[:]),
			"X-Amz-Checksum-Crc32": crc32b64(data)}, time.Now()),
	} {
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("control %d: %d %s", i, resp.StatusCode, body)
		}
		if o, _ := srv.object("bkt", "obj"); !bytes.Equal(o.data, data) || o.etag != `"`+hex.EncodeToString(md5sum[:])+`"` {
			t.Fatalf("control %d: stored %d bytes, etag %s", i, len(o.data), o.etag)
		}
		srv.mu.Lock()
		delete(srv.objects, "bkt/obj")
		srv.mu.Unlock()
	}
}

// TestTruncatedBody: the client announces more bytes than it sends and
// closes the connection; the server must not store what it got.
func TestTruncatedBody(t *testing.T) {
	srv, ts := startMemS3(t, false)
	data := randomBytes(t, 150_000)
	for _, mode := range []string{"literal", "streaming"} {
		t.Run(mode, func(t *testing.T) {
			var r *http.Request
			var body []byte
			if mode == "streaming" {
				r, body = minioStreaming(t, ts.URL+"/bkt/"+mode, data, nil)
			} else {
				r, _ = http.NewRequest(http.MethodPut, ts.URL+"/bkt/"+mode, nil)
				sum := sha256.Sum256(data)
				r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
				r.ContentLength = int64(len(data))
				sdkSign(t, r, hex.EncodeToString(sum[:]), testSecret, time.Now())
				body = data
			}
			served := srv.servedCount()
			r.ContentLength = int64(len(body))
			r.Body = io.NopCloser(bytes.NewReader(body[:len(body)-1000]))
			if _, err := (&http.Client{Transport: &http.Transport{}}).Do(r); err == nil {
				t.Fatal("the client sent a short body without error")
			}
			srv.waitServed(served + 1)
			if _, ok := srv.object("bkt", mode); ok {
				t.Fatal("a truncated body was stored")
			}
			if _, errs := srv.counts(); len(errs) == 0 || errs[len(errs)-1] != CodeIncompleteBody {
				t.Fatalf("errors %v, want IncompleteBody", errs)
			}
		})
	}
}

// TestHTTPChunkedTransfer: aws-chunked inside HTTP chunked transfer with no
// Content-Length and no x-amz-decoded-content-length, as boto3 >= 1.36 and
// the AWS CLI send it.
func TestHTTPChunkedTransfer(t *testing.T) {
	srv, ts := startMemS3(t, false)
	data := randomBytes(t, 200_000)
	body := unsignedTrailerBody(data, 8192, "x-amz-checksum-crc32:"+crc32b64(data))
	r, _ := http.NewRequest(http.MethodPut, ts.URL+"/bkt/chunked", nil)
	r.Header.Set("Content-Encoding", "gzip,aws-chunked")
	r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
	r.Header.Set("X-Amz-Content-Sha256", StreamingUnsignedPayloadTrailer)
	sdkSign(t, r, StreamingUnsignedPayloadTrailer, testSecret, time.Now())
	r.Body = io.NopCloser(onlyReader{bytes.NewReader(body)})
	r.ContentLength = -1
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	o, _ := srv.object("bkt", "chunked")
	if !bytes.Equal(o.data, data) || srv.chunkedT != 1 || o.encoding != "gzip" {
		t.Fatalf("stored %d bytes, chunked requests %d, encoding %q", len(o.data), srv.chunkedT, o.encoding)
	}
	if len(o.checksums) != 1 || o.checksums[0] != (Checksum{ChecksumCRC32, crc32b64(data)}) {
		t.Fatalf("checksums %v", o.checksums)
	}
}

var _ = httptest.NewServer
