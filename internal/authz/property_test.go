package authz

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/acl"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/policy"
	s3 "github.com/hourglass-sts/hourglass/internal/s3action"
)

// The property: a session policy never widens what the service account's static key may do.
// For random roles, bucket ACLs, bucket policies, session policies and object ACLs, every
// action on every resource that a temporary key may perform, the static key may perform too
// (the object-ACL fall-through applies to both keys, so it is inside the property). A temporary
// key without a session policy decides exactly as the static key.
//
// Bucket policies here name the service account as "*", its user ARN, its ID or the folder;
// they do not single out sessions (a statement naming the session ARN or testing
// aws:PrincipalType or aws:userid grants to that session directly, which is not widening by
// the session policy).

var propActions = []s3.Action{
	s3.GetObject, s3.PutObject, s3.DeleteObject, s3.GetObjectAcl, s3.PutObjectAcl, s3.GetObjectTagging,
	s3.ListBucket, s3.ListBucketVersions, s3.GetBucketAcl, s3.PutBucketAcl, s3.GetBucketPolicy,
	s3.PutBucketPolicy, s3.PutBucketCORS, s3.DeleteBucket, s3.ListAllMyBuckets,
}

var propActionPatterns = []string{
	"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:Get*", "s3:Put*", "s3:List*", "*", "s3:*Acl",
	"s3:ListBucket", "s3:GetBucket*", "s3:DeleteBucket",
}

var propResources = []string{
	"arn:aws:s3:::b", "arn:aws:s3:::b/*", "arn:aws:s3:::b/data/*", "arn:aws:s3:::b/data/a.txt",
	"arn:aws:s3:::b/logs/*", "arn:aws:s3:::*", "*", "arn:aws:s3:::b/*/a.txt",
}

var propKeys = []string{"data/a.txt", "logs/x", "a.txt", "data/logs/a.txt"}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func randStatement(r *rand.Rand, bucketPolicy bool) map[string]any {
	st := map[string]any{}
	if r.IntN(3) == 0 {
		st["Effect"] = "Deny"
	} else {
		st["Effect"] = "Allow"
	}
	var acts []string
	for n := 1 + r.IntN(3); n > 0; n-- {
		acts = append(acts, pick(r, propActionPatterns))
	}
	if r.IntN(6) == 0 {
		st["NotAction"] = acts
	} else {
		st["Action"] = acts
	}
	var res []string
	for n := 1 + r.IntN(2); n > 0; n-- {
		res = append(res, pick(r, propResources))
	}
	if bucketPolicy {
		// Bucket policies may name only their own bucket.
		for i, x := range res {
			if x == "*" || x == "arn:aws:s3:::*" {
				res[i] = "arn:aws:s3:::b/*"
			}
		}
		switch r.IntN(5) {
		case 0:
			st["Principal"] = "*"
		case 1:
			st["Principal"] = map[string]any{"AWS": "arn:aws:iam::fld1:user/alice"}
		case 2:
			st["Principal"] = map[string]any{"CanonicalUser": "sa1"}
		case 3:
			st["Principal"] = map[string]any{"AWS": "fld1"}
		default:
			st["Principal"] = map[string]any{"AWS": "arn:aws:iam::fld1:user/someoneelse"}
		}
	}
	if r.IntN(5) == 0 {
		st["NotResource"] = res
	} else {
		st["Resource"] = res
	}
	switch r.IntN(6) {
	case 0:
		st["Condition"] = map[string]any{"IpAddress": map[string]any{"aws:SourceIp": "192.0.2.0/24"}}
	case 1:
		st["Condition"] = map[string]any{"Bool": map[string]any{"aws:SecureTransport": "true"}}
	case 2:
		st["Condition"] = map[string]any{"StringLike": map[string]any{"s3:prefix": "data/*"}}
	}
	return st
}

func randPolicy(t *testing.T, r *rand.Rand, kind policy.Kind, maxStatements int) (*policy.Policy, []byte) {
	n := r.IntN(maxStatements + 1)
	stmts := make([]map[string]any, 0, n)
	for i := 0; i < n; i++ {
		stmts = append(stmts, randStatement(r, kind == policy.Bucket))
	}
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": stmts})
	p, err := policy.Parse(doc, kind, 0)
	if err != nil {
		t.Fatalf("generated policy does not parse: %v\n%s", err, doc)
	}
	return p, doc
}

func randACL(r *rand.Rand) *acl.ACL {
	if r.IntN(3) == 0 {
		return nil
	}
	a := &acl.ACL{Owner: acl.Owner{ID: "fld1"}}
	perms := []acl.Permission{acl.Read, acl.Write, acl.ReadACP, acl.WriteACP, acl.FullControl}
	grantees := []acl.Grantee{acl.User("sa1"), acl.User("sa2"), acl.AllUsers(), acl.AuthenticatedUsers()}
	for n := r.IntN(3); n > 0; n-- {
		a.Grants = append(a.Grants, acl.Grant{Grantee: pick(r, grantees), Permission: pick(r, perms)})
	}
	return a
}

type world struct {
	src       *staticSource
	objectACL *acl.ACL
	session   *policy.Policy
	desc      string
}

func randWorld(t *testing.T, r *rand.Rand) world {
	src := &staticSource{}
	var desc []string
	for _, role := range iam.Roles {
		if r.IntN(4) != 0 {
			continue
		}
		subject := "sa1"
		switch r.IntN(6) {
		case 0:
			subject = meta.AllUsers
		case 1:
			subject = meta.AllAuthenticatedUsers
		}
		scope, id := meta.ScopeFolder, "fld1"
		if r.IntN(2) == 0 {
			scope, id = meta.ScopeBucket, "b"
		}
		src.bindings = append(src.bindings, meta.RoleBinding{Role: role, Subject: subject, ScopeType: scope, ScopeID: id})
		desc = append(desc, role+"→"+subject+"@"+scope)
	}
	b := meta.Bucket{Name: "b", FolderID: "fld1", Config: map[string][]byte{}}
	if r.IntN(3) != 0 {
		_, doc := randPolicy(t, r, policy.Bucket, 5)
		b.Config[meta.BucketPolicy] = doc
		desc = append(desc, "bucket policy "+string(doc))
	}
	if a := randACL(r); a != nil {
		b.Config[meta.BucketACL] = EncodeACL(*a)
		desc = append(desc, fmt.Sprintf("bucket ACL %v", a.Grants))
	}
	src.buckets = []meta.Bucket{b}
	w := world{src: src, objectACL: randACL(r)}
	if w.objectACL != nil {
		desc = append(desc, fmt.Sprintf("object ACL %v", w.objectACL.Grants))
	}
	var doc []byte
	w.session, doc = randPolicy(t, r, policy.Session, 4)
	desc = append(desc, "session policy "+string(doc))
	w.desc = strings.Join(desc, "\n")
	return w
}

func TestSessionPolicyNeverWidens(t *testing.T) {
	sa := meta.ServiceAccount{ID: "sa1", Name: "alice", FolderID: "fld1"}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	static := iam.StaticPrincipal(sa, "HGKKEY")
	bare := iam.SessionPrincipal(sa, "HGKKEY", "01", "s1", now, now.Add(time.Hour), nil, "")
	ips := []netip.Addr{netip.MustParseAddr("192.0.2.9"), netip.MustParseAddr("198.51.100.1")}
	r := rand.New(rand.NewPCG(1, 2))
	worlds, checked, allowedTemp := 400, 0, 0
	if testing.Short() {
		worlds = 100
	}
	for _, model := range []AccessModel{ModelYandex, ModelAWS} {
		for i := 0; i < worlds; i++ {
			w := randWorld(t, r)
			e, err := New(w.src, Options{Model: model})
			if err != nil {
				t.Fatal(err)
			}
			temp := iam.SessionPrincipal(sa, "HGKKEY", "01", "s1", now, now.Add(time.Hour), w.session, "")
			for _, act := range propActions {
				for _, key := range propKeys {
					bucket := "b"
					if act.Resource() == s3.ResourceService {
						bucket = ""
					}
					req := &policy.Request{SourceIP: pick(r, ips), SecureTransport: r.IntN(2) == 0, CurrentTime: now}
					if r.IntN(2) == 0 {
						req.Prefix, req.HasPrefix = pick(r, []string{"data/", "logs/", ""}), true
					}
					in := func(p *iam.Principal) *Input {
						return &Input{Principal: p, Action: act, Bucket: bucket, Key: key, ObjectACL: w.objectACL, Request: req}
					}
					ds, dt, db := e.Decide(in(static)), e.Decide(in(temp)), e.Decide(in(bare))
					checked++
					if dt.Allowed() {
						allowedTemp++
					}
					if dt.Allowed() && !ds.Allowed() {
						t.Fatalf("%s: the temporary key may %s on %s/%s but the static key may not\ntemporary: %s\nstatic: %s\nworld:\n%s",
							model, act.Name(), bucket, key, dt.Reason, ds.Reason, w.desc)
					}
					if db.Effect != ds.Effect {
						t.Fatalf("%s: a temporary key without a session policy decides %v, the static key %v (%s on %s/%s)\n%s / %s\nworld:\n%s",
							model, db.Effect, ds.Effect, act.Name(), bucket, key, db.Reason, ds.Reason, w.desc)
					}
				}
			}
		}
	}
	// The property must not hold vacuously.
	if allowedTemp < checked/50 {
		t.Fatalf("only %d of %d temporary-key decisions allowed: the generator is too strict to test anything", allowedTemp, checked)
	}
	t.Logf("%d decisions, %d allowed for the temporary key", checked, allowedTemp)
}
