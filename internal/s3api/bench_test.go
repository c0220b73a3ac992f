package s3api_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hourglass-sts/hourglass/internal/app"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/nullserver"
	"github.com/hourglass-sts/hourglass/internal/policy"
	"github.com/hourglass-sts/hourglass/internal/session"
	"github.com/hourglass-sts/hourglass/internal/sessiontoken"
	"github.com/hourglass-sts/hourglass/internal/testutil"
)

// BenchmarkS3 measures GET, HEAD and PUT of a 4 KiB object over loopback with aws-sdk-go-v2,
// against the null server (no auth, no storage: the physical limit of this client here), and
// Hourglass with a static key and with a temporary key. Compare ops/s within one run:
//
//	go test -run '^$' -bench BenchmarkS3 -benchtime 3s ./internal/s3api
func BenchmarkS3(b *testing.B) {
	b.Setenv("AWS_CA_BUNDLE", "")
	ctx := context.Background()
	cfg := testutil.Config(b)
	node := testutil.Start(b, cfg, app.Deps{Now: func() time.Time { return time.Now().Truncate(time.Second) }})
	svc := node.App.IAM()
	sa, err := svc.CreateSA(ctx, "bench", "", "")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := svc.Grant(ctx, iam.Binding{Role: iam.RoleEditor, Subject: sa.ID, Folder: sa.FolderID}); err != nil {
		b.Fatal(err)
	}
	key, err := svc.CreateKey(ctx, sa.ID, "", "bench")
	if err != nil {
		b.Fatal(err)
	}
	// Wait until the node's directory has the key (it follows the store's change log).
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, ok := node.App.Directory().Key(key.Key.ID); ok {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("key not in the directory after 10s")
		}
	}
	tk, err := node.App.Sessions().Issue(ctx, session.IssueRequest{Kind: sessiontoken.KindAssumeRole,
		Key: &iam.Key{AccessKey: key.Key, Secret: []byte(key.Secret)}, SA: sa, SessionName: "bench", Duration: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	// A session policy makes every object read load the object's tags (s3:ExistingObjectTag
	// could be in it: the policy package does not say which keys a policy uses).
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	cp, err := policy.Parse([]byte(pol), policy.Session, 0)
	if err != nil {
		b.Fatal(err)
	}
	tkp, err := node.App.Sessions().Issue(ctx, session.IssueRequest{Kind: sessiontoken.KindAssumeRole,
		Key: &iam.Key{AccessKey: key.Key, Secret: []byte(key.Secret)}, SA: sa, SessionName: "bench-policy", Duration: time.Hour,
		Policy: []byte(pol), CompiledPolicy: cp})
	if err != nil {
		b.Fatal(err)
	}
	null := httptest.NewServer(nullserver.Handler(4096))
	b.Cleanup(null.Close)

	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}}
	mk := func(endpoint, id, secret, token string) *s3.Client {
		return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider(id, secret, token), HTTPClient: hc, RetryMaxAttempts: 1})
	}
	targets := []struct {
		name string
		c    *s3.Client
	}{
		{"noop", mk(null.URL, nullserver.AccessKeyID, "nullsecretnullsecretnullsecretnullsecret", "")},
		{"static", mk(node.Endpoint(), key.Key.ID, key.Secret, "")},
		{"temporary", mk(node.Endpoint(), tk.AccessKeyID, tk.Secret, tk.Token)},
		{"temporary+policy", mk(node.Endpoint(), tkp.AccessKeyID, tkp.Secret, tkp.Token)},
	}
	body := bytes.Repeat([]byte("h"), 4096)
	if _, err := targets[1].c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	if _, err := targets[1].c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String("obj"), Body: bytes.NewReader(body)}); err != nil {
		b.Fatal(err)
	}
	ops := []struct {
		name string
		do   func(c *s3.Client, i int64) error
	}{
		{"GET4KiB", func(c *s3.Client, _ int64) error {
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bench"), Key: aws.String("obj")})
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, out.Body)
			out.Body.Close()
			return err
		}},
		{"HEAD", func(c *s3.Client, _ int64) error {
			_, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bench"), Key: aws.String("obj")})
			return err
		}},
		{"PUT4KiB", func(c *s3.Client, i int64) error {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bench"), Key: aws.String("put/" + strconv.FormatInt(i%1024, 10)), Body: bytes.NewReader(body)})
			return err
		}},
	}
	for _, op := range ops {
		for _, tg := range targets {
			b.Run(op.name+"/"+tg.name, func(b *testing.B) {
				var n atomic.Int64
				b.SetParallelism(8) // 8 × GOMAXPROCS client workers, as a closed-loop load generator
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := op.do(tg.c, n.Add(1)); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
			})
		}
	}
}
