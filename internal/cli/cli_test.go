package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hourglass-sts/hourglass/internal/adminapi"
	"github.com/hourglass-sts/hourglass/internal/app"
	"github.com/hourglass-sts/hourglass/internal/cli"
	"github.com/hourglass-sts/hourglass/internal/testutil"
)

type runner struct {
	t       *testing.T
	environ []string
}

// run executes the CLI in-process and returns stdout, stderr and the exit code.
func (r runner) run(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Env{Environ: r.environ, Stdout: &out, Stderr: &errb})
	return out.String(), errb.String(), code
}

// ok runs a command that must succeed with -o json and decodes its output.
func (r runner) ok(v any, args ...string) {
	r.t.Helper()
	out, errOut, code := r.run(append([]string{"-o", "json"}, args...)...)
	if code != 0 {
		r.t.Fatalf("hourglass %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, out, errOut)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			r.t.Fatalf("hourglass %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// fails runs a command that must fail with -o json and returns the error code it printed.
func (r runner) fails(args ...string) string {
	r.t.Helper()
	out, _, code := r.run(append([]string{"-o", "json"}, args...)...)
	if code == 0 {
		r.t.Fatalf("hourglass %s succeeded, want failure:\n%s", strings.Join(args, " "), out)
	}
	var body adminapi.ErrorBody
	if err := json.Unmarshal([]byte(out), &body); err != nil {
		r.t.Fatalf("hourglass %s: error output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
	if body.Error.Message == "" {
		r.t.Fatalf("hourglass %s: error without a message: %s", strings.Join(args, " "), out)
	}
	return body.Error.Code
}

func TestCLIEndToEnd(t *testing.T) {
	cfg := testutil.Config(t)
	node := testutil.Start(t, cfg, app.Deps{})
	r := runner{t: t, environ: []string{"HOURGLASS_ADMIN_URL=" + node.AdminURL(), "HOURGLASS_DATA_DIR=" + cfg.DataDir}}

	// The token is read from <data-dir>/admin.token when not given.
	var folder adminapi.Folder
	r.ok(&folder, "folder", "create", "team-a")
	if folder.ID == "" || folder.Name != "team-a" || !folder.STSEnabled {
		t.Fatalf("folder = %+v", folder)
	}
	var sa adminapi.ServiceAccount
	r.ok(&sa, "sa", "create", "builder", "--folder", "team-a")
	if sa.ID == "" || sa.FolderID != folder.ID {
		t.Fatalf("sa = %+v", sa)
	}
	var key map[string]any
	r.ok(&key, "key", "create", "--sa", "builder", "--folder", "team-a")
	keyID, _ := key["access_key_id"].(string)
	secret, _ := key["secret_access_key"].(string)
	if !regexp.MustCompile(`^HGK[A-Z0-9]{17,22}$`).MatchString(keyID) {
		t.Fatalf("key id %q does not match the contract", keyID)
	}
	if !regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`).MatchString(secret) {
		t.Fatalf("secret has the wrong shape (length %d)", len(secret))
	}
	if key["service_account_id"] != sa.ID || key["id"] != keyID {
		t.Fatalf("key create output = %v", key)
	}
	// The SA can be named by ID too.
	var key2 adminapi.NewKey
	r.ok(&key2, "key", "create", "--sa", sa.ID)
	var bucket adminapi.Bucket
	r.ok(&bucket, "bucket", "create", "photos", "--folder", "team-a")
	if bucket.ID != "photos" || bucket.FolderID != folder.ID {
		t.Fatalf("bucket = %+v", bucket)
	}
	var rb adminapi.RoleBinding
	r.ok(&rb, "role", "grant", "storage.viewer", "--to", "builder", "--folder", "team-a")
	if rb.Subject != sa.ID || rb.ScopeType != "folder" || rb.ScopeID != folder.ID || rb.ID == "" {
		t.Fatalf("binding = %+v", rb)
	}
	r.ok(nil, "role", "grant", "storage.editor", "--to", "builder", "--bucket", "photos")
	r.ok(nil, "role", "grant", "storage.viewer", "--to", "allUsers", "--bucket", "photos")

	// Lists are JSON arrays.
	var bindings []adminapi.RoleBinding
	r.ok(&bindings, "role", "list", "--bucket", "photos")
	if len(bindings) != 2 {
		t.Fatalf("bucket bindings = %+v", bindings)
	}
	r.ok(&bindings, "role", "list", "--folder", "team-a")
	if len(bindings) != 1 || bindings[0].Role != "storage.viewer" {
		t.Fatalf("folder bindings = %+v", bindings)
	}
	var keys []map[string]any
	r.ok(&keys, "key", "list", "--sa", "builder", "--folder", "team-a")
	if len(keys) != 2 {
		t.Fatalf("keys = %v", keys)
	}
	for _, k := range keys {
		if _, leaked := k["secret_access_key"]; leaked {
			t.Fatal("key list shows a secret")
		}
	}
	var sas []adminapi.ServiceAccount
	r.ok(&sas, "sa", "list", "--folder", "team-a")
	if len(sas) != 1 || sas[0].Name != "builder" {
		t.Fatalf("sas = %+v", sas)
	}
	var folders []adminapi.Folder
	r.ok(&folders, "folder", "list")
	if len(folders) != 2 {
		t.Fatalf("folders = %+v (want default and team-a)", folders)
	}
	var buckets []adminapi.Bucket
	r.ok(&buckets, "bucket", "list", "--folder", "team-a")
	if len(buckets) != 1 {
		t.Fatalf("buckets = %+v", buckets)
	}

	// Text output is a table.
	out, _, code := r.run("sa", "list", "--folder", "team-a")
	if code != 0 || !strings.Contains(out, "builder") || !strings.Contains(out, "NAME") {
		t.Fatalf("text sa list = %q (exit %d)", out, code)
	}

	// Error cases: each a specific code and a non-zero exit.
	for _, tc := range []struct {
		args []string
		code string
	}{
		{[]string{"folder", "create", "team-a"}, "AlreadyExists"},
		{[]string{"folder", "create", "Team_A"}, "InvalidArgument"},
		{[]string{"sa", "create", "builder", "--folder", "team-a"}, "AlreadyExists"},
		{[]string{"sa", "create", "x", "--folder", "team-a"}, "InvalidArgument"},
		{[]string{"sa", "create", "someone", "--folder", "nope"}, "NotFound"},
		{[]string{"key", "create", "--sa", "ghost"}, "NotFound"},
		{[]string{"role", "grant", "storage.god", "--to", "builder", "--folder", "team-a"}, "InvalidArgument"},
		{[]string{"role", "grant", "storage.viewer", "--to", "builder", "--folder", "team-a"}, "AlreadyExists"},
		{[]string{"role", "grant", "storage.viewer", "--to", "builder", "--folder", "team-a", "--bucket", "photos"}, "InvalidArgument"},
		{[]string{"role", "revoke", "storage.admin", "--to", "builder", "--folder", "team-a"}, "NotFound"},
		{[]string{"bucket", "create", "Bad..Name"}, "InvalidArgument"},
		{[]string{"bucket", "create", "192.168.1.1"}, "InvalidArgument"},
		{[]string{"bucket", "create", "photos"}, "AlreadyExists"},
		{[]string{"folder", "delete", "team-a"}, "NotEmpty"},
		{[]string{"sa", "delete", "builder", "--folder", "team-a"}, "NotEmpty"},
		{[]string{"key", "disable", "HGKNOSUCHKEY000000000"}, "NotFound"},
		{[]string{"--admin-token", "wrong", "folder", "list"}, "Unauthorized"},
	} {
		if got := r.fails(tc.args...); got != tc.code {
			t.Errorf("hourglass %s: code %q, want %q", strings.Join(tc.args, " "), got, tc.code)
		}
	}
	// Text-mode errors are one clear line on stderr.
	_, errOut, code := r.run("folder", "create", "team-a")
	if code == 0 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.HasPrefix(errOut, "error: ") {
		t.Fatalf("text error = %q (exit %d)", errOut, code)
	}

	// Issuance control for an SA and a folder.
	r.ok(&sa, "sa", "update", "builder", "--folder", "team-a", "--sts=false")
	if sa.STSEnabled {
		t.Fatalf("sa update --sts=false: %+v", sa)
	}
	r.ok(&folder, "folder", "update", "team-a", "--sts=false")
	if folder.STSEnabled {
		t.Fatalf("folder update --sts=false: %+v", folder)
	}
	if got := r.fails("sa", "update", "builder", "--folder", "team-a"); got != "Error" {
		t.Fatalf("sa update without --sts: %s", got)
	}

	// Key lifecycle.
	var k adminapi.Key
	r.ok(&k, "key", "disable", keyID)
	if k.Status != "disabled" {
		t.Fatalf("after disable: %+v", k)
	}
	r.ok(&k, "key", "enable", keyID)
	if k.Status != "active" || !k.StatusChangedAt.After(k.CreatedAt) {
		t.Fatalf("after enable: %+v", k)
	}

	// The secret is sealed at rest: not in any of the SQLite files, in any common encoding.
	assertSecretAbsent(t, cfg.DataDir, secret)

	// A restart keeps every entity.
	node.Stop(t)
	node = testutil.Start(t, cfg, app.Deps{})
	r.environ = []string{"HOURGLASS_ADMIN_URL=" + node.AdminURL(), "HOURGLASS_ADMIN_TOKEN=" + node.App.AdminToken()}
	r.ok(&keys, "key", "list", "--sa", sa.ID)
	if len(keys) != 2 {
		t.Fatalf("after restart keys = %v", keys)
	}
	r.ok(&bindings, "role", "list")
	if len(bindings) != 3 {
		t.Fatalf("after restart bindings = %+v", bindings)
	}
	r.ok(&folders, "folder", "list")
	if len(folders) != 2 {
		t.Fatalf("after restart folders = %+v", folders)
	}

	// Deletes, with --force cascading.
	r.ok(nil, "role", "revoke", "storage.viewer", "--to", "builder", "--folder", "team-a")
	r.ok(nil, "key", "delete", keyID)
	if got := r.fails("key", "delete", keyID); got != "NotFound" {
		t.Fatalf("second delete: %s", got)
	}
	r.ok(nil, "sa", "delete", "builder", "--folder", "team-a", "--force")
	if got := r.fails("folder", "delete", "team-a"); got != "NotEmpty" {
		t.Fatalf("folder with a bucket: %s", got)
	}
	r.ok(nil, "bucket", "delete", "photos")
	r.ok(nil, "folder", "delete", "team-a")
	r.ok(&folders, "folder", "list")
	if len(folders) != 1 || folders[0].Name != "default" {
		t.Fatalf("folders at the end = %+v", folders)
	}
	r.ok(&keys, "key", "list")
	if len(keys) != 0 {
		t.Fatalf("keys survived the cascade: %v", keys)
	}
}

func assertSecretAbsent(t *testing.T, dir, secret string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "hourglass.db*"))
	if len(files) == 0 {
		t.Fatal("no SQLite files found")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(secret)) || bytes.Contains(data, []byte(secret[:20])) {
			t.Fatalf("the static secret appears in %s", f)
		}
	}
}

func TestAdminAPIBadInput(t *testing.T) {
	node := testutil.Start(t, testutil.Config(t), app.Deps{})
	tok := node.App.AdminToken()
	do := func(method, path, body, token string) (int, adminapi.ErrorBody) {
		req, _ := http.NewRequest(method, node.AdminURL()+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		var eb adminapi.ErrorBody
		if resp.StatusCode >= 300 {
			if err := json.Unmarshal(data, &eb); err != nil {
				t.Fatalf("%s %s: error body is not JSON: %s", method, path, data)
			}
			if resp.Header.Get("x-amz-request-id") != eb.Error.RequestID || eb.Error.RequestID == "" {
				t.Fatalf("request id missing or inconsistent: %q vs %q", resp.Header.Get("x-amz-request-id"), eb.Error.RequestID)
			}
		}
		return resp.StatusCode, eb
	}
	for _, tc := range []struct {
		method, path, body, token string
		status                    int
		code                      string
	}{
		{"GET", "/v1/folders", "", "", 401, "Unauthorized"},
		{"GET", "/v1/folders", "", tok + "x", 401, "Unauthorized"},
		{"POST", "/v1/folders", "{", tok, 400, "MalformedJSON"},
		{"POST", "/v1/folders", "", tok, 400, "MalformedJSON"},
		{"POST", "/v1/folders", `{"name":"abc","extra":1}`, tok, 400, "MalformedJSON"},
		{"POST", "/v1/folders", `{"name":"abc"} {}`, tok, 400, "MalformedJSON"},
		{"POST", "/v1/folders", `{"name":"` + strings.Repeat("a", 2<<20) + `"}`, tok, 413, "RequestTooLarge"},
		{"DELETE", "/v1/folders/default?force=maybe", "", tok, 400, "InvalidArgument"},
		{"GET", "/v1/nothing-here", "", tok, 404, "NotFound"},
		{"POST", "/v1/keys", `{}`, tok, 400, "InvalidArgument"},
		{"PATCH", "/v1/folders/default", `{}`, tok, 400, "InvalidArgument"},
		{"PATCH", "/v1/service-accounts/nobody", `{"sts_enabled":false}`, tok, 404, "NotFound"},
	} {
		status, eb := do(tc.method, tc.path, tc.body, tc.token)
		if status != tc.status || eb.Error.Code != tc.code {
			t.Errorf("%s %s %.40q: %d %s, want %d %s (%s)", tc.method, tc.path, tc.body, status, eb.Error.Code, tc.status, tc.code, eb.Error.Message)
		}
	}
	// Health, readiness and metrics need no token.
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		if status, _ := do("GET", p, "", ""); status != 200 {
			t.Errorf("GET %s = %d", p, status)
		}
	}
	// Nothing half-written: the failed creates left no folder behind.
	var c = adminapi.Client{BaseURL: node.AdminURL(), Token: tok}
	var folders []adminapi.Folder
	if err := c.Do(context.Background(), "GET", "/v1/folders", nil, nil, &folders); err != nil || len(folders) != 1 {
		t.Fatalf("folders = %+v, %v", folders, err)
	}
}

func TestAdminChangesAreAudited(t *testing.T) {
	cfg := testutil.Config(t)
	auditFile := filepath.Join(t.TempDir(), "audit.log")
	cfg.Audit.File = auditFile
	node := testutil.Start(t, cfg, app.Deps{})
	r := runner{t: t, environ: []string{"HOURGLASS_ADMIN_URL=" + node.AdminURL(), "HOURGLASS_ADMIN_TOKEN=" + node.App.AdminToken()}}
	r.ok(nil, "sa", "create", "auditor")
	var key adminapi.NewKey
	r.ok(&key, "key", "create", "--sa", "auditor")
	r.fails("folder", "create", "default")
	r.ok(nil, "folder", "list")
	data, err := os.ReadFile(auditFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), key.SecretAccessKey) || strings.Contains(string(data), node.App.AdminToken()) {
		t.Fatal("audit log contains a secret or the admin token")
	}
	var events []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("audit line is not JSON: %q", line)
		}
		events = append(events, ev)
	}
	// Three changes, each audited before and after; the read-only list is not audited.
	if len(events) != 6 {
		t.Fatalf("got %d audit events, want 6:\n%s", len(events), data)
	}
	if events[1]["operation"] != "CreateServiceAccount" || events[1]["outcome"] != "success" {
		t.Fatalf("event = %v", events[1])
	}
	if events[5]["operation"] != "CreateFolder" || events[5]["outcome"] != "failure" || events[5]["error"] == "" {
		t.Fatalf("failed change event = %v", events[5])
	}
}

func TestSessionAndTokenKeyCommands(t *testing.T) {
	node := testutil.Start(t, testutil.Config(t), app.Deps{})
	r := runner{t: t, environ: []string{"HOURGLASS_ADMIN_URL=" + node.AdminURL(), "HOURGLASS_ADMIN_TOKEN=" + node.App.AdminToken()}}
	var keys []map[string]any
	r.ok(&keys, "token-key", "list")
	if len(keys) != 1 || keys[0]["state"] != "active" {
		t.Fatalf("token keys = %v", keys)
	}
	var rot map[string]any
	r.ok(&rot, "token-key", "rotate")
	if rot["added"] == nil {
		t.Fatalf("rotate added nothing: %v", rot)
	}
	r.ok(&keys, "token-key", "list")
	if len(keys) != 2 {
		t.Fatalf("after rotate: %v", keys)
	}
	r.ok(nil, "sa", "create", "worker")
	var k adminapi.NewKey
	r.ok(&k, "key", "create", "--sa", "worker")
	var rev map[string]any
	r.ok(&rev, "session", "revoke", "--key", k.AccessKeyID)
	r.ok(&rev, "session", "revoke", "--sa", "worker")
	r.ok(&rev, "session", "revoke", "00112233445566778899aabbccddeeff")
	for _, args := range [][]string{
		{"session", "revoke"},
		{"session", "revoke", "not-a-session-id"},
		{"session", "revoke", "--key", k.AccessKeyID, "--before", "yesterday"},
		{"session", "revoke", "--sa", "ghost"},
	} {
		r.fails(args...)
	}
	out, _, code := r.run("session", "revoke", "--key", k.AccessKeyID)
	if code != 0 || out == "" {
		t.Fatalf("text revoke: %q %d", out, code)
	}
}
