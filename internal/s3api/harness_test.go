package s3api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/hourglass-sts/hourglass/internal/app"
	"github.com/hourglass-sts/hourglass/internal/config"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/policy"
	"github.com/hourglass-sts/hourglass/internal/session"
	"github.com/hourglass-sts/hourglass/internal/sessiontoken"
	"github.com/hourglass-sts/hourglass/internal/testutil"
)

// env is one in-process node with helpers to create identities and clients.
type env struct {
	t    *testing.T
	node *testutil.Node
	ctx  context.Context
}

func newEnv(t *testing.T, mutate ...func(*config.Config)) *env {
	t.Helper()
	isolateAWSEnv(t)
	cfg := testutil.Config(t)
	for _, m := range mutate {
		m(&cfg)
	}
	// A clock in whole seconds: session.Issue truncates its issue time to the second while the
	// first token key activates at the sub-second instant of first start, so on an exact clock
	// a key issued within the node's first second finds no active token key (reported to the
	// session package's owner).
	n := testutil.Start(t, cfg, app.Deps{Now: func() time.Time { return time.Now().Truncate(time.Second) }})
	return &env{t: t, node: n, ctx: context.Background()}
}

// isolateAWSEnv keeps the developer's AWS configuration out of a test.
func isolateAWSEnv(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"} {
		t.Setenv(k, "")
	}
}

func (e *env) iam() *iam.Service { return e.node.App.IAM() }

// eventually waits until cond holds: the node follows the store's change log, woken at once
// on a single node, so an IAM change made behind its back (not through S3) shows up within
// milliseconds. (Calling Directory.Sync here would race with the node's own sync loop.)
func (e *env) eventually(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not after 10s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// identity is a service account with a static key.
type identity struct {
	SA     meta.ServiceAccount
	Key    iam.NewKey
	Folder string
}

// newSA creates a service account (in folder, "" = default) with a static key and the given
// roles on that folder.
func (e *env) newSA(name, folder string, roles ...string) identity {
	e.t.Helper()
	sa, err := e.iam().CreateSA(e.ctx, name, folder, "")
	if err != nil {
		e.t.Fatalf("CreateSA: %v", err)
	}
	for _, r := range roles {
		if _, err := e.iam().Grant(e.ctx, iam.Binding{Role: r, Subject: sa.ID, Folder: sa.FolderID}); err != nil {
			e.t.Fatalf("Grant %s: %v", r, err)
		}
	}
	k, err := e.iam().CreateKey(e.ctx, sa.ID, "", "test")
	if err != nil {
		e.t.Fatalf("CreateKey: %v", err)
	}
	id := identity{SA: sa, Key: k, Folder: sa.FolderID}
	if len(roles) > 0 {
		// The key works, and its roles apply, once ListBuckets (any role allows it) succeeds.
		c := e.static(id)
		e.eventually("key "+k.Key.ID+" accepted with its roles", func() bool {
			_, err := c.ListBuckets(e.ctx, &s3.ListBucketsInput{})
			return err == nil
		})
	}
	return id
}

// temp issues a temporary key for id with an optional session policy.
func (e *env) temp(id identity, policyDoc string) session.Issued {
	e.t.Helper()
	req := session.IssueRequest{Kind: sessiontoken.KindAssumeRole, Key: &iam.Key{AccessKey: id.Key.Key, Secret: []byte(id.Key.Secret)},
		SA: id.SA, SessionName: "test-session", Duration: time.Hour}
	if policyDoc != "" {
		p, err := policy.Parse([]byte(policyDoc), policy.Session, 0)
		if err != nil {
			e.t.Fatalf("session policy: %v", err)
		}
		req.Policy, req.CompiledPolicy = []byte(policyDoc), p
	}
	is, err := e.node.App.Sessions().Issue(e.ctx, req)
	if err != nil {
		e.t.Fatalf("Issue: %v", err)
	}
	return is
}

// client returns an aws-sdk-go-v2 S3 client for the key (token "" for static keys).
func (e *env) client(keyID, secret, token string) *s3.Client {
	return s3.New(s3.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(e.node.Endpoint()),
		UsePathStyle:     true,
		Credentials:      credentials.NewStaticCredentialsProvider(keyID, secret, token),
		HTTPClient:       &http.Client{Timeout: time.Minute},
		RetryMaxAttempts: 1,
	})
}

func (e *env) static(id identity) *s3.Client { return e.client(id.Key.Key.ID, id.Key.Secret, "") }

func (e *env) temporary(is session.Issued) *s3.Client {
	return e.client(is.AccessKeyID, is.Secret, is.Token)
}

// anonymous returns a client that sends unsigned requests.
func (e *env) anonymous() *s3.Client {
	return s3.New(s3.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(e.node.Endpoint()),
		UsePathStyle:     true,
		Credentials:      aws.AnonymousCredentials{},
		RetryMaxAttempts: 1,
	})
}

// minio returns a minio-go client for the key.
func (e *env) minio(keyID, secret, token string) *minio.Client {
	e.t.Helper()
	c, err := minio.New(e.node.App.Addr(), &minio.Options{Creds: miniocreds.NewStaticV4(keyID, secret, token), Secure: false, Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// createBucket creates a bucket with the client and fails the test on error.
func (e *env) createBucket(c *s3.Client, name string) {
	e.t.Helper()
	if _, err := c.CreateBucket(e.ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		e.t.Fatalf("CreateBucket %s: %v", name, err)
	}
}

func (e *env) put(c *s3.Client, bucket, key string, body []byte) *s3.PutObjectOutput {
	e.t.Helper()
	out, err := c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		e.t.Fatalf("PutObject %s/%s: %v", bucket, key, err)
	}
	return out
}

func (e *env) get(c *s3.Client, bucket, key string) []byte {
	e.t.Helper()
	out, err := c.GetObject(e.ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		e.t.Fatalf("GetObject %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// errCode returns the S3 error code of err ("" for nil); HEAD errors carry only the status,
// which it returns as the code for comparisons ("NotFound", "Forbidden", ...).
func errCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return err.Error()
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := errCode(err); got != code {
		t.Fatalf("error = %v (code %q), want %q", err, got, code)
	}
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// withKeys runs a test body on a fresh node twice: with alice's static key and with a temporary
// key of hers (no session policy). alice is storage.admin of the default folder.
func withKeys(t *testing.T, body func(t *testing.T, e *env, alice identity, c *s3.Client)) {
	for _, kind := range []string{"static", "temporary"} {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t)
			alice := e.newSA("alice", "", iam.RoleAdmin)
			c := e.static(alice)
			if kind == "temporary" {
				c = e.temporary(e.temp(alice, ""))
			}
			body(t, e, alice, c)
		})
	}
}
