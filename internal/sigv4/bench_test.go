package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// benchGET returns a GetObject-like request signed by aws-sdk-go-v2 with the
// headers the SDK signs, and the time it was signed at.
func benchGET(b *testing.B) (*http.Request, time.Time) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	r, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:9000/bucket/photos/2025/cat.jpg?x-id=GetObject", nil)
	r.Header.Set("Accept-Encoding", "identity")
	r.Header.Set("Amz-Sdk-Invocation-Id", "2a1f4c7e-6f5b-4d8e-9c51-0e1f2a3b4c5d")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.47.7 os/linux lang/go#1.26 api/s3#1.114.6")
	r.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	sdkSign(b, r, emptySHA256, testSecret, at)
	// As the server sees it.
	r.RequestURI = r.URL.RequestURI()
	r.URL = &url.URL{Path: r.URL.Path, RawQuery: r.URL.RawQuery}
	r.Body = http.NoBody
	return r, at
}

// BenchmarkVerifyHeaderGET: Parse + Verify of a header-signed GET with the
// signing key cached (budget: 5 µs, 10 allocations).
func BenchmarkVerifyHeaderGET(b *testing.B) {
	r, at := benchGET(b)
	v, _ := NewVerifier(Options{Now: func() time.Time { return at }})
	cred := Credential{AccessKeyID: testAK, CacheID: testAK, Secret: []byte(testSecret)}
	opt := VerifyOptions{Service: "s3"}
	b.ReportAllocs()
	for b.Loop() {
		a, err := Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		body, err := v.Verify(r, a, cred, opt)
		if err != nil {
			b.Fatal(err)
		}
		body.Close()
	}
}

// BenchmarkVerifyHeaderGETParallel is the same on all cores (cache and pool
// contention).
func BenchmarkVerifyHeaderGETParallel(b *testing.B) {
	r, at := benchGET(b)
	v, _ := NewVerifier(Options{Now: func() time.Time { return at }})
	cred := Credential{AccessKeyID: testAK, CacheID: testAK, Secret: []byte(testSecret)}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a, err := Parse(r)
			if err != nil {
				b.Fatal(err)
			}
			body, err := v.Verify(r, a, cred, VerifyOptions{Service: "s3"})
			if err != nil {
				b.Fatal(err)
			}
			body.Close()
		}
	})
}

// BenchmarkVerifyHeaderGETUncached derives the signing key every time.
func BenchmarkVerifyHeaderGETUncached(b *testing.B) {
	r, at := benchGET(b)
	v, _ := NewVerifier(Options{Now: func() time.Time { return at }})
	cred := Credential{AccessKeyID: testAK, Secret: []byte(testSecret)}
	b.ReportAllocs()
	for b.Loop() {
		a, _ := Parse(r)
		body, err := v.Verify(r, a, cred, VerifyOptions{Service: "s3"})
		if err != nil {
			b.Fatal(err)
		}
		body.Close()
	}
}

// BenchmarkVerifyPresignedGET: a presigned GET URL.
func BenchmarkVerifyPresignedGET(b *testing.B) {
	r, at := benchGET(b)
	u, _ := url.Parse("http://127.0.0.1:9000/bucket/photos/2025/cat.jpg")
	pr := &http.Request{Method: http.MethodGet, URL: u, Host: u.Host, Header: http.Header{}}
	pr = presignForBench(b, pr, at)
	v, _ := NewVerifier(Options{Now: func() time.Time { return at }})
	cred := Credential{AccessKeyID: testAK, CacheID: testAK, Secret: []byte(testSecret)}
	_ = r
	b.ReportAllocs()
	for b.Loop() {
		a, err := Parse(pr)
		if err != nil {
			b.Fatal(err)
		}
		body, err := v.Verify(pr, a, cred, VerifyOptions{Service: "s3"})
		if err != nil {
			b.Fatal(err)
		}
		body.Close()
	}
}

const benchChunkedSize = 16 << 20

// benchChunked returns a minio-go signed aws-chunked PUT of 16 MiB in 64 KiB
// chunks, its encoded body, the decoded bytes and the signing time.
func benchChunked(b *testing.B) (*http.Request, []byte, []byte) {
	data := bytes.Repeat([]byte("0123456789abcdef"), benchChunkedSize/16)
	r, enc := minioStreaming(b, "http://127.0.0.1:9000/bucket/big.bin", data, nil)
	r.URL = &url.URL{Path: r.URL.Path}
	return r, enc, data
}

// BenchmarkChunkedDecode: STREAMING-AWS4-HMAC-SHA256-PAYLOAD decoding with
// per-chunk signature checks, 64 KiB chunks, read with 64 KiB buffers.
// Compare MB/s with BenchmarkSHA256Baseline (target: >= 70 %).
func BenchmarkChunkedDecode(b *testing.B) {
	r, enc, _ := benchChunked(b)
	v, _ := NewVerifier(Options{})
	cred := Credential{AccessKeyID: testAK, CacheID: testAK, Secret: []byte(testSecret)}
	buf := make([]byte, 64<<10)
	rd := bytes.NewReader(enc)
	b.SetBytes(benchChunkedSize)
	b.ReportAllocs()
	for b.Loop() {
		rd.Reset(enc)
		r.Body = io.NopCloser(rd)
		a, err := Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		body, err := v.Verify(r, a, cred, VerifyOptions{Service: "s3"})
		if err != nil {
			b.Fatal(err)
		}
		n := int64(0)
		for {
			k, err := body.Read(buf)
			n += int64(k)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		body.Close()
		if n != benchChunkedSize {
			b.Fatalf("decoded %d bytes", n)
		}
	}
}

// BenchmarkSHA256Baseline: plain SHA-256 over the same decoded bytes with
// the same 64 KiB writes.
func BenchmarkSHA256Baseline(b *testing.B) {
	_, _, data := benchChunked(b)
	h := sha256.New()
	b.SetBytes(benchChunkedSize)
	b.ReportAllocs()
	for b.Loop() {
		h.Reset()
		for p := data; len(p) > 0; p = p[min(len(p), 64<<10):] {
			h.Write(p[:min(len(p), 64<<10)])
		}
		h.Sum(nil)
	}
}

// presignForBench presigns r with aws-sdk-go-v2 (UNSIGNED-PAYLOAD, 1 hour)
// and returns the request as a server sees it.
func presignForBench(t testing.TB, r *http.Request, at time.Time) *http.Request {
	t.Helper()
	q := r.URL.Query()
	q.Set("X-Amz-Expires", "3600")
	r.URL.RawQuery = q.Encode()
	signed, _, err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).PresignHTTP(context.Background(),
		aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSecret}, r, UnsignedPayload, "s3", "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(signed)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Request{Method: r.Method, Host: u.Host, URL: &url.URL{Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery},
		Header: http.Header{}, Body: http.NoBody}
}

// BenchmarkChunkedDecodeVsSHA256 alternates the two measurements above in
// one loop and reports both throughputs and their ratio, so that the ratio
// survives a machine whose load changes between benchmarks.
func BenchmarkChunkedDecodeVsSHA256(b *testing.B) {
	r, enc, data := benchChunked(b)
	v, _ := NewVerifier(Options{})
	cred := Credential{AccessKeyID: testAK, CacheID: testAK, Secret: []byte(testSecret)}
	buf := make([]byte, 64<<10)
	rd := bytes.NewReader(enc)
	h := sha256.New()
	var dec, base time.Duration
	for b.Loop() {
		t0 := time.Now()
		rd.Reset(enc)
		r.Body = io.NopCloser(rd)
		a, _ := Parse(r)
		body, err := v.Verify(r, a, cred, VerifyOptions{Service: "s3"})
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := body.Read(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		body.Close()
		t1 := time.Now()
		h.Reset()
		for p := data; len(p) > 0; p = p[min(len(p), 64<<10):] {
			h.Write(p[:min(len(p), 64<<10)])
		}
		h.Sum(nil)
		t2 := time.Now()
		dec += t1.Sub(t0)
		base += t2.Sub(t1)
	}
	mb := float64(benchChunkedSize) * float64(b.N) / 1e6
	b.ReportMetric(mb/dec.Seconds(), "decode-MB/s")
	b.ReportMetric(mb/base.Seconds(), "sha256-MB/s")
	b.ReportMetric(base.Seconds()/dec.Seconds(), "ratio")
}
