package sigv4

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// Fuzz targets for everything that reads attacker-controlled text before
// authentication: the Authorization header, the presigned query and the
// aws-chunked body. They must never panic, hang or accept garbage.
//
//	go test ./internal/sigv4 -run '^$' -fuzz FuzzParseAuthorization -fuzztime 60s

var fuzzNow = time.Date(2015, 8, 30, 12, 36, 30, 0, time.UTC)

func fuzzVerifier(t testing.TB) *Verifier {
	v, err := NewVerifier(Options{Now: func() time.Time { return fuzzNow }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var fuzzCred = Credential{AccessKeyID: "AKIDEXAMPLE", CacheID: "fuzz", Secret: []byte("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")}

// checkAuth asserts what Parse promises about a successful result.
func checkAuth(t *testing.T, a *Auth) {
	t.Helper()
	if len(a.Signature) != 64 || len(a.Date) != 8 || !strings.HasSuffix(a.scope, "/aws4_request") ||
		len(a.SignedHeaders) == 0 || a.AccessKeyID == "" || a.Service == "" || len(a.amzDate) != 16 {
		t.Fatalf("Parse accepted an incomplete Auth: %+v", a)
	}
	for _, h := range a.SignedHeaders {
		if h == "" || strings.ToLower(h) != h {
			t.Fatalf("bad signed header %q", h)
		}
	}
}

// verifyNoPanic runs Verify and reads the body; it must fail or succeed
// cleanly.
func verifyNoPanic(t *testing.T, r *http.Request, a *Auth) {
	t.Helper()
	for _, opt := range []VerifyOptions{{Service: "s3"}, {NormalizePath: true, BufferBody: 1 << 10}} {
		b, err := fuzzVerifier(t).Verify(r, a, fuzzCred, opt)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.Status == 0 {
				t.Fatalf("Verify error is not a complete *Error: %#v", err)
			}
			continue
		}
		io.Copy(io.Discard, b)
		b.Close()
	}
}

func FuzzParseAuthorization(f *testing.F) {
	for _, c := range loadSuite(f) {
		rr := readRaw(f, filepath.Join(c.dir, "header-signed-request.txt"))
		for _, h := range rr.headers {
			if h[0] == "Authorization" {
				f.Add(h[1], "20150830T123600Z", "")
			}
		}
	}
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830//s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
		"20150830T123600Z", StreamingSignedPayload)
	f.Add("AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=", "", "")
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request, SignedHeaders=, Signature=", "x", "UNSIGNED-PAYLOAD")
	f.Add("AWS4-ECDSA-P256-SHA256 Credential=AKID/20150830/s3/aws4_request", "20150830T123600Z", "")
	f.Fuzz(func(t *testing.T, authz, date, content string) {
		r := &http.Request{Method: "GET", Host: "example.amazonaws.com", URL: &url.URL{Path: "/"}, Header: http.Header{},
			Body: http.NoBody}
		r.Header["Authorization"] = []string{authz}
		if date != "" {
			r.Header["X-Amz-Date"] = []string{date}
		}
		if content != "" {
			r.Header["X-Amz-Content-Sha256"] = []string{content}
		}
		a, err := Parse(r)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.Status == 0 {
				t.Fatalf("Parse error is not a complete *Error: %#v", err)
			}
			if a != nil {
				t.Fatal("Parse returned both an Auth and an error")
			}
			return
		}
		if a == nil {
			t.Fatal("Parse: anonymous for a request with an Authorization header")
		}
		checkAuth(t, a)
		verifyNoPanic(t, r, a)
	})
}

func FuzzParsePresigned(f *testing.F) {
	for _, c := range loadSuite(f) {
		rr := readRaw(f, filepath.Join(c.dir, "query-signed-request.txt"))
		f.Add(rr.path, rr.query)
	}
	f.Add("/b/k", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
	f.Add("/", "AWSAccessKeyId=AKID&Expires=1&Signature=abc")
	f.Add("/%2F..//", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Algorithm=x&%ZZ=1&a+b=c%20d&;=&&")
	f.Fuzz(func(t *testing.T, path, query string) {
		u := &url.URL{Path: path, RawQuery: query}
		if p, err := url.PathUnescape(path); err == nil && strings.Contains(path, "%") {
			u.Path, u.RawPath = p, path
		}
		r := &http.Request{Method: "GET", Host: "example.amazonaws.com", URL: u, Header: http.Header{}, Body: http.NoBody}
		a, err := Parse(r)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" || e.Status == 0 {
				t.Fatalf("Parse error is not a complete *Error: %#v", err)
			}
			return
		}
		if a == nil {
			return // anonymous
		}
		if !a.Presigned {
			t.Fatal("query-only request parsed as header auth")
		}
		checkAuth(t, a)
		verifyNoPanic(t, r, a)
	})
}

// fuzzChunkedSeeds are valid bodies of every streaming mode.
func fuzzChunkedSeeds(f *testing.F) {
	data := []byte("hello, aws-chunked world; a few bytes that span chunks")
	f.Add(unsignedTrailerBody(data, 16, "x-amz-checksum-crc32:"+crc32b64(data)), uint8(PayloadStreamingUnsignedTrailer), uint16(7))
	f.Add(unsignedTrailerBody(nil, 16, "x-amz-checksum-crc32:AAAAAA=="), uint8(PayloadStreamingUnsignedTrailer), uint16(1))
	f.Add([]byte("5;ext=1\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\n\r\n\r\n"), uint8(PayloadStreamingUnsignedTrailer), uint16(3))
	f.Add([]byte("ffffffffffffffffff\r\n"), uint8(PayloadStreamingUnsignedTrailer), uint16(64))
	for _, tr := range []http.Header{nil, {"x-amz-checksum-crc32": {crc32b64(data)}}} {
		_, enc := minioStreaming(f, "http://127.0.0.1/b/k", data, tr)
		mode := PayloadStreamingSigned
		if tr != nil {
			mode = PayloadStreamingSignedTrailer
		}
		f.Add(enc, uint8(mode), uint16(4096))
		f.Add(enc[:len(enc)-3], uint8(mode), uint16(5))
	}
	// The S3 documentation's chunked upload (valid for the key below).
	f.Add(docChunkedBody([]string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}), uint8(PayloadStreamingSigned), uint16(1000))
}

func FuzzChunkedDecoder(f *testing.F) {
	fuzzChunkedSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte, modeSel uint8, bufSize uint16) {
		mode := PayloadMode(modeSel%3) + PayloadStreamingSigned
		a := &Auth{Payload: mode, amzDate: "20130524T000000Z", scope: "20130524/us-east-1/s3/aws4_request"}
		decodeSig("4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9", &a.sig)
		r := &http.Request{Method: "PUT", Header: http.Header{}, ContentLength: int64(len(body))}
		if mode != PayloadStreamingSigned {
			r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32")
		}
		var src io.Reader = bytes.NewReader(body)
		if bufSize%5 == 0 {
			src = iotest.OneByteReader(src)
		}
		r.Body = io.NopCloser(src)
		key := newMacer().deriveKey([]byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), "20130524", "us-east-1", "s3")
		b, err := newBody(r, a, &VerifyOptions{MaxChunkSize: 1 << 16}, &key, nil, true)
		if err != nil {
			t.Fatalf("newBody: %v", err)
		}
		defer b.Close()
		buf := make([]byte, int(bufSize)%70000+1)
		total := 0
		for i := 0; ; i++ {
			n, err := b.Read(buf)
			total += n
			if n < 0 || n > len(buf) {
				t.Fatalf("Read returned n=%d", n)
			}
			if total > len(body) {
				t.Fatalf("decoded %d bytes out of %d", total, len(body))
			}
			if err == io.EOF {
				if !b.Complete() || b.Size() != int64(total) {
					t.Fatal("EOF without Complete")
				}
				break
			}
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Code == "" {
					t.Fatalf("decoder error is not an *Error: %v", err)
				}
				if _, err2 := b.Read(buf); err2 == nil || err2 == io.EOF {
					t.Fatal("the error is not sticky")
				}
				break
			}
			if n == 0 && i > len(body)+10 {
				t.Fatal("no progress")
			}
		}
	})
}
