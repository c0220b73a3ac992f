package authz_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hourglass-sts/hourglass/internal/acl"
	"github.com/hourglass-sts/hourglass/internal/adminapi"
	"github.com/hourglass-sts/hourglass/internal/authz"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/masterkey"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/meta/sqlite"
	"github.com/hourglass-sts/hourglass/internal/s3action"
)

const adminToken = "test-admin-token"

// stack is a real control plane: SQLite store, IAM service, directory, engine, and the admin
// API with the authorization routes on a loopback HTTP server.
type stack struct {
	t      *testing.T
	ctx    context.Context
	svc    *iam.Service
	dir    *iam.Directory
	eng    *authz.Engine
	url    string
	client *adminapi.Client

	folder meta.Folder
	sa     meta.ServiceAccount
	key    string
}

func newStack(t *testing.T, model authz.AccessModel) *stack {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hourglass.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	mk, err := masterkey.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	svc := iam.New(iam.Options{Store: st, Master: mk})
	if err := svc.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	dir, err := iam.NewDirectory(ctx, svc, iam.DirectoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := authz.New(dir, authz.Options{Model: model})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(adminapi.NewServer(svc, adminToken, slog.New(slog.DiscardHandler), nil, authz.AdminExtension(eng, dir, svc)))
	t.Cleanup(srv.Close)
	s := &stack{t: t, ctx: ctx, svc: svc, dir: dir, eng: eng, url: srv.URL,
		client: &adminapi.Client{BaseURL: srv.URL, Token: adminToken}}
	if s.folder, err = svc.CreateFolder(ctx, "team"); err != nil {
		t.Fatal(err)
	}
	if s.sa, err = svc.CreateSA(ctx, "alice", "team", ""); err != nil {
		t.Fatal(err)
	}
	nk, err := svc.CreateKey(ctx, s.sa.ID, "team", "")
	if err != nil {
		t.Fatal(err)
	}
	s.key = nk.Key.ID
	if _, err := svc.CreateBucket(ctx, "photos", "team", nil); err != nil {
		t.Fatal(err)
	}
	s.sync()
	return s
}

// sync makes the directory (and so the engine) apply every change in the store now.
func (s *stack) sync() {
	s.t.Helper()
	if err := s.dir.Sync(s.ctx); err != nil {
		s.t.Fatal(err)
	}
}

func (s *stack) static() *iam.Principal { return iam.StaticPrincipal(s.sa, s.key) }

func (s *stack) decide(p *iam.Principal, act s3action.Action, bucket, key string) authz.Decision {
	return s.eng.Decide(&authz.Input{Principal: p, Action: act, Bucket: bucket, Key: key})
}

// do calls the admin API; it returns the API error code ("" on success).
func (s *stack) do(method, path string, body, out any) string {
	s.t.Helper()
	err := s.client.Do(s.ctx, method, path, nil, body, out)
	var ae *adminapi.APIError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ae):
		return ae.Code + ": " + ae.Message
	}
	s.t.Fatalf("%s %s: %v", method, path, err)
	return ""
}

func TestEngineFollowsChanges(t *testing.T) {
	s := newStack(t, authz.ModelYandex)
	p := s.static()
	if d := s.decide(p, s3action.GetObject, "photos", "a.jpg"); d.Allowed() {
		t.Fatalf("allowed before any binding: %s", d.Reason)
	}
	builds := s.eng.Builds()

	// A change that cannot matter (a new key) does not rebuild.
	if _, err := s.svc.CreateKey(s.ctx, s.sa.ID, "team", ""); err != nil {
		t.Fatal(err)
	}
	s.sync()
	if s.eng.Builds() != builds {
		t.Errorf("a new key rebuilt the engine (%d → %d builds)", builds, s.eng.Builds())
	}

	// Binding added → the next decision sees it.
	if _, err := s.svc.Grant(s.ctx, iam.Binding{Role: iam.RoleViewer, Subject: s.sa.ID, Folder: "team"}); err != nil {
		t.Fatal(err)
	}
	s.sync()
	if d := s.decide(p, s3action.GetObject, "photos", "a.jpg"); !d.Allowed() || d.By != authz.CheckRoles {
		t.Fatalf("after granting storage.viewer: %v %s", d.Effect, d.Reason)
	}
	if d := s.decide(p, s3action.PutObject, "photos", "a.jpg"); d.Allowed() {
		t.Fatalf("storage.viewer may upload: %s", d.Reason)
	}

	// A bucket policy stored → the next decision applies it.
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"NoJpeg","Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*.jpg"},
		{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::photos/*"}]}`
	if err := s.svc.Store().PutBucketConfig(s.ctx, "photos", meta.BucketPolicy, []byte(doc)); err != nil {
		t.Fatal(err)
	}
	s.sync()
	if d := s.decide(p, s3action.GetObject, "photos", "a.jpg"); d.Allowed() || d.Sid != "NoJpeg" {
		t.Fatalf("after the Deny policy: %v %s", d.Effect, d.Reason)
	}
	if d := s.decide(p, s3action.GetObject, "photos", "a.png"); !d.Allowed() {
		t.Fatalf("after the policy, a.png: %s", d.Reason)
	}

	// The bucket ACL, stored in its XML form, counts.
	pub, _ := acl.FromCanned(acl.CannedPublicRead, acl.Owner{ID: s.folder.ID})
	if err := s.svc.Store().PutBucketConfig(s.ctx, "photos", meta.BucketACL, authz.EncodeACL(pub)); err != nil {
		t.Fatal(err)
	}
	s.sync()
	if d := s.decide(iam.AnonymousPrincipal, s3action.GetObject, "photos", "a.png"); !d.Allowed() || d.By != authz.CheckPublicAccess {
		t.Fatalf("public-read bucket, anonymous read: %v %s", d.Effect, d.Reason)
	}

	// Binding and policy removed → gone.
	if _, err := s.svc.Revoke(s.ctx, iam.Binding{Role: iam.RoleViewer, Subject: s.sa.ID, Folder: "team"}); err != nil {
		t.Fatal(err)
	}
	if err := s.svc.Store().DeleteBucketConfig(s.ctx, "photos", meta.BucketPolicy); err != nil {
		t.Fatal(err)
	}
	if err := s.svc.Store().DeleteBucketConfig(s.ctx, "photos", meta.BucketACL); err != nil {
		t.Fatal(err)
	}
	s.sync()
	if d := s.decide(p, s3action.GetObject, "photos", "a.png"); d.Allowed() {
		t.Fatalf("after revoking: %s", d.Reason)
	}
	if s.eng.Builds() <= builds {
		t.Fatal("the engine never rebuilt")
	}

	// Buckets: a new bucket is visible through a folder role; a deleted one disappears.
	if _, err := s.svc.Grant(s.ctx, iam.Binding{Role: iam.RoleUploader, Subject: s.sa.ID, Folder: "team"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.CreateBucket(s.ctx, "videos", "team", nil); err != nil {
		t.Fatal(err)
	}
	s.sync()
	if got := names(s.eng.VisibleBuckets(p)); got != "photos,videos" {
		t.Fatalf("visible buckets = %s", got)
	}
	if !s.eng.CanListBuckets(p) || s.eng.CanListBuckets(iam.AnonymousPrincipal) {
		t.Fatal("CanListBuckets wrong")
	}
	if err := s.svc.DeleteBucket(s.ctx, "videos"); err != nil {
		t.Fatal(err)
	}
	s.sync()
	if got := names(s.eng.VisibleBuckets(p)); got != "photos" {
		t.Fatalf("visible buckets after delete = %s", got)
	}
	if d := s.decide(p, s3action.PutObject, "videos", "x"); d.Allowed() {
		t.Fatalf("a deleted bucket still accepts uploads: %s", d.Reason)
	}
}

func names(bs []meta.Bucket) string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Name)
	}
	return strings.Join(out, ",")
}

func TestVisibleBucketsByModel(t *testing.T) {
	for _, model := range []authz.AccessModel{authz.ModelYandex, authz.ModelAWS} {
		s := newStack(t, model)
		// A bucket in another folder with a bucket-scope role, and one in the SA's folder without.
		if _, err := s.svc.CreateFolder(s.ctx, "other"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.svc.CreateBucket(s.ctx, "shared", "other", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.svc.Grant(s.ctx, iam.Binding{Role: iam.RoleViewer, Subject: s.sa.ID, Bucket: "shared"}); err != nil {
			t.Fatal(err)
		}
		s.sync()
		want := map[authz.AccessModel]string{authz.ModelYandex: "shared", authz.ModelAWS: "photos"}[model]
		if got := names(s.eng.VisibleBuckets(s.static())); got != want {
			t.Errorf("%s: visible = %q, want %q", model, got, want)
		}
	}
}

func TestAdminBucketPolicy(t *testing.T) {
	s := newStack(t, authz.ModelYandex)
	if code := s.do("GET", "/v1/buckets/photos/policy", nil, nil); !strings.HasPrefix(code, "NoSuchBucketPolicy") {
		t.Fatalf("GET without a policy: %q", code)
	}
	if code := s.do("GET", "/v1/buckets/nope/policy", nil, nil); !strings.HasPrefix(code, "NoSuchBucket:") {
		t.Fatalf("GET on a missing bucket: %q", code)
	}
	// Invalid documents are refused with the element named.
	for doc, want := range map[string]string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObjekt","Resource":"arn:aws:s3:::photos/*"}]}`: "Statement[0].Action",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}`:                 "Principal",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::other/*"}]}`:  "Resource",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]`:  "",
		`{"Version":"2013-01-01","Statement":[]}`: "Version",
	} {
		code := s.do("PUT", "/v1/buckets/photos/policy", map[string]string{"policy": doc}, nil)
		if !strings.HasPrefix(code, "MalformedPolicy:") || !strings.Contains(code, want) {
			t.Errorf("PUT %s\n= %q, want MalformedPolicy naming %q", doc, code, want)
		}
	}
	// A lock-out policy: it denies everything to everyone, admins included.
	lockout := `{"Version":"2012-10-17","Statement":[{"Sid":"Nobody","Effect":"Deny","Principal":"*","Action":"*","Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]}]}`
	var put authz.BucketPolicyResponse
	if code := s.do("PUT", "/v1/buckets/photos/policy", map[string]string{"policy": lockout}, &put); code != "" {
		t.Fatalf("PUT: %s", code)
	}
	if _, err := s.svc.Grant(s.ctx, iam.Binding{Role: iam.RoleAdmin, Subject: s.sa.ID, Folder: "team"}); err != nil {
		t.Fatal(err)
	}
	s.sync()
	if d := s.decide(s.static(), s3action.PutBucketPolicy, "photos", ""); d.Allowed() || d.Sid != "Nobody" {
		t.Fatalf("storage.admin through S3 under the lock-out policy: %v %s", d.Effect, d.Reason)
	}
	// The admin API still reads it back, and deletes it.
	var got authz.BucketPolicyResponse
	if code := s.do("GET", "/v1/buckets/photos/policy", nil, &got); code != "" {
		t.Fatal(code)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, got.Policy); err != nil {
		t.Fatal(err)
	}
	if compact.String() != lockout {
		t.Fatalf("stored policy changed:\n%s\nwant\n%s", got.Policy, lockout)
	}
	// The document itself as the body works too.
	req, _ := http.NewRequest("PUT", s.url+"/v1/buckets/photos/policy", strings.NewReader(lockout))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PUT with the bare document: %s", resp.Status)
	}
	if code := s.do("DELETE", "/v1/buckets/photos/policy", nil, nil); code != "" {
		t.Fatal(code)
	}
	if code := s.do("DELETE", "/v1/buckets/photos/policy", nil, nil); code != "" {
		t.Fatalf("DELETE is not idempotent: %s", code)
	}
	s.sync()
	if d := s.decide(s.static(), s3action.PutBucketPolicy, "photos", ""); !d.Allowed() {
		t.Fatalf("after deleting the policy: %s", d.Reason)
	}
	// Without the token, nothing.
	req, _ = http.NewRequest("GET", s.url+"/v1/buckets/photos/policy", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %s", resp.Status)
	}
}

func TestAdminBucketACL(t *testing.T) {
	s := newStack(t, authz.ModelYandex)
	var got authz.BucketACLResponse
	if code := s.do("GET", "/v1/buckets/photos/acl", nil, &got); code != "" {
		t.Fatal(code)
	}
	if len(got.Grants) != 0 || got.Owner.ID != s.folder.ID {
		t.Fatalf("a new bucket's ACL = %+v, want empty and owned by the folder", got)
	}
	if code := s.do("PUT", "/v1/buckets/photos/acl", authz.ACLBody{Canned: "public-read"}, &got); code != "" {
		t.Fatal(code)
	}
	if len(got.Grants) != 1 || got.Grants[0].Grantee.URI != acl.AllUsersURI || !strings.Contains(got.XML, "AllUsers") {
		t.Fatalf("public-read = %+v", got)
	}
	s.sync()
	if d := s.decide(iam.AnonymousPrincipal, s3action.ListBucket, "photos", ""); !d.Allowed() {
		t.Fatalf("anonymous list of a public-read bucket: %s", d.Reason)
	}
	// XML, with the s3/ group spelling, and a grant to a known SA.
	xml := `<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><AccessControlList>
<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>` + s.sa.ID + `</ID></Grantee><Permission>WRITE</Permission></Grant>
</AccessControlList></AccessControlPolicy>`
	if code := s.do("PUT", "/v1/buckets/photos/acl", authz.ACLBody{XML: xml}, &got); code != "" {
		t.Fatal(code)
	}
	s.sync()
	if d := s.decide(s.static(), s3action.PutObject, "photos", "x"); !d.Allowed() || d.By != authz.CheckBucketACL {
		t.Fatalf("bucket WRITE grant: %v %s", d.Effect, d.Reason)
	}
	if d := s.decide(iam.AnonymousPrincipal, s3action.ListBucket, "photos", ""); d.Allowed() {
		t.Fatalf("the replaced ACL is still public: %s", d.Reason)
	}
	for name, body := range map[string]authz.ACLBody{
		"unknown canned": {Canned: "world-writable"},
		"two forms":      {Canned: "private", XML: xml},
		"unknown SA":     {Grants: []acl.Grant{{Grantee: acl.User("nosuchsa"), Permission: acl.Read}}},
		"malformed XML":  {XML: "<AccessControlPolicy><Nope/></AccessControlPolicy>"},
	} {
		if code := s.do("PUT", "/v1/buckets/photos/acl", body, nil); !strings.HasPrefix(code, "MalformedACL:") {
			t.Errorf("%s: %q, want MalformedACL", name, code)
		}
	}
	badPerm := json.RawMessage(`{"grants":[{"grantee":{"type":"Group","uri":"` + acl.AllUsersURI + `"},"permission":"READ_ALL"}]}`)
	if code := s.do("PUT", "/v1/buckets/photos/acl", badPerm, nil); !strings.HasPrefix(code, "MalformedJSON:") || !strings.Contains(code, "permission") {
		t.Errorf("unknown permission: %q", code)
	}
	if code := s.do("PUT", "/v1/buckets/nope/acl", authz.ACLBody{Canned: "private"}, nil); !strings.HasPrefix(code, "NoSuchBucket:") {
		t.Errorf("missing bucket: %q", code)
	}
}

func TestAdminExplain(t *testing.T) {
	s := newStack(t, authz.ModelYandex)
	if _, err := s.svc.Grant(s.ctx, iam.Binding{Role: iam.RoleViewer, Subject: s.sa.ID, Folder: "team"}); err != nil {
		t.Fatal(err)
	}
	s.sync()
	explain := func(req authz.ExplainRequest) (authz.ExplainResponse, string) {
		var out authz.ExplainResponse
		code := s.do("POST", "/v1/explain", req, &out)
		return out, code
	}
	out, code := explain(authz.ExplainRequest{Key: s.key, Action: "s3:GetObject", Resource: "arn:aws:s3:::photos/a.jpg"})
	if code != "" || out.Decision != "Allow" || len(out.Steps) < 2 || out.Principal != iam.UserARN(s.folder.ID, "alice") {
		t.Fatalf("static key: %s %+v", code, out)
	}
	if !strings.Contains(stepsText(out.Steps), "storage.viewer on folder "+s.folder.ID) {
		t.Errorf("the steps do not name the binding:\n%s", stepsText(out.Steps))
	}
	prefixOnly := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/public/*"}]}`
	out, code = explain(authz.ExplainRequest{Key: s.key, SessionPolicy: prefixOnly, Action: "s3:GetObject", Resource: "arn:aws:s3:::photos/a.jpg"})
	if code != "" || out.Decision != "Deny" || !strings.Contains(out.Reason, "session policy does not allow") {
		t.Fatalf("temporary key outside its prefix: %s %+v", code, out)
	}
	if !strings.Contains(out.Principal, "assumed-role/alice/explain") {
		t.Errorf("principal = %s", out.Principal)
	}
	// The documented fall-through: an object ACL grant to the SA opens the object anyway.
	out, code = explain(authz.ExplainRequest{Key: s.key, SessionPolicy: prefixOnly, Action: "s3:GetObject", Resource: "arn:aws:s3:::photos/a.jpg",
		ObjectACL: &authz.ACLBody{Grants: []acl.Grant{{Grantee: acl.User(s.sa.ID), Permission: acl.Read}}}})
	if code != "" || out.Decision != "Allow" || out.By != "object-acl" {
		t.Fatalf("object ACL fall-through: %s %+v", code, out)
	}
	out, code = explain(authz.ExplainRequest{Key: "anonymous", Action: "s3:GetObject", Resource: "arn:aws:s3:::photos/a.jpg"})
	if code != "" || out.Decision != "Deny" || out.Principal != "anonymous" {
		t.Fatalf("anonymous: %s %+v", code, out)
	}
	for name, c := range map[string]struct {
		req  authz.ExplainRequest
		want string
	}{
		"unknown key":       {authz.ExplainRequest{Key: "HGKNOSUCHKEY00000000", Action: "s3:GetObject", Resource: "arn:aws:s3:::photos/a"}, "NotFound"},
		"unknown action":    {authz.ExplainRequest{Key: s.key, Action: "s3:Teleport", Resource: "arn:aws:s3:::photos/a"}, "InvalidArgument"},
		"object needs key":  {authz.ExplainRequest{Key: s.key, Action: "s3:GetObject", Resource: "arn:aws:s3:::photos"}, "InvalidArgument"},
		"not an ARN":        {authz.ExplainRequest{Key: s.key, Action: "s3:ListBucket", Resource: "photos"}, "InvalidArgument"},
		"bad ip":            {authz.ExplainRequest{Key: s.key, Action: "s3:ListBucket", Resource: "arn:aws:s3:::photos", SourceIP: "300.1.1.1"}, "InvalidArgument"},
		"bad session":       {authz.ExplainRequest{Key: s.key, SessionPolicy: `{"Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"*"}]}`, Action: "s3:ListBucket", Resource: "arn:aws:s3:::photos"}, "MalformedPolicyDocument"},
		"anonymous session": {authz.ExplainRequest{Key: "anonymous", Temporary: true, Action: "s3:ListBucket", Resource: "arn:aws:s3:::photos"}, "InvalidArgument"},
	} {
		if _, code := explain(c.req); !strings.HasPrefix(code, c.want) {
			t.Errorf("%s: %q, want %s", name, code, c.want)
		}
	}
	// A disabled key explains as denied, and says why.
	if _, err := s.svc.SetKeyEnabled(s.ctx, s.key, false); err != nil {
		t.Fatal(err)
	}
	s.sync()
	out, code = explain(authz.ExplainRequest{Key: s.key, Action: "s3:GetObject", Resource: "arn:aws:s3:::photos/a.jpg"})
	if code != "" || out.Decision != "Deny" || !strings.Contains(out.Reason, "disabled") {
		t.Fatalf("disabled key: %s %+v", code, out)
	}
}

func stepsText(steps []authz.Step) string {
	var b strings.Builder
	for _, s := range steps {
		b.WriteString(s.Check.String() + " " + s.Result + ": " + s.Detail + "\n")
	}
	return b.String()
}
