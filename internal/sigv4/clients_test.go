package sigv4

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

// Real clients against memS3 on 127.0.0.1, over HTTP and HTTPS.

const (
	testAK     = "HGTESTKEY0000000000001"
	testSecret = "hG7dXnq2VZ0s9Xo4kT1mWc8bPpL3rYfEeA6uJiN5"
)

func testKeys() map[string]string { return map[string]string{testAK: testSecret} }

// startMemS3 starts the stand-in on 127.0.0.1 with or without TLS.
func startMemS3(t *testing.T, tls bool) (*memS3, *httptest.Server) {
	t.Helper()
	s := newMemS3(t, testKeys())
	var ts *httptest.Server
	if tls {
		ts = httptest.NewTLSServer(s)
	} else {
		ts = httptest.NewServer(s)
	}
	t.Cleanup(ts.Close)
	return s, ts
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// sdkClient builds an S3 client the way applications do (LoadDefaultConfig),
// so that the SDK's default checksum behaviour applies.
func sdkClient(t *testing.T, ts *httptest.Server, secret string) *s3.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(testAK, secret, "")),
		config.WithHTTPClient(ts.Client()),
		config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(ts.URL)
		o.UsePathStyle = true
	})
}

// isolateAWSEnv keeps the developer's AWS configuration out of a test.
func isolateAWSEnv(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, k := range []string{"AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"} {
		t.Setenv(k, "")
	}
}

// onlyReader hides Seek so that the SDK cannot hash the body up front.
type onlyReader struct{ io.Reader }

func TestAWSSDKGo(t *testing.T) {
	isolateAWSEnv(t)
	for _, scheme := range []string{"http", "https"} {
		t.Run(scheme, func(t *testing.T) {
			srv, ts := startMemS3(t, scheme == "https")
			ctx := context.Background()
			c := sdkClient(t, ts, testSecret)
			if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bkt")}); err != nil {
				t.Fatal(err)
			}

			// S3 keys are signed as sent: "//", ".", spaces, UTF-8, '+', '='.
			keys := []string{"plain.bin", "dir//a b/ü/./x+y=z&q~(1)!", "trailing/"}
			data := randomBytes(t, 300_000)
			for _, key := range keys {
				if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key),
					Body: bytes.NewReader(data)}); err != nil {
					t.Fatalf("PutObject %q: %v", key, err)
				}
				got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key)})
				if err != nil {
					t.Fatalf("GetObject %q: %v", key, err)
				}
				b, err := io.ReadAll(got.Body) // the SDK validates our stored checksum here
				got.Body.Close()
				if err != nil || !bytes.Equal(b, data) {
					t.Fatalf("GetObject %q: %d bytes, %v", key, len(b), err)
				}
				if o, _ := srv.object("bkt", key); len(o.checksums) == 0 {
					t.Errorf("%q: no checksum computed (the SDK sends one by default)", key)
				}
			}

			// Every checksum algorithm. Over HTTPS with an unseekable body the
			// SDK sends aws-chunked with a trailing checksum; over HTTP it
			// refuses unseekable bodies, and sends the checksum as a header.
			for _, alg := range []types.ChecksumAlgorithm{"", types.ChecksumAlgorithmCrc64nvme, types.ChecksumAlgorithmCrc32c,
				types.ChecksumAlgorithmSha1, types.ChecksumAlgorithmSha256} {
				key := "stream-" + string(alg)
				var body io.Reader = bytes.NewReader(data)
				if scheme == "https" {
					body = onlyReader{body}
				}
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key),
					Body: body, ContentLength: aws.Int64(int64(len(data))), ChecksumAlgorithm: alg})
				if err != nil {
					t.Fatalf("PutObject unseekable %s: %v", alg, err)
				}
				o, ok := srv.object("bkt", key)
				if !ok || !bytes.Equal(o.data, data) {
					t.Fatalf("unseekable %s: stored %d bytes", alg, len(o.data))
				}
				got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String(key),
					ChecksumMode: types.ChecksumModeEnabled})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadAll(got.Body); err != nil {
					t.Fatalf("GetObject %s checksum validation: %v", alg, err)
				}
				got.Body.Close()
				want := string(alg)
				if want == "" {
					want = ChecksumCRC32 // the SDK's default
				}
				if len(o.checksums) != 1 || o.checksums[0].Algorithm != want {
					t.Errorf("%s: stored checksums %v", alg, o.checksums)
				}
			}

			if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String(keys[1])}); err != nil {
				t.Fatal(err)
			}
			list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("bkt"), Prefix: aws.String("dir/")})
			if err != nil || len(list.Contents) != 1 || aws.ToString(list.Contents[0].Key) != keys[1] {
				t.Fatalf("ListObjectsV2: %v %v", list, err)
			}

			// Multipart upload.
			mp, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("mp")})
			if err != nil {
				t.Fatal(err)
			}
			var parts []types.CompletedPart
			for i, chunk := range [][]byte{data[:200_000], data[200_000:]} {
				n := int32(i + 1)
				up, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("bkt"), Key: aws.String("mp"),
					UploadId: mp.UploadId, PartNumber: aws.Int32(n), Body: bytes.NewReader(chunk)})
				if err != nil {
					t.Fatalf("UploadPart %d: %v", n, err)
				}
				parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: up.ETag, ChecksumCRC32: up.ChecksumCRC32})
			}
			if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("bkt"), Key: aws.String("mp"),
				UploadId: mp.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}}); err != nil {
				t.Fatal(err)
			}
			if o, _ := srv.object("bkt", "mp"); !bytes.Equal(o.data, data) {
				t.Fatalf("multipart object: %d bytes", len(o.data))
			}

			// Presigned GET and PUT, used by a plain HTTP client.
			pc := s3.NewPresignClient(c)
			pg, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bkt"), Key: aws.String(keys[1])},
				s3.WithPresignExpires(10*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := ts.Client().Get(pg.URL)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !bytes.Equal(b, data) {
				t.Fatalf("presigned GET: %d %q", resp.StatusCode, b[:min(len(b), 200)])
			}
			pp, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"), Key: aws.String("presigned put")})
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodPut, pp.URL, bytes.NewReader(data[:1000]))
			for k, v := range pp.SignedHeader {
				if !strings.EqualFold(k, "host") {
					req.Header[k] = v
				}
			}
			resp, err = ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ = io.ReadAll(resp.Body)
			resp.Body.Close()
			if o, ok := srv.object("bkt", "presigned put"); resp.StatusCode != 200 || !ok || !bytes.Equal(o.data, data[:1000]) {
				t.Fatalf("presigned PUT: %d %s", resp.StatusCode, b)
			}
			// A presigned URL with one changed character is refused.
			bad := strings.Replace(pg.URL, "X-Amz-Expires=600", "X-Amz-Expires=601", 1)
			if bad == pg.URL {
				t.Fatalf("presigned URL without X-Amz-Expires=600: %s", pg.URL)
			}
			resp, err = ts.Client().Get(bad)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 403 {
				t.Fatalf("tampered presigned URL: status %d", resp.StatusCode)
			}

			// A wrong secret fails and stores nothing.
			stores, _ := srv.counts()
			_, err = sdkClient(t, ts, testSecret[:39]+"x").PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"),
				Key: aws.String("nope"), Body: bytes.NewReader(data)})
			if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
				t.Fatalf("wrong secret: %v", err)
			}
			if scheme == "https" {
				_, err = sdkClient(t, ts, testSecret[:39]+"x").PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bkt"),
					Key: aws.String("nope"), Body: onlyReader{bytes.NewReader(data)}, ContentLength: aws.Int64(int64(len(data)))})
				if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
					t.Fatalf("wrong secret, streaming: %v", err)
				}
			}
			if after, _ := srv.counts(); after != stores {
				t.Fatalf("wrong secret stored something (%d -> %d)", stores, after)
			}
			t.Logf("payload modes seen: %v; HTTP chunked requests: %d", srv.modes, srv.chunkedT)
			if scheme == "https" && srv.modes[PayloadStreamingUnsignedTrailer] == 0 {
				t.Errorf("the SDK never used STREAMING-UNSIGNED-PAYLOAD-TRAILER over HTTPS: %v", srv.modes)
			}
		})
	}
}

func TestMinioGo(t *testing.T) {
	isolateAWSEnv(t)
	cases := []struct {
		name     string
		tls      bool
		trailing bool
		want     PayloadMode
	}{
		{"http", false, false, PayloadStreamingSigned},
		{"http-trailing", false, true, PayloadStreamingSignedTrailer},
		{"https-trailing", true, true, PayloadStreamingUnsignedTrailer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv, ts := startMemS3(t, tc.tls)
			u, _ := url.Parse(ts.URL)
			newClient := func(secret string) *minio.Client {
				mc, err := minio.New(u.Host, &minio.Options{Creds: miniocreds.NewStaticV4(testAK, secret, ""),
					Secure: tc.tls, Region: "us-east-1", Transport: ts.Client().Transport, TrailingHeaders: tc.trailing,
					BucketLookup: minio.BucketLookupPath, MaxRetries: 1})
				if err != nil {
					t.Fatal(err)
				}
				return mc
			}
			mc := newClient(testSecret)
			ctx := context.Background()
			if err := mc.MakeBucket(ctx, "mbkt", minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
				t.Fatal(err)
			}
			data := randomBytes(t, 200_000) // several 64 KiB signed chunks
			for _, key := range []string{"m1", "dir/ü b//c"} {
				opts := minio.PutObjectOptions{}
				if tc.trailing {
					opts.Checksum = minio.ChecksumCRC32C
				}
				if _, err := mc.PutObject(ctx, "mbkt", key, bytes.NewReader(data), int64(len(data)), opts); err != nil {
					t.Fatalf("PutObject %q: %v", key, err)
				}
				obj, err := mc.GetObject(ctx, "mbkt", key, minio.GetObjectOptions{})
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(obj)
				obj.Close()
				if err != nil || !bytes.Equal(b, data) {
					t.Fatalf("GetObject %q: %d bytes, %v", key, len(b), err)
				}
			}
			if srv.modes[tc.want] == 0 {
				t.Errorf("payload mode %v not exercised: %v", tc.want, srv.modes)
			}
			if tc.trailing {
				if o, _ := srv.object("mbkt", "m1"); len(o.checksums) != 1 || o.checksums[0].Algorithm != ChecksumCRC32C {
					t.Errorf("trailing checksum not verified/stored: %v", o.checksums)
				}
			}
			n := 0
			for o := range mc.ListObjects(ctx, "mbkt", minio.ListObjectsOptions{Recursive: true}) {
				if o.Err != nil {
					t.Fatal(o.Err)
				}
				n++
			}
			if n != 2 {
				t.Fatalf("listed %d objects", n)
			}
			stores, _ := srv.counts()
			bad := newClient(strings.ToLower(testSecret))
			if _, err := bad.PutObject(ctx, "mbkt", "nope", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err == nil {
				t.Fatal("wrong secret: no error")
			}
			if after, _ := srv.counts(); after != stores {
				t.Fatal("wrong secret stored something")
			}
		})
	}
}
