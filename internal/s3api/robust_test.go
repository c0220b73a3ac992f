package s3api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"

	"github.com/hourglass-sts/hourglass/internal/audit"
	"github.com/hourglass-sts/hourglass/internal/config"
	"github.com/hourglass-sts/hourglass/internal/iam"
)

// metricValue returns the sum of the samples of metric whose labels contain every one of
// labels, read from the node's /metrics.
func (e *env) metricValue(metric string, labels ...string) float64 {
	e.t.Helper()
	resp, err := http.Get(e.node.AdminURL() + "/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric+"{") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if ok {
			var v float64
			fmt.Sscanf(line[strings.LastIndexByte(line, ' ')+1:], "%g", &v)
			sum += v
		}
	}
	return sum
}

// waitMetric waits until the metric reaches at least min: the request it counts has finished.
func (e *env) waitMetric(min float64, metric string, labels ...string) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for e.metricValue(metric, labels...) < min {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s%v did not reach %g", metric, labels, min)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// failingReader yields n bytes, then fails: the client gives up mid-upload.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("client gave up")
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	for i := range p {
		p[i] = 'x'
	}
	f.n -= len(p)
	return len(p), nil
}

// TestDisconnectMidUpload: a client that stops mid-upload (signed streaming with a temporary
// key, and a raw connection closed half-way) leaves the previous object intact and no partial
// one.
func TestDisconnectMidUpload(t *testing.T) {
	e := newEnv(t)
	sa := e.newSA("uploader", "", iam.RoleAdmin)
	c := e.static(sa)
	e.createBucket(c, "drop")
	if _, err := c.PutBucketAcl(e.ctx, &s3.PutBucketAclInput{Bucket: aws.String("drop"), ACL: "public-read-write"}); err != nil {
		t.Fatal(err)
	}
	e.put(c, "drop", "k", []byte("original"))
	before := e.metricValue("hourglass_requests_total", `op="PutObject"`)

	// 1. minio-go streams an unseekable body in signed aws-chunked framing with a temporary
	// key, and its reader fails after 3 MiB of the 8 MiB declared.
	tk := e.temp(sa, "")
	mc := e.minio(tk.AccessKeyID, tk.Secret, tk.Token)
	_, err := mc.PutObject(e.ctx, "drop", "k", &failingReader{n: 3 << 20}, 8<<20, minio.PutObjectOptions{DisableMultipart: true})
	if err == nil {
		t.Fatal("the failing upload succeeded")
	}
	e.waitMetric(before+1, "hourglass_requests_total", `op="PutObject"`)
	// 2. A raw request that declares 1 MiB and sends half before closing.
	conn, err := net.Dial("tcp", e.node.App.Addr())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "PUT /drop/k HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", e.node.App.Addr(), 1<<20)
	conn.Write(bytes.Repeat([]byte("y"), 512<<10))
	conn.Close()

	// Both requests have ended once two more PutObject requests are counted.
	e.waitMetric(before+2, "hourglass_requests_total", `op="PutObject"`)
	if got := e.get(c, "drop", "k"); string(got) != "original" {
		t.Fatalf("object after aborted uploads = %d bytes %q...", len(got), got[:min(len(got), 16)])
	}
	out, err := c.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String("drop")})
	if err != nil || len(out.Contents) != 1 || aws.ToInt64(out.Contents[0].Size) != int64(len("original")) {
		t.Fatalf("listing after aborted uploads: %+v %v", out, err)
	}
}

// TestVirtualHostedStyle: with a domain configured, <bucket>.<domain> addresses the bucket.
func TestVirtualHostedStyle(t *testing.T) {
	e := newEnv(t, func(c *config.Config) { c.Domain = "s3.test.local" })
	sa := e.newSA("vhost", "", iam.RoleAdmin)
	e.createBucket(e.static(sa), "vbucket")
	addr := e.node.App.Addr()
	// Resolve every *.s3.test.local name to the node (only loopback traffic).
	dialer := &net.Dialer{}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx2 context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx2, network, addr)
	}}}
	_, port, _ := net.SplitHostPort(addr)
	vc := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String("http://s3.test.local:" + port), UsePathStyle: false,
		Credentials: credentials.NewStaticCredentialsProvider(sa.Key.Key.ID, sa.Key.Secret, ""), HTTPClient: hc, RetryMaxAttempts: 1,
	})
	if _, err := vc.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("vbucket"), Key: aws.String("a//b/../c"), Body: strings.NewReader("v")}); err != nil {
		t.Fatalf("vhost PutObject: %v", err)
	}
	if got := e.get(e.static(sa), "vbucket", "a//b/../c"); string(got) != "v" {
		t.Fatalf("path-style read of a vhost write = %q", got)
	}
	out, err := vc.ListObjectsV2(e.ctx, &s3.ListObjectsV2Input{Bucket: aws.String("vbucket")})
	if err != nil || len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "a//b/../c" {
		t.Fatalf("vhost list: %+v %v", out, err)
	}
}

// TestAccessLogAndAudit: the access log names the principal and session; a denied request is
// logged with its reason and audited as AccessDenied.
func TestAccessLogAndAudit(t *testing.T) {
	auditFile := filepath.Join(t.TempDir(), "audit.log")
	e := newEnv(t, func(c *config.Config) { c.Audit.File = auditFile })
	sa := e.newSA("logged", "", iam.RoleViewer)
	tk := e.temp(sa, "")
	c := e.temporary(tk)
	_, err := c.CreateBucket(e.ctx, &s3.CreateBucketInput{Bucket: aws.String("viewers-cannot")})
	wantCode(t, err, "AccessDenied")
	_, err = e.client(sa.Key.Key.ID, "wrong-secret-wrong-secret-wrong-secret00", "").ListBuckets(e.ctx, &s3.ListBucketsInput{})
	wantCode(t, err, "SignatureDoesNotMatch")
	e.waitMetric(1, "hourglass_requests_total", `op="CreateBucket"`, `status="403"`)
	e.waitMetric(1, "hourglass_requests_total", `op="ListBuckets"`, `status="403"`)

	log := e.node.LogText()
	var line string
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "op=CreateBucket") {
			line = l
		}
	}
	for _, want := range []string{"principal=arn:aws:sts::" + sa.Folder + ":assumed-role/logged/test-session", "session_id=" + tk.SessionID, "status=403", "reason="} {
		if !strings.Contains(line, want) {
			t.Errorf("access log line lacks %q: %s", want, line)
		}
	}
	if strings.Contains(log, tk.Secret) || strings.Contains(log, sa.Key.Secret) || strings.Contains(log, tk.Token) {
		t.Fatal("a secret or token reached the log")
	}

	b, err := os.ReadFile(auditFile)
	if err != nil {
		t.Fatal(err)
	}
	// Events are matched by content: waiting for the key to work (newSA) may itself have been
	// refused and audited while the node had not seen the key yet.
	var created, badSig *audit.Event
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var ev audit.Event
		if json.Unmarshal(l, &ev) != nil || ev.Event != audit.AccessDenied {
			continue
		}
		switch {
		case ev.Operation == "CreateBucket":
			created = &ev
		case strings.Contains(ev.Reason, "SignatureDoesNotMatch"):
			badSig = &ev
		}
	}
	if d := created; d == nil || d.Action != "s3:CreateBucket" || d.SessionID != tk.SessionID || d.Reason == "" || d.RequestID == "" || d.SAID != sa.SA.ID {
		t.Errorf("CreateBucket denial event: %+v", d)
	}
	if d := badSig; d == nil || d.Operation != "ListBuckets" || d.AccessKeyID != sa.Key.Key.ID {
		t.Errorf("authentication failure event: %+v", d)
	}
	if bytes.Contains(b, []byte(tk.Secret)) || bytes.Contains(b, []byte(tk.Token)) {
		t.Fatal("a secret or token reached the audit log")
	}
}
