package nullserver_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/hourglass-sts/hourglass/internal/nullserver"
)

func start(t *testing.T, size int) *httptest.Server {
	t.Helper()
	t.Setenv("AWS_CA_BUNDLE", "")
	srv := httptest.NewServer(nullserver.Handler(size)) // 127.0.0.1
	t.Cleanup(srv.Close)
	return srv
}

func clients(srv *httptest.Server, ak, sk, tok string) (*s3.Client, *sts.Client) {
	creds := credentials.NewStaticCredentialsProvider(ak, sk, tok)
	s3c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: creds, HTTPClient: srv.Client(), Retryer: aws.NopRetryer{}, DisableLogOutputChecksumValidationSkipped: true})
	stsc := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: creds,
		HTTPClient: srv.Client(), Retryer: aws.NopRetryer{}})
	return s3c, stsc
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestSDKObjectCalls(t *testing.T) {
	for _, size := range []int{0, 1, 4096, 1 << 20} {
		srv := start(t, size)
		s3c, _ := clients(srv, "AKIDEXAMPLEEXAMPLE01", "secretsecretsecretsecretsecretsecret0000", "")
		c := ctx(t)

		got, err := s3c.GetObject(c, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("dir/k")})
		if err != nil {
			t.Fatalf("size %d: GetObject: %v", size, err)
		}
		body, err := io.ReadAll(got.Body)
		got.Body.Close()
		if err != nil || len(body) != size || aws.ToInt64(got.ContentLength) != int64(size) || aws.ToString(got.ETag) == "" {
			t.Fatalf("size %d: GetObject read %d bytes (err %v), Content-Length %d, ETag %q", size, len(body), err, aws.ToInt64(got.ContentLength), aws.ToString(got.ETag))
		}

		head, err := s3c.HeadObject(c, &s3.HeadObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
		if err != nil || aws.ToInt64(head.ContentLength) != int64(size) || head.LastModified == nil {
			t.Fatalf("size %d: HeadObject: %v, %+v", size, err, head)
		}

		put, err := s3c.PutObject(c, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"),
			Body: bytes.NewReader(make([]byte, size+7)), ContentLength: aws.Int64(int64(size + 7))})
		if err != nil || aws.ToString(put.ETag) == "" {
			t.Fatalf("size %d: PutObject: %v", size, err)
		}

		list, err := s3c.ListObjectsV2(c, &s3.ListObjectsV2Input{Bucket: aws.String("b")})
		if err != nil || len(list.Contents) != 3 || aws.ToInt64(list.Contents[0].Size) != int64(size) {
			t.Fatalf("size %d: ListObjectsV2: %v, %+v", size, err, list)
		}
		if _, err := s3c.CreateBucket(c, &s3.CreateBucketInput{Bucket: aws.String("b")}); err != nil {
			t.Fatalf("CreateBucket: %v", err)
		}
		if _, err := s3c.DeleteObject(c, &s3.DeleteObjectInput{Bucket: aws.String("b"), Key: aws.String("k")}); err != nil {
			t.Fatalf("DeleteObject: %v", err)
		}
	}
}

func TestRange(t *testing.T) {
	srv := start(t, 100)
	s3c, _ := clients(srv, "AKIDEXAMPLEEXAMPLE01", "secretsecretsecretsecretsecretsecret0000", "")
	for _, tc := range []struct {
		rng  string
		want int
	}{{"bytes=0-9", 10}, {"bytes=90-", 10}, {"bytes=-5", 5}, {"bytes=95-200", 5}} {
		got, err := s3c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Range: aws.String(tc.rng)})
		if err != nil {
			t.Fatalf("%s: %v", tc.rng, err)
		}
		body, _ := io.ReadAll(got.Body)
		got.Body.Close()
		if len(body) != tc.want {
			t.Errorf("%s: %d bytes, want %d", tc.rng, len(body), tc.want)
		}
	}
	_, err := s3c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Range: aws.String("bytes=100-")})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidRange" {
		t.Errorf("range past the end: %v, want InvalidRange", err)
	}
}

func TestAssumeRoleCredentialsWork(t *testing.T) {
	srv := start(t, 4096)
	_, stsc := clients(srv, "AKIDEXAMPLEEXAMPLE01", "secretsecretsecretsecretsecretsecret0000", "")
	out, err := stsc.AssumeRole(ctx(t), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::000000000000:role/x"), RoleSessionName: aws.String("bench<&>"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	cr := out.Credentials
	if cr == nil || aws.ToString(cr.AccessKeyId) == "" || aws.ToString(cr.SecretAccessKey) == "" || aws.ToString(cr.SessionToken) == "" || cr.Expiration == nil {
		t.Fatalf("AssumeRole credentials incomplete: %+v", cr)
	}
	if left := time.Until(*cr.Expiration); left < 800*time.Second || left > 1000*time.Second {
		t.Errorf("expiration in %v, want about 900s", left)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:iam::000000000000:role/x/bench<&>" {
		t.Errorf("AssumedRoleUser.Arn = %q", got)
	}
	// The SDK accepts the temporary key: it signs with it and sends the token.
	s3c, stsTmp := clients(srv, aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	got, err := s3c.GetObject(ctx(t), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")})
	if err != nil {
		t.Fatalf("GetObject with the temporary key: %v", err)
	}
	n, _ := io.Copy(io.Discard, got.Body)
	got.Body.Close()
	if n != 4096 {
		t.Errorf("GetObject with the temporary key read %d bytes", n)
	}
	id, err := stsTmp.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) == "" || aws.ToString(id.Arn) == "" {
		t.Fatalf("GetCallerIdentity: %v %+v", err, id)
	}
	st, err := stsc.GetSessionToken(ctx(t), &sts.GetSessionTokenInput{})
	if err != nil || st.Credentials == nil || aws.ToString(st.Credentials.SessionToken) != nullserver.SessionToken {
		t.Fatalf("GetSessionToken: %v %+v", err, st)
	}
}

func TestSTSErrors(t *testing.T) {
	srv := start(t, 0)
	post := func(body string) (int, string) {
		resp, err := srv.Client().Post(srv.URL+"/", "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post("Action=Frobnicate&Version=2011-06-15"); code != 400 || !strings.Contains(body, "<Code>InvalidAction</Code>") {
		t.Errorf("unknown action: %d %s", code, body)
	}
	big := "Action=AssumeRole&Policy=" + url.QueryEscape(strings.Repeat("x", 70<<10))
	if code, body := post(big); code != 400 || !strings.Contains(body, "InvalidParameterValue") {
		t.Errorf("oversized form: %d %s", code, body)
	}
	resp, err := srv.Client().Get(srv.URL + "/?Action=GetCallerIdentity&Version=2011-06-15")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "<GetCallerIdentityResult>") {
		t.Errorf("GET query GetCallerIdentity: %d %s", resp.StatusCode, b)
	}
}

func TestUnsupportedS3(t *testing.T) {
	srv := start(t, 0)
	req, _ := http.NewRequest(http.MethodPatch, srv.URL+"/b/k", nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotImplemented {
		t.Errorf("PATCH object: %d, want 501", resp.StatusCode)
	}
}

func BenchmarkGet4KiB(b *testing.B) {
	h := nullserver.Handler(4096)
	req := httptest.NewRequest(http.MethodGet, "/b/k", nil)
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(discard{http.Header{}}, req)
	}
}

type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(p []byte) (int, error) { return len(p), nil }
func (d discard) WriteHeader(int)             {}
