package authz_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hourglass-sts/hourglass/internal/authz"
	"github.com/hourglass-sts/hourglass/internal/cli"
	"github.com/hourglass-sts/hourglass/internal/iam"
)

// TestCLI runs the hourglass CLI commands of this package (explain, bucket policy, bucket acl)
// in-process against the admin API of newStack.
func TestCLI(t *testing.T) {
	s := newStack(t, authz.ModelYandex)
	if _, err := s.svc.Grant(s.ctx, iam.Binding{Role: iam.RoleViewer, Subject: s.sa.ID, Folder: "team"}); err != nil {
		t.Fatal(err)
	}
	s.sync()
	env := []string{"HOURGLASS_ADMIN_URL=" + s.url, "HOURGLASS_ADMIN_TOKEN=" + adminToken}
	run := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		code := cli.Main(s.ctx, args, cli.Env{Environ: env, Stdout: &out, Stderr: &errb})
		return out.String(), errb.String(), code
	}
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	out, errOut, code := run("explain", "--key", s.key, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::photos/a.jpg")
	if code != 0 || !strings.HasPrefix(out, "decision: Allow\n") || !strings.Contains(out, "storage.viewer") {
		t.Fatalf("explain: exit %d\n%s%s", code, out, errOut)
	}
	sp := write("session.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/public/*"}]}`)
	out, _, code = run("explain", "--key", s.key, "--session-policy", sp, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::photos/a.jpg")
	if code != 0 || !strings.HasPrefix(out, "decision: Deny\n") {
		t.Fatalf("explain with a session policy: exit %d\n%s", code, out)
	}
	out, _, code = run("-o", "json", "explain", "--key", s.key, "--session-policy", sp, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::photos/public/a.jpg")
	var js struct {
		Decision string       `json:"decision"`
		Reason   string       `json:"reason"`
		Steps    []authz.Step `json:"steps"`
	}
	if err := json.Unmarshal([]byte(out), &js); code != 0 || err != nil || js.Decision != "Allow" || len(js.Steps) == 0 || js.Reason == "" {
		t.Fatalf("explain -o json: exit %d, %v\n%s", code, err, out)
	}
	if _, errOut, code = run("explain", "--key", s.key, "--action", "s3:GetObject"); code == 0 || !strings.Contains(errOut, "--resource") {
		t.Fatalf("explain without --resource: exit %d %s", code, errOut)
	}

	// bucket policy set / get / delete.
	pol := `{"Version":"2012-10-17","Statement":[{"Sid":"OnlyTLS","Effect":"Deny","Principal":"*","Action":"*","Resource":"arn:aws:s3:::photos/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	if out, errOut, code = run("bucket", "policy", "set", "photos", write("p.json", pol)); code != 0 {
		t.Fatalf("policy set: exit %d %s%s", code, out, errOut)
	}
	out, _, code = run("bucket", "policy", "get", "photos")
	if code != 0 || !strings.Contains(out, `"Sid": "OnlyTLS"`) {
		t.Fatalf("policy get: exit %d\n%s", code, out)
	}
	s.sync()
	out, _, _ = run("explain", "--key", s.key, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::photos/a.jpg")
	if !strings.HasPrefix(out, "decision: Deny\n") || !strings.Contains(out, "OnlyTLS") {
		t.Fatalf("explain under the TLS-only policy:\n%s", out)
	}
	out, _, _ = run("explain", "--key", s.key, "--secure-transport", "--action", "s3:GetObject", "--resource", "arn:aws:s3:::photos/a.jpg")
	if !strings.HasPrefix(out, "decision: Deny\n") || !strings.Contains(out, "has no statement allowing") {
		t.Fatalf("explain over TLS (the policy has only a Deny, so nothing allows):\n%s", out)
	}
	out, _, code = run("-o", "json", "bucket", "policy", "set", "photos", write("bad.json", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:Nope","Resource":"arn:aws:s3:::photos/*"}]}`))
	if code == 0 || !strings.Contains(out, "MalformedPolicy") || !strings.Contains(out, "Statement[0].Action") {
		t.Fatalf("policy set with a bad action: exit %d\n%s", code, out)
	}
	if out, _, code = run("bucket", "policy", "delete", "photos"); code != 0 {
		t.Fatalf("policy delete: %d %s", code, out)
	}
	if out, _, code = run("-o", "json", "bucket", "policy", "get", "photos"); code == 0 || !strings.Contains(out, "NoSuchBucketPolicy") {
		t.Fatalf("policy get after delete: %d %s", code, out)
	}

	// bucket acl set / get, canned and from a file, and a round trip of get -o json.
	if out, errOut, code = run("bucket", "acl", "set", "photos", "--canned", "public-read"); code != 0 || !strings.Contains(out, "AllUsers") {
		t.Fatalf("acl set --canned: %d %s%s", code, out, errOut)
	}
	out, _, code = run("-o", "json", "bucket", "acl", "get", "photos")
	if code != 0 {
		t.Fatal(out)
	}
	saved := write("acl.json", out)
	if _, _, code = run("bucket", "acl", "set", "photos", "--canned", "private"); code != 0 {
		t.Fatal("acl set private")
	}
	if out, errOut, code = run("bucket", "acl", "set", "photos", saved); code != 0 || !strings.Contains(out, "AllUsers") {
		t.Fatalf("acl set from the saved JSON: %d %s%s", code, out, errOut)
	}
	xmlFile := write("acl.xml", `<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AuthenticatedUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>`)
	if out, errOut, code = run("bucket", "acl", "set", "photos", xmlFile); code != 0 || !strings.Contains(out, "AuthenticatedUsers") {
		t.Fatalf("acl set from XML: %d %s%s", code, out, errOut)
	}
	if _, errOut, code = run("bucket", "acl", "set", "photos"); code == 0 || !strings.Contains(errOut, "--canned") {
		t.Fatalf("acl set without an ACL: %d %s", code, errOut)
	}
	s.sync()
	out, _, _ = run("explain", "--key", "anonymous", "--action", "s3:ListBucket", "--resource", "arn:aws:s3:::photos")
	if !strings.HasPrefix(out, "decision: Deny\n") {
		t.Fatalf("anonymous list of an authenticated-read bucket:\n%s", out)
	}
	out, _, _ = run("explain", "--key", s.key, "--temporary", "--object-acl", "public-read", "--action", "s3:PutObject", "--resource", "arn:aws:s3:::photos/x")
	if !strings.HasPrefix(out, "decision: Deny\n") {
		t.Fatalf("viewer upload:\n%s", out)
	}
}
