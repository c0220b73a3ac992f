package authz

import (
	"errors"
	"sync"
	"testing"

	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/policy"
	s3 "github.com/hourglass-sts/hourglass/internal/s3action"
)

func TestNewRejectsUnknownModel(t *testing.T) {
	if _, err := New(&staticSource{}, Options{Model: "gcp"}); !errors.Is(err, ErrModel) {
		t.Fatalf("err = %v, want ErrModel", err)
	}
	e, err := New(&staticSource{}, Options{})
	if err != nil || e.Model() != ModelYandex {
		t.Fatalf("default model = %v, %v", e.Model(), err)
	}
}

func TestRolesTable(t *testing.T) {
	for _, role := range iam.Roles {
		set, ok := RoleActions(role)
		if !ok || !set.Has(s3.ListAllMyBuckets) {
			t.Errorf("%s: missing or cannot list buckets", role)
		}
	}
	if _, ok := RoleActions("storage.owner"); ok {
		t.Error("an unknown role has actions")
	}
	sub := func(a, b string) {
		sa, _ := RoleActions(a)
		sb, _ := RoleActions(b)
		for _, act := range sa.Actions() {
			if !sb.Has(act) {
				t.Errorf("%s has %s but %s, which includes it, does not", a, act.Name(), b)
			}
		}
	}
	// Yandex's inheritance chart.
	sub("storage.viewer", "storage.uploader")
	sub("storage.uploader", "storage.editor")
	sub("storage.editor", "storage.admin")
	sub("storage.configViewer", "storage.admin")
	sub("storage.configurer", "storage.admin")
	// No data for the config roles.
	for _, role := range []string{iam.RoleConfigViewer, iam.RoleConfigurer} {
		set, _ := RoleActions(role)
		for _, a := range []s3.Action{s3.GetObject, s3.PutObject, s3.DeleteObject, s3.GetObjectVersion, s3.PutBucketAcl, s3.PutObjectAcl} {
			if set.Has(a) {
				t.Errorf("%s allows %s", role, a.Name())
			}
		}
	}
	// Changing a returned set changes nothing.
	set, _ := RoleActions(iam.RoleViewer)
	set.Add(s3.DeleteBucket)
	if again, _ := RoleActions(iam.RoleViewer); again.Has(s3.DeleteBucket) {
		t.Error("RoleActions returned the table's own set")
	}
}

func TestACLPermission(t *testing.T) {
	if p, ok := ACLPermission(s3.PutObject, false); !ok || p.String() != "WRITE" {
		t.Errorf("PutObject on a bucket ACL = %v %v", p, ok)
	}
	if _, ok := ACLPermission(s3.PutObject, true); ok {
		t.Error("PutObject is covered by an object ACL")
	}
	if p, ok := ACLPermission(s3.GetObject, true); !ok || p.String() != "READ" {
		t.Errorf("GetObject on an object ACL = %v %v", p, ok)
	}
}

// Decisions run while the snapshot is rebuilt; run with -race.
func TestDecideDuringRebuilds(t *testing.T) {
	src := &staticSource{
		bindings: []meta.RoleBinding{{Role: iam.RoleViewer, Subject: "sa1", ScopeType: meta.ScopeFolder, ScopeID: "fld1"}},
		buckets:  []meta.Bucket{{Name: "b", FolderID: "fld1"}},
	}
	e, err := New(src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := iam.StaticPrincipal(meta.ServiceAccount{ID: "sa1", Name: "alice", FolderID: "fld1"}, "K")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := &Input{Principal: p, Action: s3.GetObject, Bucket: "b", Key: "k", Request: &policy.Request{}}
			for {
				select {
				case <-stop:
					return
				default:
				}
				if d := e.Decide(in); !d.Allowed() {
					t.Errorf("denied during a rebuild: %s", d.Reason)
					return
				}
			}
		}()
	}
	for i := 0; i < 200; i++ {
		src.fire([]meta.Change{{Kind: meta.ChangeBinding}})
	}
	close(stop)
	wg.Wait()
	if e.Builds() < 201 {
		t.Fatalf("builds = %d", e.Builds())
	}
	// Irrelevant changes do not rebuild.
	n := e.Builds()
	src.fire([]meta.Change{{Kind: meta.ChangeKey}, {Kind: meta.ChangeRevocation}})
	if e.Builds() != n {
		t.Fatal("a key change rebuilt the snapshot")
	}
	src.fire(nil) // a full reload
	if e.Builds() != n+1 {
		t.Fatal("a full reload did not rebuild")
	}
}

// A compiled policy is reused when its document did not change.
func TestRebuildReusesCompiledPolicies(t *testing.T) {
	doc := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`)
	src := &staticSource{buckets: []meta.Bucket{{Name: "b", FolderID: "f", Config: map[string][]byte{meta.BucketPolicy: doc}}}}
	e, _ := New(src, Options{})
	first := e.st.Load().buckets["b"].policy
	src.buckets = []meta.Bucket{{Name: "b", FolderID: "f", Config: map[string][]byte{meta.BucketPolicy: append([]byte(nil), doc...)}}}
	e.Rebuild()
	if e.st.Load().buckets["b"].policy != first {
		t.Error("an unchanged policy was compiled again")
	}
	src.buckets[0].Config[meta.BucketPolicy] = []byte(`{"Version":"2012-10-17","Statement":[]}`)
	e.Rebuild()
	if e.st.Load().buckets["b"].policy == first {
		t.Error("a changed policy was not compiled again")
	}
}

func TestTokenIssueTimeFromPrincipal(t *testing.T) {
	doc := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"arn:aws:s3:::b/*",
		"Condition":{"DateLessThan":{"aws:TokenIssueTime":"2025-01-01T00:00:00Z"}}}]}`)
	src := &staticSource{
		bindings: []meta.RoleBinding{{Role: iam.RoleViewer, Subject: "sa1", ScopeType: meta.ScopeFolder, ScopeID: "f"}},
		buckets:  []meta.Bucket{{Name: "b", FolderID: "f", Config: map[string][]byte{meta.BucketPolicy: doc}}},
	}
	e, _ := New(src, Options{Model: ModelAWS})
	sa := meta.ServiceAccount{ID: "sa1", Name: "alice", FolderID: "f"}
	old := iam.SessionPrincipal(sa, "K", "01", "s", mustTime("2024-06-01T00:00:00Z"), mustTime("2024-06-01T01:00:00Z"), nil, "")
	fresh := iam.SessionPrincipal(sa, "K", "01", "s", mustTime("2025-06-01T00:00:00Z"), mustTime("2025-06-01T01:00:00Z"), nil, "")
	if d := e.Decide(&Input{Principal: old, Action: s3.GetObject, Bucket: "b", Key: "k"}); d.Allowed() {
		t.Error("a token issued before the cut-off passed")
	}
	if d := e.Decide(&Input{Principal: fresh, Action: s3.GetObject, Bucket: "b", Key: "k"}); !d.Allowed() {
		t.Errorf("a fresh token: %s", d.Reason)
	}
}

func TestDecideInvalidAction(t *testing.T) {
	e, _ := New(&staticSource{}, Options{})
	d := e.Decide(&Input{Principal: iam.AnonymousPrincipal, Action: s3.None, Bucket: "b", Explain: true})
	if d.Allowed() || d.By != CheckInput || len(d.Steps) != 1 {
		t.Fatalf("invalid action: %+v", d)
	}
}
