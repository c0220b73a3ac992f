package iam_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/masterkey"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/meta/sqlite"
)

func TestBucketNames(t *testing.T) {
	good := []string{"abc", "my-bucket", "a.b.c", "0bucket", strings.Repeat("a", 63), "bucket1.example"}
	bad := []string{"ab", strings.Repeat("a", 64), "My-Bucket", "-bucket", "bucket-", ".bucket", "bucket.", "a..b", "a.-b", "a-.b",
		"192.168.5.4", "xn--bucket", "sthree-b", "bucket-s3alias", "bucket--ol-s3", "under_score", "spa ce", "ünï"}
	for _, n := range good {
		if err := iam.ValidateBucketName(n); err != nil {
			t.Errorf("%q rejected: %v", n, err)
		}
	}
	for _, n := range bad {
		if err := iam.ValidateBucketName(n); !errors.Is(err, iam.ErrInvalidBucketName) {
			t.Errorf("%q accepted (%v)", n, err)
		}
	}
}

func TestNamesAndIDs(t *testing.T) {
	for _, n := range []string{"abc", "team-a", "a1-2"} {
		if err := iam.ValidateName("folder", n); err != nil {
			t.Errorf("%q: %v", n, err)
		}
	}
	for _, n := range []string{"ab", "1abc", "Abc", "ab-", "a_b", strings.Repeat("a", 64)} {
		if err := iam.ValidateName("folder", n); !errors.Is(err, iam.ErrInvalid) {
			t.Errorf("%q accepted", n)
		}
	}
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id, secret := iam.NewKeyID(), iam.NewSecret()
		if !iam.ValidKeyID(id) || !strings.HasPrefix(id, iam.KeyIDPrefix) || len(id) != 20 || strings.ContainsAny(id, "/+=") {
			t.Fatalf("bad key id %q", id)
		}
		if len(secret) != 40 || strings.Trim(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") != "" {
			t.Fatalf("bad secret shape")
		}
		if seen[id] || seen[secret] {
			t.Fatal("duplicate random value")
		}
		seen[id], seen[secret] = true, true
	}
	if f := iam.NewFolderID(); len(f) != 20 || !strings.HasPrefix(f, "fld") {
		t.Fatalf("folder id %q", f)
	}
}

func newService(t *testing.T) (*iam.Service, meta.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return serviceOn(t, st), st
}

// serviceOn is a bootstrapped service on st with a fresh master key.
func serviceOn(t *testing.T, st meta.Store) *iam.Service {
	t.Helper()
	mk, err := masterkey.Create(filepath.Join(t.TempDir(), "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	svc := iam.New(iam.Options{Store: st, Master: mk, KeysPerSA: 2})
	if err := svc.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestDirectoryFollowsChanges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	svc, _ := newService(t)
	dir, err := iam.NewDirectory(ctx, svc, iam.DirectoryOptions{Poll: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var fired atomic.Int32
	dir.OnChange(func([]meta.Change) { fired.Add(1) })
	go dir.Run(ctx)

	sa, err := svc.CreateSA(ctx, "app", "", "")
	if err != nil {
		t.Fatal(err)
	}
	nk, err := svc.CreateKey(ctx, sa.ID, "", "")
	if err != nil {
		t.Fatal(err)
	}
	// The in-process notification wakes the directory; wait on the condition, not on time.
	waitFor(t, func() bool { _, ok := dir.Key(nk.Key.ID); return ok })
	k, _ := dir.Key(nk.Key.ID)
	if string(k.Secret) != nk.Secret || k.Status != meta.KeyActive {
		t.Fatal("directory holds the wrong secret or status")
	}
	if _, ok := dir.SA(sa.ID); !ok {
		t.Fatal("SA missing from directory")
	}
	if _, err := svc.SetKeyEnabled(ctx, nk.Key.ID, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { k, _ := dir.Key(nk.Key.ID); return k.Status == meta.KeyDisabled })
	if _, err := svc.CreateBucket(ctx, "data", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Grant(ctx, iam.Binding{Role: iam.RoleViewer, Subject: "app", Bucket: "data"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { _, ok := dir.Bucket("data"); return ok && len(dir.Bindings()) == 1 })
	if err := svc.DeleteKey(ctx, nk.Key.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { _, ok := dir.Key(nk.Key.ID); return !ok })
	if fired.Load() == 0 {
		t.Fatal("OnChange hooks never ran")
	}
	if dir.Stale(time.Minute) {
		t.Fatal("directory reports stale right after syncing")
	}
}

func TestQuotaAndRollback(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t)
	sa, _ := svc.CreateSA(ctx, "app", "", "")
	for i := 0; i < 2; i++ {
		if _, err := svc.CreateKey(ctx, "app", "", ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.CreateKey(ctx, sa.ID, "", ""); !errors.Is(err, meta.ErrQuota) {
		t.Fatalf("third key: %v", err)
	}
	// A bucket whose backend creation fails is not left registered.
	failing := iam.New(iam.Options{Store: st, Master: nil, BucketCreated: func(context.Context, string) error { return errors.New("disk full") }})
	if _, err := failing.CreateBucket(ctx, "broken", "", nil); err == nil {
		t.Fatal("backend failure ignored")
	}
	if _, err := st.GetBucket(ctx, "broken"); !errors.Is(err, meta.ErrNotFound) {
		t.Fatalf("half-created bucket left behind: %v", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
