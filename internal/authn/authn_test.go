package authn_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/hourglass-sts/hourglass/internal/authn"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/masterkey"
	"github.com/hourglass-sts/hourglass/internal/meta/sqlite"
	"github.com/hourglass-sts/hourglass/internal/s3err"
	"github.com/hourglass-sts/hourglass/internal/sigv4"
)

func setup(t *testing.T) (*authn.Authenticator, *iam.Service, *iam.Directory, iam.NewKey) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mk, err := masterkey.Create(filepath.Join(t.TempDir(), "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	svc := iam.New(iam.Options{Store: st, Master: mk})
	if err := svc.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	sa, err := svc.CreateSA(ctx, "signer", "", "")
	if err != nil {
		t.Fatal(err)
	}
	nk, err := svc.CreateKey(ctx, sa.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := iam.NewDirectory(ctx, svc, iam.DirectoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ver, err := sigv4.NewVerifier(sigv4.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &authn.Authenticator{Keys: dir, Verifier: ver}, svc, dir, nk
}

func signed(t *testing.T, id, secret string) *http.Request {
	t.Helper()
	r, _ := http.NewRequest("GET", "http://127.0.0.1:9000/bucket/key", nil)
	sum := sha256.Sum256(nil)
	h := hex.EncodeToString(sum[:])
	r.Header.Set("X-Amz-Content-Sha256", h)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, r, h, "s3", "us-east-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func code(err error) string {
	var e *s3err.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestAuthenticate(t *testing.T) {
	a, svc, dir, nk := setup(t)
	ctx := context.Background()

	anon, _ := http.NewRequest("GET", "http://127.0.0.1:9000/bucket/key", nil)
	res, err := a.Authenticate(anon, authn.Options{Service: "s3"})
	if err != nil || !res.Principal.Anonymous() || res.Body != nil {
		t.Fatalf("anonymous: %+v, %v", res, err)
	}

	res, err = a.Authenticate(signed(t, nk.Key.ID, nk.Secret), authn.Options{Service: "s3"})
	if err != nil {
		t.Fatalf("good signature: %v", err)
	}
	if res.Principal.KeyID != nk.Key.ID || res.Principal.Temporary() || !strings.HasSuffix(res.Principal.ARN, ":user/signer") {
		t.Fatalf("principal = %+v", res.Principal)
	}

	_, err = a.Authenticate(signed(t, nk.Key.ID, strings.Repeat("x", 40)), authn.Options{Service: "s3"})
	if code(err) != "SignatureDoesNotMatch" {
		t.Fatalf("wrong secret: %v", err)
	}
	var e *s3err.Error
	errors.As(err, &e)
	fields := map[string]string{}
	for _, f := range e.Fields {
		fields[f.Name] = f.Value
	}
	if fields["AWSAccessKeyId"] != nk.Key.ID || fields["StringToSign"] == "" || fields["CanonicalRequest"] == "" {
		t.Fatalf("SignatureDoesNotMatch fields = %v", fields)
	}
	if strings.Contains(err.Error(), nk.Secret) || strings.Contains(fields["StringToSign"]+fields["CanonicalRequest"], nk.Secret) {
		t.Fatal("an error carries the secret")
	}

	if _, err = a.Authenticate(signed(t, "HGKNOSUCHKEY00000000", nk.Secret), authn.Options{Service: "s3"}); code(err) != "InvalidAccessKeyId" {
		t.Fatalf("unknown key: %v", err)
	}

	v2, _ := http.NewRequest("GET", "http://127.0.0.1:9000/bucket/key", nil)
	v2.Header.Set("Authorization", "AWS "+nk.Key.ID+":c2lnbmF0dXJl")
	if _, err = a.Authenticate(v2, authn.Options{Service: "s3"}); code(err) != "InvalidRequest" {
		t.Fatalf("SigV2: %v", err)
	}

	// A session token with no session validator configured is refused, not ignored.
	tok := signed(t, nk.Key.ID, nk.Secret)
	tok.Header.Set("X-Amz-Security-Token", "v1.AAAA")
	if _, err = a.Authenticate(tok, authn.Options{Service: "s3"}); code(err) != "InvalidToken" {
		t.Fatalf("token without validator: %v", err)
	}

	// A disabled key fails at once, once the directory has the change.
	if _, err := svc.SetKeyEnabled(ctx, nk.Key.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := dir.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err = a.Authenticate(signed(t, nk.Key.ID, nk.Secret), authn.Options{Service: "s3"}); code(err) != "InvalidAccessKeyId" {
		t.Fatalf("disabled key: %v", err)
	}
}
