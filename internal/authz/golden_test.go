package authz

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hourglass-sts/hourglass/internal/acl"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/policy"
	"github.com/hourglass-sts/hourglass/internal/s3action"
)

// A golden case: the state (bindings, buckets with policy and ACL), the principal, its session
// policy, the object's ACL and the request; the expected effect, deciding check and a substring
// of the reason. Files live in testdata/cases/*.json, written by testdata/gen_cases.py; "source"
// says where a case comes from (Yandex or AWS documentation, or hourglass).
type goldenCase struct {
	Description   string          `json:"description"`
	Source        string          `json:"source"`
	Model         string          `json:"model"`
	Principal     casePrincipal   `json:"principal"`
	Bindings      []caseBinding   `json:"bindings"`
	Buckets       []caseBucket    `json:"buckets"`
	SessionPolicy json.RawMessage `json:"session_policy"`
	ObjectACL     *ACLBody        `json:"object_acl"`
	Request       caseRequest     `json:"request"`
	Want          caseWant        `json:"want"`
}

type casePrincipal struct {
	Type    string `json:"type"` // static, temporary, anonymous
	SA      string `json:"sa"`
	Name    string `json:"name"`
	Folder  string `json:"folder"`
	Session string `json:"session"`
}

type caseBinding struct {
	Role    string `json:"role"`
	Subject string `json:"subject"`
	Scope   string `json:"scope"`
	ID      string `json:"id"`
}

type caseBucket struct {
	Name   string          `json:"name"`
	Folder string          `json:"folder"`
	Policy json.RawMessage `json:"policy"`
	ACL    *ACLBody        `json:"acl"`
}

type caseRequest struct {
	Action          string  `json:"action"`
	Resource        string  `json:"resource"`
	Folder          string  `json:"folder"`
	SourceIP        string  `json:"source_ip"`
	SecureTransport bool    `json:"secure_transport"`
	Prefix          *string `json:"prefix"`
	Referer         string  `json:"referer"`
}

type caseWant struct {
	Effect string `json:"effect"`
	By     string `json:"by,omitempty"`
	Reason string `json:"reason"` // a substring of the reason
}

// staticSource is a Source over fixed data.
type staticSource struct {
	bindings []meta.RoleBinding
	buckets  []meta.Bucket
	hooks    []func([]meta.Change)
}

func (s *staticSource) Bindings() []meta.RoleBinding    { return s.bindings }
func (s *staticSource) Buckets() []meta.Bucket          { return s.buckets }
func (s *staticSource) OnChange(fn func([]meta.Change)) { s.hooks = append(s.hooks, fn) }
func (s *staticSource) fire(chs []meta.Change) {
	for _, h := range s.hooks {
		h(chs)
	}
}

func loadCase(t *testing.T, path string) goldenCase {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c goldenCase
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

// build turns a case into an engine and an input.
func (c *goldenCase) build(t *testing.T) (*Engine, *Input) {
	t.Helper()
	src := &staticSource{}
	for _, b := range c.Bindings {
		src.bindings = append(src.bindings, meta.RoleBinding{Role: b.Role, Subject: b.Subject, ScopeType: b.Scope, ScopeID: b.ID})
	}
	for _, b := range c.Buckets {
		mb := meta.Bucket{Name: b.Name, FolderID: b.Folder, Config: map[string][]byte{}}
		if len(b.Policy) > 0 {
			mb.Config[meta.BucketPolicy] = b.Policy
		}
		if b.ACL != nil {
			a, err := b.ACL.ACL(acl.Owner{ID: b.Folder})
			if err != nil {
				t.Fatalf("bucket %s ACL: %v", b.Name, err)
			}
			mb.Config[meta.BucketACL] = EncodeACL(a)
		}
		src.buckets = append(src.buckets, mb)
	}
	e, err := New(src, Options{Model: AccessModel(c.Model)})
	if err != nil {
		t.Fatal(err)
	}
	in := &Input{Principal: c.principal(t)}
	act, ok := s3action.Lookup(c.Request.Action)
	if !ok {
		t.Fatalf("unknown action %q", c.Request.Action)
	}
	in.Action = act
	in.Bucket, in.Key, err = parseResource(c.Request.Resource, act)
	if err != nil {
		t.Fatal(err)
	}
	in.Folder = c.Request.Folder
	req := &policy.Request{SecureTransport: c.Request.SecureTransport, Referer: c.Request.Referer,
		CurrentTime: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	if c.Request.SourceIP != "" {
		req.SourceIP = netip.MustParseAddr(c.Request.SourceIP)
	}
	if c.Request.Prefix != nil {
		req.Prefix, req.HasPrefix = *c.Request.Prefix, true
	}
	in.Request = req
	if c.ObjectACL != nil {
		a, err := c.ObjectACL.ACL(acl.Owner{ID: "fld1"})
		if err != nil {
			t.Fatalf("object ACL: %v", err)
		}
		in.ObjectACL = &a
	}
	return e, in
}

func (c *goldenCase) principal(t *testing.T) *iam.Principal {
	p := c.Principal
	sa := meta.ServiceAccount{ID: p.SA, Name: p.Name, FolderID: p.Folder}
	switch p.Type {
	case "anonymous":
		if len(c.SessionPolicy) > 0 {
			t.Fatal("anonymous principal with a session policy")
		}
		return iam.AnonymousPrincipal
	case "static":
		if len(c.SessionPolicy) > 0 {
			t.Fatal("static principal with a session policy")
		}
		return iam.StaticPrincipal(sa, "HGKKEY")
	case "temporary":
		var pol *policy.Policy
		if len(c.SessionPolicy) > 0 {
			var err error
			if pol, err = policy.Parse(c.SessionPolicy, policy.Session, 0); err != nil {
				t.Fatalf("session policy: %v", err)
			}
		}
		now := time.Date(2025, 6, 1, 11, 0, 0, 0, time.UTC)
		return iam.SessionPrincipal(sa, "HGKKEY", "0123", p.Session, now, now.Add(time.Hour), pol, "")
	}
	t.Fatalf("unknown principal type %q", p.Type)
	return nil
}

func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/cases/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 150 {
		t.Fatalf("%d golden cases, want at least 150", len(files))
	}
	counts := map[string]int{}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			c := loadCase(t, f)
			if c.Source == "" || c.Description == "" || c.Want.Reason == "" {
				t.Fatal("a case needs a description, a source and a reason substring")
			}
			counts[strings.SplitN(c.Source, ":", 2)[0]]++
			e, in := c.build(t)
			d := e.Decide(in)
			got := caseWant{Effect: d.Effect.String(), Reason: c.Want.Reason}
			if c.Want.By != "" {
				got.By = d.By.String()
			}
			if diff := cmp.Diff(c.Want, got); diff != "" || !strings.Contains(d.Reason, c.Want.Reason) {
				t.Errorf("%s\n(-want +got):\n%s\nreason: %s", c.Description, diff, d.Reason)
			}
			// Explaining must not change the decision, and must say something.
			x := e.Explain(in)
			if x.Effect != d.Effect || x.Reason != d.Reason || len(x.Steps) == 0 {
				t.Errorf("Explain = %v %q with %d steps; Decide = %v %q", x.Effect, x.Reason, len(x.Steps), d.Effect, d.Reason)
			}
		})
	}
	t.Logf("cases by source: %v", counts)
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
