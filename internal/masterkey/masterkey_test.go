package masterkey_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hourglass-sts/hourglass/internal/masterkey"
)

func TestSealOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	k, err := masterkey.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := masterkey.Create(path); err == nil {
		t.Fatal("Create overwrote an existing key")
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	k2, err := masterkey.Load(path)
	if err != nil || k2.ID() != k.ID() {
		t.Fatalf("Load: %v %s %s", err, k2, k)
	}
	secret := []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	sealed := k.Seal(secret, "static-key:A")
	if bytes.Contains(sealed, secret) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := k2.Open(sealed, "static-key:A")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := k.Open(sealed, "static-key:B"); !errors.Is(err, masterkey.ErrOpen) {
		t.Fatalf("other context opened: %v", err)
	}
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 1
		if _, err := k.Open(bad, "static-key:A"); err == nil {
			t.Fatalf("flipped byte %d still opens", i)
		}
	}
	other, _ := masterkey.Create(filepath.Join(t.TempDir(), "other.key"))
	if _, err := other.Open(sealed, "static-key:A"); err == nil {
		t.Fatal("another master key opened the value")
	}
	if strings.Contains(k.String(), string(secret)) || !strings.Contains(k.String(), k.ID()) {
		t.Fatalf("String() = %q", k.String())
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := masterkey.Load(filepath.Join(dir, "none")); !errors.Is(err, masterkey.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("hourglass-master-key-v1:!!!"), 0o600)
	if _, err := masterkey.Load(bad); !errors.Is(err, masterkey.ErrBadFile) {
		t.Fatalf("bad: %v", err)
	}
	short := filepath.Join(dir, "short")
	os.WriteFile(short, []byte("hourglass-master-key-v1:AAAA"), 0o600)
	if _, err := masterkey.Load(short); err == nil {
		t.Fatal("short key accepted")
	}
}
