package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/hourglass-sts/hourglass/internal/adminapi"
	"github.com/hourglass-sts/hourglass/internal/loadgen"
	"github.com/hourglass-sts/hourglass/internal/testutil"
)

// TestThreeNodeCluster runs issue 8's scale-out shape on loopback: three `hourglass serve`
// processes sharing one PostgreSQL database, one master key and one admin token, with a fourth
// Hourglass (on the fs backend) as the upstream S3 cluster for the bytes. It checks that a token
// minted on one node works on the others, that revocations, key deletions and bucket policies
// made through one node are enforced by the others (a generous 5 s bound; the times are logged),
// that a node killed with SIGKILL rejoins on restart, and that load spread over the nodes with
// temporary keys sees no errors.
func TestThreeNodeCluster(t *testing.T) {
	requireE2E(t)
	dsn := testutil.PostgresDSN(t)
	ctx := context.Background()
	root := t.TempDir()

	upstream := startNode(t, filepath.Join(root, "upstream"))
	up := upstream.account("upstream-proxy", "storage.admin")

	shared := filepath.Join(root, "shared")
	os.MkdirAll(shared, 0o700)
	tokenFile := filepath.Join(shared, "admin.token")
	cfgFile := filepath.Join(shared, "cluster.yaml")
	cfg := fmt.Sprintf(`store: {type: postgres, dsn: %q}
blob: {type: s3, endpoint: %q, region: us-east-1, access_key: %q, secret_key: %q, path_style: true, bucket_prefix: "hg-"}
master_key_file: %q
admin_token_file: %q
`, dsn, upstream.endpoint(), up.ID, up.Secret, filepath.Join(shared, "master.key"), tokenFile)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	nodes := make([]*node, 3)
	for i := range nodes {
		nodes[i] = startNodeWithToken(t, filepath.Join(root, fmt.Sprintf("node%d", i)), tokenFile, "--config", cfgFile)
	}
	a, b, c := nodes[0], nodes[1], nodes[2]

	var sa adminapi.ServiceAccount
	mustDo(t, a.admin.Do(ctx, "POST", "/v1/service-accounts", nil, map[string]string{"name": "cluster-app"}, &sa))
	mustDo(t, a.admin.Do(ctx, "POST", "/v1/buckets", nil, map[string]string{"name": "spread"}, nil))
	mustDo(t, a.admin.Do(ctx, "POST", "/v1/role-bindings", nil, map[string]string{"role": "storage.editor", "subject": sa.ID, "bucket": "spread"}, nil))
	newKey := func() creds {
		var k adminapi.NewKey
		mustDo(t, a.admin.Do(ctx, "POST", "/v1/keys", nil, map[string]string{"service_account": sa.ID}, &k))
		cr := creds{ID: k.AccessKeyID, Secret: k.SecretAccessKey}
		for _, n := range nodes {
			n.waitKey(cr)
		}
		return cr
	}
	static := newKey()
	assume := func(on *node, k creds) creds {
		t.Helper()
		out, err := stsClient(on, k).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String("arn:aws:iam::cluster:role/spread"), RoleSessionName: aws.String("cluster-job")})
		if err != nil {
			t.Fatalf("AssumeRole on %s: %v", on.addr, err)
		}
		return creds{ID: *out.Credentials.AccessKeyId, Secret: *out.Credentials.SecretAccessKey, Token: *out.Credentials.SessionToken}
	}

	// A token minted on A writes through B and reads through C: one service.
	temp := assume(a, static)
	body := bytes.Repeat([]byte("cluster "), 4096)
	if _, err := b.s3(temp).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("spread"), Key: aws.String("shared/object"), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("PutObject through B with A's token: %v", err)
	}
	got, err := c.s3(temp).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("spread"), Key: aws.String("shared/object")})
	if err != nil {
		t.Fatalf("GetObject through C: %v", err)
	}
	data, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(data, body) {
		t.Fatal("C read other bytes than B wrote")
	}
	readOn := func(n *node, k creds) error {
		o, err := n.s3(k).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("spread"), Key: aws.String("shared/object")})
		if err == nil {
			o.Body.Close()
		}
		return err
	}

	// A bucket policy set through A is enforced by C.
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::spread/shared/*"}]}`
	mustDo(t, a.admin.Do(ctx, "PUT", "/v1/buckets/spread/policy", nil, map[string]string{"policy": deny}, nil))
	t.Logf("bucket policy enforced on C after %v", within(t, "bucket policy on C", func() bool { return codeOf(readOn(c, temp)) == "AccessDenied" }))
	mustDo(t, a.admin.Do(ctx, "DELETE", "/v1/buckets/spread/policy", nil, nil, nil))
	within(t, "bucket policy removal on C", func() bool { return readOn(c, temp) == nil })

	// A session revocation through B is enforced by A and C.
	revoked := assume(c, static)
	if err := readOn(a, revoked); err != nil {
		t.Fatalf("fresh token from C on A: %v", err)
	}
	mustDo(t, b.admin.Do(ctx, "POST", "/v1/sessions/revoke", nil, map[string]string{"key": static.ID}, nil))
	t.Logf("revocation enforced on A after %v", within(t, "revocation on A", func() bool { return readOn(a, revoked) != nil }))
	within(t, "revocation on C", func() bool { return readOn(c, revoked) != nil })

	// Deleting the static key through A ends its temporary keys on B.
	doomed := newKey()
	doomedTemp := assume(b, doomed)
	if err := readOn(b, doomedTemp); err != nil {
		t.Fatal(err)
	}
	mustDo(t, a.admin.Do(ctx, "DELETE", "/v1/keys/"+doomed.ID, nil, nil, nil))
	t.Logf("key deletion enforced on B after %v", within(t, "key deletion on B", func() bool { return codeOf(readOn(b, doomedTemp)) == "InvalidAccessKeyId" }))

	// C killed with SIGKILL rejoins on restart, with no manual step.
	live := assume(a, static)
	c.kill()
	c = startNodeWithToken(t, c.dataDir, tokenFile, "--config", cfgFile)
	nodes[2] = c
	if err := readOn(c, live); err != nil {
		t.Fatalf("restarted C refuses a live token: %v", err)
	}

	// Load over the three nodes at once with temporary keys: no errors.
	var wg sync.WaitGroup
	results := make([]*loadgen.Result, len(nodes))
	errs := make([]error, len(nodes))
	for i, n := range nodes {
		wg.Add(1)
		go func(i int, n *node) {
			defer wg.Done()
			results[i], errs[i] = loadgen.Run(ctx, loadgen.Config{
				Endpoint: n.endpoint(), Mode: loadgen.ModeMixed, Concurrency: 4, Duration: 2 * time.Second,
				Size: 4096, Objects: 8, Bucket: "spread", Prefix: fmt.Sprintf("load/node%d/", i),
				Credentials: loadgen.Credentials{AccessKeyID: live.ID, SecretAccessKey: live.Secret, SessionToken: live.Token},
			})
		}(i, n)
	}
	wg.Wait()
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("load on node %d: %v", i, errs[i])
		}
		if r.Stats.Ops == 0 || r.Stats.Errors != 0 || len(r.SetupErrors) != 0 {
			var codes []string
			for k := range r.Stats.ErrorCodes {
				codes = append(codes, k)
			}
			sort.Strings(codes)
			t.Fatalf("load on node %d: %d ops, %d errors %v, set-up errors %v", i, r.Stats.Ops, r.Stats.Errors, codes, r.SetupErrors)
		}
		t.Logf("node %d: %.0f ops/s with a temporary key, p99 %.1f ms", i, r.Stats.OpsPerSec, r.Stats.Latency.P99)
	}
	// The bytes live upstream, under the bucket prefix.
	if _, err := upstream.s3(up).HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("hg-spread"), Key: aws.String("shared/object")}); err != nil {
		t.Fatalf("object not in the upstream bucket hg-spread: %v", err)
	}
}

func stsClient(n *node, k creds) *sts.Client {
	return sts.New(sts.Options{BaseEndpoint: aws.String(n.endpoint()), Region: "us-east-1", RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(k.ID, k.Secret, k.Token)})
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func codeOf(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return strings.TrimSpace(err.Error())
	}
	return ""
}

// within polls cond for up to 5 s (the generous end-to-end bound) and returns how long it took.
func within(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}
