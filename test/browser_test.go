package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
)

const chromiumPath = "/usr/bin/chromium"

// assumeRole gets a temporary key from the node's STS with aws-sdk-go-v2 (AssumeRole signed with
// the static key), with an optional session policy.
func assumeRole(t *testing.T, n *node, static creds, sessionName, policy string) creds {
	t.Helper()
	t.Setenv("AWS_CA_BUNDLE", "")
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(n.endpoint()),
		Credentials: credentials.NewStaticCredentialsProvider(static.ID, static.Secret, "")})
	in := &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/e2e"), RoleSessionName: aws.String(sessionName)}
	if policy != "" {
		in.Policy = aws.String(policy)
	}
	out, err := c.AssumeRole(context.Background(), in)
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	return creds{ID: aws.ToString(out.Credentials.AccessKeyId), Secret: aws.ToString(out.Credentials.SecretAccessKey), Token: aws.ToString(out.Credentials.SessionToken)}
}

// browserPage runs in Chromium from its own origin: a presigned PUT, a POST-policy form upload,
// presigned GETs of both objects, and two requests that CORS must refuse (a GET of a bucket
// whose rules do not name this origin, and a PUT whose preflight fails). It writes what it saw
// into the DOM and reports it to the page's own server.
// The configuration is JSON from json.Marshal, which escapes <, > and &, so it cannot close the
// script element.
const browserPage = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>hourglass browser test</title></head>
<body><pre id="result">pending</pre>
<script id="cfg" type="application/json">CONFIG</script>
<script>
(async () => {
  const cfg = JSON.parse(document.getElementById('cfg').textContent);
  const out = {};
  const attempt = async (name, fn) => {
    try { out[name] = await fn(); } catch (e) { out[name] = {blocked: true, error: String(e)}; }
  };
  await attempt('put', async () => {
    const r = await fetch(cfg.putURL, {method: 'PUT', body: cfg.putBody});
    return {status: r.status, etag: r.headers.get('ETag')};
  });
  await attempt('post', async () => {
    const fd = new FormData();
    for (const [k, v] of cfg.postFields) fd.append(k, v);
    fd.append('file', new Blob([cfg.postBody], {type: 'text/plain'}), 'form.txt');
    const r = await fetch(cfg.postURL, {method: 'POST', body: fd});
    return {status: r.status, body: await r.text()};
  });
  await attempt('getPut', async () => {
    const r = await fetch(cfg.getPutURL);
    return {status: r.status, body: await r.text()};
  });
  await attempt('getPost', async () => {
    const r = await fetch(cfg.getPostURL);
    return {status: r.status, body: await r.text()};
  });
  await attempt('deniedGet', async () => {
    const r = await fetch(cfg.deniedGetURL);
    return {status: r.status, body: await r.text()};
  });
  await attempt('deniedPut', async () => {
    const r = await fetch(cfg.deniedPutURL, {method: 'PUT', body: 'must not arrive'});
    return {status: r.status};
  });
  const text = JSON.stringify(out);
  document.getElementById('result').textContent = text;
  await fetch('/report', {method: 'POST', body: text});
})();
</script></body></html>`

type browserResult struct {
	Put, Post, GetPut, GetPost, DeniedGet, DeniedPut struct {
		Status  int
		ETag    string
		Body    string
		Blocked bool
		Error   string
	}
}

// TestBrowserUploads drives Debian's Chromium, headless, against the built binary: a page
// served from another 127.0.0.1 origin uploads with a presigned PUT and with a POST policy
// made from a temporary key, reads both back with presigned GETs, and is refused by CORS where
// the bucket's rules do not name its origin.
func TestBrowserUploads(t *testing.T) {
	requireE2E(t)
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("%s is absent (apt-get install chromium): the browser test needs Debian's Chromium", chromiumPath)
	}
	t.Setenv("AWS_CA_BUNDLE", "")
	ctx := context.Background()
	n := startNode(t, filepath.Join(t.TempDir(), "data"))
	static := n.account("web-app", "storage.admin")
	admin := n.s3(static)
	for _, b := range []string{"browser-up", "browser-denied"} {
		if _, err := admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("CreateBucket %s: %v", b, err)
		}
	}
	if _, err := admin.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("browser-denied"), Key: aws.String("secret.txt"), Body: strings.NewReader("secret")}); err != nil {
		t.Fatal(err)
	}

	reports := make(chan []byte, 1)
	var pageHTML []byte
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(pageHTML)
	})
	mux.HandleFunc("/report", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		select {
		case reports <- b:
		default:
		}
	})
	page := httptest.NewServer(mux) // 127.0.0.1, another port: another origin
	defer page.Close()
	origin := page.URL

	for bucket, allowed := range map[string]string{"browser-up": origin, "browser-denied": "http://elsewhere.example"} {
		if _, err := admin.PutBucketCors(ctx, &s3.PutBucketCorsInput{Bucket: aws.String(bucket), CORSConfiguration: &types.CORSConfiguration{
			CORSRules: []types.CORSRule{{AllowedOrigins: []string{allowed}, AllowedMethods: []string{"GET", "PUT", "POST", "HEAD"},
				AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: aws.Int32(60)}}}}); err != nil {
			t.Fatalf("PutBucketCors %s: %v", bucket, err)
		}
	}

	// Everything the page uses is made from a temporary key.
	tmp := assumeRole(t, n, static, "browser", "")
	presign := s3.NewPresignClient(n.s3(tmp), func(o *s3.PresignOptions) { o.Expires = 15 * time.Minute })
	presigned := func(method, bucket, key string) string {
		t.Helper()
		var r *v4.PresignedHTTPRequest
		var err error
		if method == "PUT" {
			r, err = presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		} else {
			r, err = presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		}
		if err != nil {
			t.Fatalf("presign %s %s/%s: %v", method, bucket, key, err)
		}
		return r.URL
	}
	mc, err := minio.New(n.addr, &minio.Options{Creds: miniocreds.NewStaticV4(tmp.ID, tmp.Secret, tmp.Token), Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	if err != nil {
		t.Fatal(err)
	}
	pp := minio.NewPostPolicy()
	pp.SetBucket("browser-up")
	pp.SetKey("posted.txt")
	pp.SetExpires(time.Now().Add(15 * time.Minute))
	pp.SetContentLengthRange(1, 1<<20)
	pp.SetSuccessStatusAction("201")
	postURL, formData, err := mc.PresignedPostPolicy(ctx, pp)
	if err != nil {
		t.Fatalf("PresignedPostPolicy: %v", err)
	}
	if _, ok := formData["x-amz-security-token"]; !ok {
		t.Fatal("the POST form carries no x-amz-security-token: not a temporary key")
	}
	var postFields [][2]string
	for k, v := range formData {
		postFields = append(postFields, [2]string{k, v})
	}
	cfg := map[string]any{
		"putURL": presigned("PUT", "browser-up", "put.txt"), "putBody": "hello from a presigned PUT",
		"postURL": postURL.String(), "postFields": postFields, "postBody": "hello from a POST form",
		"getPutURL": presigned("GET", "browser-up", "put.txt"), "getPostURL": presigned("GET", "browser-up", "posted.txt"),
		"deniedGetURL": presigned("GET", "browser-denied", "secret.txt"), "deniedPutURL": presigned("PUT", "browser-denied", "put-denied.txt"),
	}
	cfgJSON, _ := json.Marshal(cfg)
	pageHTML = []byte(strings.Replace(browserPage, "CONFIG", string(cfgJSON), 1))

	profile := t.TempDir()
	cctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, chromiumPath, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-proxy-server",
		"--user-data-dir="+profile, "--virtual-time-budget=60000", "--dump-dom", origin+"/")
	cmd.Env = append(cleanEnv(nil), "HOME="+profile)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var report []byte
	select {
	case report = <-reports:
	case err := <-exited:
		select {
		case report = <-reports:
		default:
			t.Fatalf("chromium exited (%v) without a report\nDOM:\n%s\nstderr:\n%s", err, stdout.String(), tail(stderr.String(), 4000))
		}
	case <-cctx.Done():
		t.Fatalf("no report from the page in time\nstderr:\n%s", tail(stderr.String(), 4000))
	}
	select {
	case <-exited:
		if !strings.Contains(stdout.String(), `"Put"`) && !strings.Contains(stdout.String(), `"put"`) {
			t.Logf("dumped DOM without the result (the report arrived):\n%s", tail(stdout.String(), 2000))
		}
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		<-exited
	}

	var res browserResult
	if err := json.Unmarshal(report, &res); err != nil {
		t.Fatalf("report %s: %v", report, err)
	}
	t.Logf("page report: %s", report)
	if res.Put.Status != 200 || res.Put.ETag == "" {
		t.Errorf("presigned PUT from the browser: %+v (ETag must be exposed)", res.Put)
	}
	if res.Post.Status != 201 || !strings.Contains(res.Post.Body, "<Key>posted.txt</Key>") {
		t.Errorf("POST form from the browser: %+v", res.Post)
	}
	if res.GetPut.Status != 200 || res.GetPut.Body != cfg["putBody"] {
		t.Errorf("presigned GET of the PUT object: %+v", res.GetPut)
	}
	if res.GetPost.Status != 200 || res.GetPost.Body != cfg["postBody"] {
		t.Errorf("presigned GET of the POST object: %+v", res.GetPost)
	}
	if !res.DeniedGet.Blocked {
		t.Errorf("GET from an origin the bucket does not allow was not blocked: %+v", res.DeniedGet)
	}
	if !res.DeniedPut.Blocked {
		t.Errorf("PUT from an origin the bucket does not allow was not blocked: %+v", res.DeniedPut)
	}
	// The refused PUT never reached the server (its preflight failed); the others are stored.
	_, err = admin.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("browser-denied"), Key: aws.String("put-denied.txt")})
	if err == nil {
		t.Error("the PUT refused by CORS stored an object")
	}
	for _, k := range []string{"put.txt", "posted.txt"} {
		if _, err := admin.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("browser-up"), Key: aws.String(k)}); err != nil {
			t.Errorf("HEAD %s: %v", k, err)
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
