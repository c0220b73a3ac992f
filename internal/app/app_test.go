package app_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hourglass-sts/hourglass/internal/app"
	"github.com/hourglass-sts/hourglass/internal/masterkey"
	"github.com/hourglass-sts/hourglass/internal/testutil"
)

func TestFirstStartCreatesSecretsAndBanner(t *testing.T) {
	cfg := testutil.Config(t)
	var out bytes.Buffer
	node := testutil.Start(t, cfg, app.Deps{Stdout: &out})
	if !node.App.FirstStart() {
		t.Fatal("first start not detected")
	}
	for _, f := range []string{"master.key", "admin.token"} {
		st, err := os.Stat(filepath.Join(cfg.DataDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	tok, _ := os.ReadFile(filepath.Join(cfg.DataDir, "admin.token"))
	if strings.TrimSpace(string(tok)) != node.App.AdminToken() || strings.Count(string(tok), "\n") != 1 {
		t.Fatalf("admin.token must hold exactly the token on one line: %q", tok)
	}
	for _, want := range []string{node.App.Addr(), node.App.AdminAddr(), "bucket create", "key create", "master.key"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, out.String())
		}
	}
	node.Stop(t)
	// A second start reuses everything.
	node2 := testutil.Start(t, cfg, app.Deps{})
	if node2.App.FirstStart() || node2.App.AdminToken() != node.App.AdminToken() {
		t.Fatal("restart did not reuse the data directory's secrets")
	}
}

func TestDataDirectoryIsLocked(t *testing.T) {
	cfg := testutil.Config(t)
	testutil.Start(t, cfg, app.Deps{})
	_, err := app.New(context.Background(), cfg, app.Deps{})
	if err == nil || !strings.Contains(err.Error(), "in use by another hourglass process") {
		t.Fatalf("second node on the same data dir: %v", err)
	}
}

func TestMasterKeyMustMatchTheStore(t *testing.T) {
	cfg := testutil.Config(t)
	node := testutil.Start(t, cfg, app.Deps{})
	node.Stop(t)
	keyPath := filepath.Join(cfg.DataDir, "master.key")
	saved, _ := os.ReadFile(keyPath)

	os.Remove(keyPath)
	if _, err := app.New(context.Background(), cfg, app.Deps{}); err == nil || !strings.Contains(err.Error(), "master key file") {
		t.Fatalf("missing master key: %v", err)
	}
	if _, err := os.Stat(keyPath); err == nil {
		t.Fatal("a new master key was generated over an existing store")
	}
	if _, err := masterkey.Create(keyPath); err != nil {
		t.Fatal(err)
	}
	if _, err := app.New(context.Background(), cfg, app.Deps{}); err == nil || !strings.Contains(err.Error(), "not the one this store was created with") {
		t.Fatalf("foreign master key: %v", err)
	}
	os.WriteFile(keyPath, []byte("garbage\n"), 0o600)
	if _, err := app.New(context.Background(), cfg, app.Deps{}); err == nil || !strings.Contains(err.Error(), "does not contain") {
		t.Fatalf("garbage master key: %v", err)
	}
	os.WriteFile(keyPath, saved, 0o600)
	testutil.Start(t, cfg, app.Deps{})
}

func TestCorruptStoreIsRefused(t *testing.T) {
	cfg := testutil.Config(t)
	os.MkdirAll(cfg.DataDir, 0o700)
	os.WriteFile(filepath.Join(cfg.DataDir, "hourglass.db"), bytes.Repeat([]byte("not sqlite "), 500), 0o600)
	_, err := app.New(context.Background(), cfg, app.Deps{})
	if err == nil || !strings.Contains(err.Error(), "not a hourglass database or is corrupt") {
		t.Fatalf("corrupt store: %v", err)
	}
}

func TestUnwritableDataDir(t *testing.T) {
	if os.Geteuid() == 0 {
		// root ignores permissions; use a path under a regular file instead.
		cfg := testutil.Config(t)
		file := filepath.Join(t.TempDir(), "file")
		os.WriteFile(file, nil, 0o600)
		cfg.DataDir = filepath.Join(file, "data")
		if _, err := app.New(context.Background(), cfg, app.Deps{}); err == nil || !strings.Contains(err.Error(), "data directory") {
			t.Fatalf("unwritable data dir: %v", err)
		}
		return
	}
	cfg := testutil.Config(t)
	ro := t.TempDir()
	os.Chmod(ro, 0o500)
	cfg.DataDir = filepath.Join(ro, "data")
	if _, err := app.New(context.Background(), cfg, app.Deps{}); err == nil || !strings.Contains(err.Error(), "data directory") {
		t.Fatalf("unwritable data dir: %v", err)
	}
}
