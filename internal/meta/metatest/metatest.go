// Package metatest is the conformance suite every meta.Store implementation must pass.
package metatest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hourglass-sts/hourglass/internal/meta"
)

// Run runs the suite. newStore returns a fresh, empty store; reopen, when not nil, closes the
// given store and opens the same database again (to prove persistence).
func Run(t *testing.T, newStore func(t *testing.T) meta.Store, reopen func(t *testing.T, s meta.Store) meta.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s meta.Store)
	}{
		{"Folders", testFolders},
		{"ServiceAccounts", testServiceAccounts},
		{"Keys", testKeys},
		{"Bindings", testBindings},
		{"Buckets", testBuckets},
		{"ObjectMeta", testObjectMeta},
		{"TokenKeys", testTokenKeys},
		{"Policies", testPolicies},
		{"Revocations", testRevocations},
		{"ChangeLog", testChangeLog},
		{"TryLock", testTryLock},
		{"Settings", testSettings},
		{"Cascades", testCascades},
		{"ConcurrentCreates", testConcurrentCreates},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
	if reopen != nil {
		t.Run("Persistence", func(t *testing.T) { testPersistence(t, newStore(t), reopen) })
	}
}

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

func seed(t *testing.T, s meta.Store) (meta.Folder, meta.ServiceAccount) {
	t.Helper()
	ctx := context.Background()
	f := meta.Folder{ID: "fld1", Name: "default", CreatedAt: t0}
	must(t, s.CreateFolder(ctx, f))
	sa := meta.ServiceAccount{ID: "sa1", FolderID: f.ID, Name: "ci", CreatedAt: t0}
	must(t, s.CreateSA(ctx, sa, 0))
	return f, sa
}

func testFolders(t *testing.T, s meta.Store) {
	ctx := context.Background()
	f := meta.Folder{ID: "fld1", Name: "default", CreatedAt: t0}
	must(t, s.CreateFolder(ctx, f))
	wantErr(t, s.CreateFolder(ctx, meta.Folder{ID: "fld2", Name: "default", CreatedAt: t0}), meta.ErrExists)
	wantErr(t, s.CreateFolder(ctx, meta.Folder{ID: "fld1", Name: "other", CreatedAt: t0}), meta.ErrExists)
	got, err := s.GetFolder(ctx, "fld1")
	must(t, err)
	if diff := cmp.Diff(f, got); diff != "" {
		t.Fatalf("GetFolder (-want +got):\n%s", diff)
	}
	got, err = s.GetFolderByName(ctx, "default")
	must(t, err)
	if got.ID != "fld1" {
		t.Fatalf("GetFolderByName = %+v", got)
	}
	_, err = s.GetFolder(ctx, "nope")
	wantErr(t, err, meta.ErrNotFound)
	must(t, s.CreateFolder(ctx, meta.Folder{ID: "fld0", Name: "aaa", CreatedAt: t0}))
	list, err := s.ListFolders(ctx)
	must(t, err)
	if len(list) != 2 || list[0].Name != "aaa" || list[1].Name != "default" {
		t.Fatalf("ListFolders = %+v", list)
	}
	f.STSDisabled = true
	must(t, s.UpdateFolder(ctx, f))
	got, _ = s.GetFolder(ctx, "fld1")
	if !got.STSDisabled {
		t.Fatal("UpdateFolder did not persist sts_disabled")
	}
	wantErr(t, s.UpdateFolder(ctx, meta.Folder{ID: "nope", Name: "x"}), meta.ErrNotFound)
	must(t, s.DeleteFolder(ctx, "fld0", false))
	wantErr(t, s.DeleteFolder(ctx, "fld0", false), meta.ErrNotFound)
}

func testServiceAccounts(t *testing.T, s meta.Store) {
	ctx := context.Background()
	f, sa := seed(t, s)
	wantErr(t, s.CreateSA(ctx, meta.ServiceAccount{ID: "sa2", FolderID: f.ID, Name: "ci", CreatedAt: t0}, 0), meta.ErrExists)
	wantErr(t, s.CreateSA(ctx, meta.ServiceAccount{ID: "sa2", FolderID: "nofolder", Name: "x", CreatedAt: t0}, 0), meta.ErrNotFound)
	must(t, s.CreateSA(ctx, meta.ServiceAccount{ID: "sa2", FolderID: f.ID, Name: "backup", CreatedAt: t0}, 2))
	wantErr(t, s.CreateSA(ctx, meta.ServiceAccount{ID: "sa3", FolderID: f.ID, Name: "third", CreatedAt: t0}, 2), meta.ErrQuota)
	got, err := s.GetSA(ctx, sa.ID)
	must(t, err)
	if diff := cmp.Diff(sa, got); diff != "" {
		t.Fatalf("GetSA (-want +got):\n%s", diff)
	}
	got, err = s.GetSAByName(ctx, f.ID, "backup")
	must(t, err)
	if got.ID != "sa2" {
		t.Fatalf("GetSAByName = %+v", got)
	}
	_, err = s.GetSAByName(ctx, f.ID, "nope")
	wantErr(t, err, meta.ErrNotFound)
	list, err := s.ListSAs(ctx, f.ID)
	must(t, err)
	if len(list) != 2 || list[0].Name != "backup" {
		t.Fatalf("ListSAs = %+v", list)
	}
	all, err := s.ListSAs(ctx, "")
	must(t, err)
	if len(all) != 2 {
		t.Fatalf("ListSAs(all) = %+v", all)
	}
	sa.STSDisabled, sa.Description = true, "builds"
	must(t, s.UpdateSA(ctx, sa))
	got, _ = s.GetSA(ctx, sa.ID)
	if !got.STSDisabled || got.Description != "builds" {
		t.Fatalf("UpdateSA not persisted: %+v", got)
	}
	must(t, s.DeleteSA(ctx, "sa2", false))
	wantErr(t, s.DeleteSA(ctx, "sa2", false), meta.ErrNotFound)
}

func testKeys(t *testing.T, s meta.Store) {
	ctx := context.Background()
	_, sa := seed(t, s)
	k := meta.AccessKey{ID: "HGK1", SAID: sa.ID, SealedSecret: []byte{1, 2, 3}, Status: meta.KeyActive, CreatedAt: t0, StatusAt: t0}
	must(t, s.CreateKey(ctx, k, 2))
	wantErr(t, s.CreateKey(ctx, k, 0), meta.ErrExists)
	wantErr(t, s.CreateKey(ctx, meta.AccessKey{ID: "HGK9", SAID: "nosa", SealedSecret: []byte{1}, CreatedAt: t0}, 0), meta.ErrNotFound)
	must(t, s.CreateKey(ctx, meta.AccessKey{ID: "HGK2", SAID: sa.ID, SealedSecret: []byte{4}, CreatedAt: t0.Add(time.Second)}, 2))
	wantErr(t, s.CreateKey(ctx, meta.AccessKey{ID: "HGK3", SAID: sa.ID, SealedSecret: []byte{5}, CreatedAt: t0}, 2), meta.ErrQuota)
	got, err := s.GetKey(ctx, "HGK1")
	must(t, err)
	k.FolderID = sa.FolderID
	if diff := cmp.Diff(k, got); diff != "" {
		t.Fatalf("GetKey (-want +got):\n%s", diff)
	}
	got2, _ := s.GetKey(ctx, "HGK2")
	if got2.Status != meta.KeyActive || !got2.StatusAt.Equal(got2.CreatedAt) {
		t.Fatalf("defaults not applied: %+v", got2)
	}
	list, err := s.ListKeys(ctx, sa.ID)
	must(t, err)
	if len(list) != 2 || list[0].ID != "HGK1" {
		t.Fatalf("ListKeys = %+v", list)
	}
	at := t0.Add(time.Hour)
	must(t, s.SetKeyStatus(ctx, "HGK1", meta.KeyDisabled, at))
	got, _ = s.GetKey(ctx, "HGK1")
	if got.Status != meta.KeyDisabled || !got.StatusAt.Equal(at) {
		t.Fatalf("SetKeyStatus not persisted: %+v", got)
	}
	wantErr(t, s.SetKeyStatus(ctx, "nope", meta.KeyDisabled, at), meta.ErrNotFound)
	must(t, s.DeleteKey(ctx, "HGK1"))
	wantErr(t, s.DeleteKey(ctx, "HGK1"), meta.ErrNotFound)
	_, err = s.GetKey(ctx, "HGK1")
	wantErr(t, err, meta.ErrNotFound)
}

func testBindings(t *testing.T, s meta.Store) {
	ctx := context.Background()
	f, sa := seed(t, s)
	b1 := meta.RoleBinding{Role: "storage.viewer", Subject: sa.ID, ScopeType: meta.ScopeFolder, ScopeID: f.ID, CreatedAt: t0}
	b2 := meta.RoleBinding{Role: "storage.viewer", Subject: meta.AllUsers, ScopeType: meta.ScopeBucket, ScopeID: "pub", CreatedAt: t0}
	must(t, s.AddBinding(ctx, b1))
	must(t, s.AddBinding(ctx, b2))
	wantErr(t, s.AddBinding(ctx, b1), meta.ErrExists)
	all, err := s.ListBindings(ctx, meta.BindingFilter{})
	must(t, err)
	if diff := cmp.Diff([]meta.RoleBinding{b2, b1}, all); diff != "" {
		t.Fatalf("ListBindings (-want +got):\n%s", diff)
	}
	bySubject, _ := s.ListBindings(ctx, meta.BindingFilter{Subject: sa.ID})
	if len(bySubject) != 1 || bySubject[0] != b1 {
		t.Fatalf("by subject = %+v", bySubject)
	}
	byScope, _ := s.ListBindings(ctx, meta.BindingFilter{ScopeType: meta.ScopeBucket, ScopeID: "pub"})
	if len(byScope) != 1 || byScope[0] != b2 {
		t.Fatalf("by scope = %+v", byScope)
	}
	must(t, s.RemoveBinding(ctx, b1))
	wantErr(t, s.RemoveBinding(ctx, b1), meta.ErrNotFound)
}

func testBuckets(t *testing.T, s meta.Store) {
	ctx := context.Background()
	f, sa := seed(t, s)
	b := meta.Bucket{Name: "photos", FolderID: f.ID, CreatedAt: t0, Config: map[string][]byte{meta.BucketACL: []byte("<acl/>")}}
	must(t, s.CreateBucket(ctx, b))
	wantErr(t, s.CreateBucket(ctx, meta.Bucket{Name: "photos", FolderID: f.ID, CreatedAt: t0}), meta.ErrExists)
	wantErr(t, s.CreateBucket(ctx, meta.Bucket{Name: "x-y", FolderID: "nofolder", CreatedAt: t0}), meta.ErrNotFound)
	got, err := s.GetBucket(ctx, "photos")
	must(t, err)
	if diff := cmp.Diff(b.Config, got.Config); diff != "" || got.FolderID != f.ID || !got.CreatedAt.Equal(t0) {
		t.Fatalf("GetBucket = %+v %s", got, diff)
	}
	must(t, s.PutBucketConfig(ctx, "photos", meta.BucketPolicy, []byte(`{"v":1}`)))
	must(t, s.PutBucketConfig(ctx, "photos", meta.BucketPolicy, []byte(`{"v":2}`)))
	got, _ = s.GetBucket(ctx, "photos")
	if string(got.Config[meta.BucketPolicy]) != `{"v":2}` {
		t.Fatalf("policy = %q", got.Config[meta.BucketPolicy])
	}
	wantErr(t, s.PutBucketConfig(ctx, "nobucket", meta.BucketPolicy, []byte("x")), meta.ErrNotFound)
	must(t, s.DeleteBucketConfig(ctx, "photos", meta.BucketPolicy))
	got, _ = s.GetBucket(ctx, "photos")
	if _, ok := got.Config[meta.BucketPolicy]; ok {
		t.Fatal("policy not deleted")
	}
	must(t, s.CreateBucket(ctx, meta.Bucket{Name: "archive", FolderID: f.ID, CreatedAt: t0}))
	list, err := s.ListBuckets(ctx, f.ID)
	must(t, err)
	if len(list) != 2 || list[0].Name != "archive" {
		t.Fatalf("ListBuckets = %+v", list)
	}
	// Deleting a bucket removes its bindings and object metadata too.
	must(t, s.AddBinding(ctx, meta.RoleBinding{Role: "storage.viewer", Subject: sa.ID, ScopeType: meta.ScopeBucket, ScopeID: "photos", CreatedAt: t0}))
	must(t, s.PutObjectMeta(ctx, meta.ObjectMeta{Bucket: "photos", Key: "a", Kind: meta.ObjectACL, Generation: "g1", Value: []byte("x")}))
	must(t, s.DeleteBucket(ctx, "photos"))
	wantErr(t, s.DeleteBucket(ctx, "photos"), meta.ErrNotFound)
	bs, _ := s.ListBindings(ctx, meta.BindingFilter{ScopeType: meta.ScopeBucket, ScopeID: "photos"})
	if len(bs) != 0 {
		t.Fatalf("bindings survived bucket delete: %+v", bs)
	}
	_, err = s.GetObjectMeta(ctx, "photos", "a", meta.ObjectACL)
	wantErr(t, err, meta.ErrNotFound)
	// A re-created bucket starts clean.
	must(t, s.CreateBucket(ctx, meta.Bucket{Name: "photos", FolderID: f.ID, CreatedAt: t0}))
	got, _ = s.GetBucket(ctx, "photos")
	if len(got.Config) != 0 {
		t.Fatalf("recreated bucket has config %v", got.Config)
	}
}

func testObjectMeta(t *testing.T, s meta.Store) {
	ctx := context.Background()
	key := "dir//../weird key ü"
	m := meta.ObjectMeta{Bucket: "b", Key: key, Kind: meta.ObjectACL, Generation: "g1", Value: []byte("acl1")}
	must(t, s.PutObjectMeta(ctx, m))
	m.Generation, m.Value = "g2", []byte("acl2")
	must(t, s.PutObjectMeta(ctx, m))
	must(t, s.PutObjectMeta(ctx, meta.ObjectMeta{Bucket: "b", Key: key, Kind: meta.ObjectTagging, Generation: "g2", Value: []byte("tags")}))
	got, err := s.GetObjectMeta(ctx, "b", key, meta.ObjectACL)
	must(t, err)
	if diff := cmp.Diff(m, got); diff != "" {
		t.Fatalf("GetObjectMeta (-want +got):\n%s", diff)
	}
	must(t, s.DeleteObjectMeta(ctx, "b", key))
	must(t, s.DeleteObjectMeta(ctx, "b", key))
	_, err = s.GetObjectMeta(ctx, "b", key, meta.ObjectTagging)
	wantErr(t, err, meta.ErrNotFound)
}

func testTokenKeys(t *testing.T, s meta.Store) {
	ctx := context.Background()
	k := meta.TokenKey{ID: 4000000000, Alg: "xchacha20poly1305", Sealed: []byte{9, 9}, CreatedAt: t0, ActivateAt: t0.Add(time.Minute)}
	must(t, s.AddTokenKey(ctx, k))
	wantErr(t, s.AddTokenKey(ctx, k), meta.ErrExists)
	must(t, s.RetireTokenKey(ctx, k.ID, t0.Add(time.Hour)))
	wantErr(t, s.RetireTokenKey(ctx, 7, t0), meta.ErrNotFound)
	list, err := s.ListTokenKeys(ctx)
	must(t, err)
	k.RetireAt = t0.Add(time.Hour)
	if diff := cmp.Diff([]meta.TokenKey{k}, list); diff != "" {
		t.Fatalf("ListTokenKeys (-want +got):\n%s", diff)
	}
	must(t, s.DeleteTokenKey(ctx, k.ID))
	wantErr(t, s.DeleteTokenKey(ctx, k.ID), meta.ErrNotFound)
}

func testPolicies(t *testing.T, s meta.Store) {
	ctx := context.Background()
	p := meta.StoredPolicy{Hash: "abc", Document: []byte(`{"Statement":[]}`), CreatedAt: t0, LastUsed: t0}
	must(t, s.PutPolicy(ctx, p))
	must(t, s.PutPolicy(ctx, meta.StoredPolicy{Hash: "abc", Document: p.Document, CreatedAt: t0.Add(time.Hour), LastUsed: t0.Add(time.Hour)}))
	got, err := s.GetPolicy(ctx, "abc")
	must(t, err)
	if !got.CreatedAt.Equal(t0) || !got.LastUsed.Equal(t0.Add(time.Hour)) || string(got.Document) != string(p.Document) {
		t.Fatalf("GetPolicy = %+v", got)
	}
	must(t, s.PutPolicy(ctx, meta.StoredPolicy{Hash: "old", Document: []byte("{}"), CreatedAt: t0, LastUsed: t0}))
	must(t, s.TouchPolicies(ctx, []string{"abc"}, t0.Add(2*time.Hour)))
	n, err := s.DeletePoliciesUnusedSince(ctx, t0.Add(90*time.Minute))
	must(t, err)
	if n != 1 {
		t.Fatalf("deleted %d, want 1", n)
	}
	_, err = s.GetPolicy(ctx, "old")
	wantErr(t, err, meta.ErrNotFound)
	if _, err := s.GetPolicy(ctx, "abc"); err != nil {
		t.Fatal(err)
	}
}

func testRevocations(t *testing.T, s meta.Store) {
	ctx := context.Background()
	r1, err := s.AddRevocation(ctx, meta.Revocation{Kind: meta.RevokeSession, Target: "00ff", CreatedAt: t0, ExpiresAt: t0.Add(12 * time.Hour)})
	must(t, err)
	r2, err := s.AddRevocation(ctx, meta.Revocation{Kind: meta.RevokeKey, Target: "HGK1", Before: t0, CreatedAt: t0, ExpiresAt: t0.Add(13 * time.Hour)})
	must(t, err)
	if r1.ID == 0 || r2.ID <= r1.ID {
		t.Fatalf("ids %d %d", r1.ID, r2.ID)
	}
	list, err := s.ListRevocations(ctx)
	must(t, err)
	if diff := cmp.Diff([]meta.Revocation{r1, r2}, list); diff != "" {
		t.Fatalf("ListRevocations (-want +got):\n%s", diff)
	}
	n, err := s.DeleteExpiredRevocations(ctx, t0.Add(12*time.Hour+time.Minute))
	must(t, err)
	if n != 1 {
		t.Fatalf("deleted %d", n)
	}
	list, _ = s.ListRevocations(ctx)
	if len(list) != 1 || list[0].ID != r2.ID {
		t.Fatalf("after expiry: %+v", list)
	}
}

func testChangeLog(t *testing.T, s meta.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start, err := s.LastChange(ctx)
	must(t, err)
	wake := s.Watch(ctx)
	f, sa := seed(t, s)
	select {
	case <-wake:
	case <-time.After(5 * time.Second):
		t.Fatal("no wake-up after a change")
	}
	must(t, s.CreateKey(ctx, meta.AccessKey{ID: "HGK1", SAID: sa.ID, SealedSecret: []byte{1}, CreatedAt: t0}, 0))
	must(t, s.SetKeyStatus(ctx, "HGK1", meta.KeyDisabled, t0))
	// A failed change records nothing.
	_ = s.CreateFolder(ctx, meta.Folder{ID: "dup", Name: f.Name, CreatedAt: t0})
	chs, err := s.Changes(ctx, start, 100)
	must(t, err)
	var got []string
	for i, c := range chs {
		got = append(got, c.Kind+":"+c.ID)
		if i > 0 && c.Seq <= chs[i-1].Seq {
			t.Fatalf("changes not ordered: %+v", chs)
		}
	}
	want := []string{"folder:fld1", "sa:sa1", "key:HGK1", "key:HGK1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("changes (-want +got):\n%s", diff)
	}
	last, _ := s.LastChange(ctx)
	if last != chs[len(chs)-1].Seq {
		t.Fatalf("LastChange = %d, want %d", last, chs[len(chs)-1].Seq)
	}
	page, _ := s.Changes(ctx, start, 2)
	if len(page) != 2 {
		t.Fatalf("limit ignored: %d", len(page))
	}
	// ChangesAt: the changes at given sequence numbers, in order, the missing ones left out.
	at, err := s.ChangesAt(ctx, []int64{chs[2].Seq, last + 1000, chs[0].Seq})
	must(t, err)
	if diff := cmp.Diff([]meta.Change{chs[0], chs[2]}, at); diff != "" {
		t.Fatalf("ChangesAt (-want +got):\n%s", diff)
	}
	many := make([]int64, 1200) // more than one query's worth
	for i := range many {
		many[i] = last + 1 + int64(i)
	}
	many[len(many)-1] = chs[1].Seq
	at, err = s.ChangesAt(ctx, many)
	must(t, err)
	if len(at) != 1 || at[0] != chs[1] {
		t.Fatalf("ChangesAt over 1200 numbers = %+v, want [%+v]", at, chs[1])
	}
	if at, err := s.ChangesAt(ctx, nil); err != nil || len(at) != 0 {
		t.Fatalf("ChangesAt(nil) = %v, %v", at, err)
	}
	must(t, s.TrimChanges(ctx, time.Now().Add(time.Hour)))
	last2, _ := s.LastChange(ctx)
	if last2 != last {
		t.Fatalf("trim removed the newest change: %d vs %d", last2, last)
	}
}

func testTryLock(t *testing.T, s meta.Store) {
	ctx := context.Background()
	try := func(name string) bool {
		t.Helper()
		ran, err := s.TryLock(ctx, name, func(context.Context) error { return nil })
		must(t, err)
		return ran
	}
	inside := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		ran, err := s.TryLock(ctx, "sweep", func(context.Context) error {
			close(inside)
			<-release
			return errors.New("the work's own error")
		})
		if err == nil || !ran {
			err = fmt.Errorf("ran %v, err %v: want the work's own error", ran, err)
		} else {
			err = nil
		}
		done <- err
	}()
	<-inside
	if try("sweep") {
		t.Fatal("TryLock ran while another holder had the lock")
	}
	if !try("other") {
		t.Fatal("TryLock of another name did not run")
	}
	close(release)
	must(t, <-done)
	if !try("sweep") {
		t.Fatal("TryLock did not run after the holder released the lock")
	}
}

func testSettings(t *testing.T, s meta.Store) {
	ctx := context.Background()
	_, err := s.GetSetting(ctx, "x")
	wantErr(t, err, meta.ErrNotFound)
	v, err := s.PutSettingIfAbsent(ctx, "x", []byte("first"))
	must(t, err)
	v2, err := s.PutSettingIfAbsent(ctx, "x", []byte("second"))
	must(t, err)
	if string(v) != "first" || string(v2) != "first" {
		t.Fatalf("PutSettingIfAbsent = %q, %q", v, v2)
	}
	ran := false
	must(t, s.WithLock(ctx, func(ctx context.Context) error { ran = true; return nil }))
	if !ran {
		t.Fatal("WithLock did not run fn")
	}
	boom := errors.New("boom")
	wantErr(t, s.WithLock(ctx, func(ctx context.Context) error { return boom }), boom)
}

func testCascades(t *testing.T, s meta.Store) {
	ctx := context.Background()
	f, sa := seed(t, s)
	must(t, s.CreateKey(ctx, meta.AccessKey{ID: "HGK1", SAID: sa.ID, SealedSecret: []byte{1}, CreatedAt: t0}, 0))
	must(t, s.AddBinding(ctx, meta.RoleBinding{Role: "storage.editor", Subject: sa.ID, ScopeType: meta.ScopeFolder, ScopeID: f.ID, CreatedAt: t0}))
	wantErr(t, s.DeleteSA(ctx, sa.ID, false), meta.ErrNotEmpty)
	wantErr(t, s.DeleteFolder(ctx, f.ID, false), meta.ErrNotEmpty)
	must(t, s.CreateBucket(ctx, meta.Bucket{Name: "data", FolderID: f.ID, CreatedAt: t0}))
	wantErr(t, s.DeleteFolder(ctx, f.ID, true), meta.ErrNotEmpty) // buckets hold data: never cascaded
	must(t, s.DeleteBucket(ctx, "data"))
	// Nothing was half-deleted by the refusals.
	if _, err := s.GetKey(ctx, "HGK1"); err != nil {
		t.Fatalf("key lost after refused delete: %v", err)
	}
	must(t, s.DeleteFolder(ctx, f.ID, true))
	_, err := s.GetKey(ctx, "HGK1")
	wantErr(t, err, meta.ErrNotFound)
	_, err = s.GetSA(ctx, sa.ID)
	wantErr(t, err, meta.ErrNotFound)
	bs, _ := s.ListBindings(ctx, meta.BindingFilter{})
	if len(bs) != 0 {
		t.Fatalf("bindings survived: %+v", bs)
	}
}

func testConcurrentCreates(t *testing.T, s meta.Store) {
	ctx := context.Background()
	f, _ := seed(t, s)
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// Half race for the same name; every goroutine races for the quota of 10.
			name := fmt.Sprintf("sa-%d", i%15)
			errs[i] = s.CreateSA(ctx, meta.ServiceAccount{ID: fmt.Sprintf("id%d", i), FolderID: f.ID, Name: name, CreatedAt: t0}, 11)
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, meta.ErrExists), errors.Is(err, meta.ErrQuota):
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	list, _ := s.ListSAs(ctx, f.ID)
	if len(list) != ok+1 || len(list) > 11 { // +1: the seeded SA
		t.Fatalf("%d creates succeeded but %d SAs exist besides the seed (quota 11)", ok, len(list)-1)
	}
}

func testPersistence(t *testing.T, s meta.Store, reopen func(t *testing.T, s meta.Store) meta.Store) {
	ctx := context.Background()
	f, sa := seed(t, s)
	must(t, s.CreateKey(ctx, meta.AccessKey{ID: "HGK1", SAID: sa.ID, SealedSecret: []byte{1, 2}, CreatedAt: t0}, 0))
	must(t, s.AddBinding(ctx, meta.RoleBinding{Role: "storage.viewer", Subject: sa.ID, ScopeType: meta.ScopeFolder, ScopeID: f.ID, CreatedAt: t0}))
	must(t, s.CreateBucket(ctx, meta.Bucket{Name: "data", FolderID: f.ID, CreatedAt: t0, Config: map[string][]byte{meta.BucketPolicy: []byte("{}")}}))
	must(t, s.AddTokenKey(ctx, meta.TokenKey{ID: 1, Alg: "a", Sealed: []byte{3}, CreatedAt: t0, ActivateAt: t0}))
	_, err := s.AddRevocation(ctx, meta.Revocation{Kind: meta.RevokeSA, Target: sa.ID, Before: t0, CreatedAt: t0, ExpiresAt: t0.Add(12 * time.Hour)})
	must(t, err)
	s = reopen(t, s)
	if _, err := s.GetFolder(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSA(ctx, sa.ID); err != nil {
		t.Fatal(err)
	}
	k, err := s.GetKey(ctx, "HGK1")
	must(t, err)
	if string(k.SealedSecret) != "\x01\x02" {
		t.Fatalf("sealed secret = %x", k.SealedSecret)
	}
	if bs, _ := s.ListBindings(ctx, meta.BindingFilter{}); len(bs) != 1 {
		t.Fatalf("bindings = %+v", bs)
	}
	if b, err := s.GetBucket(ctx, "data"); err != nil || string(b.Config[meta.BucketPolicy]) != "{}" {
		t.Fatalf("bucket = %+v, %v", b, err)
	}
	if ks, _ := s.ListTokenKeys(ctx); len(ks) != 1 {
		t.Fatalf("token keys = %+v", ks)
	}
	if rs, _ := s.ListRevocations(ctx); len(rs) != 1 {
		t.Fatalf("revocations = %+v", rs)
	}
}
