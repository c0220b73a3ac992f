package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/meta/metatest"
	"github.com/hourglass-sts/hourglass/internal/meta/sqlite"
)

func TestConformance(t *testing.T) {
	paths := map[meta.Store]string{}
	open := func(t *testing.T, path string) meta.Store {
		s, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		paths[s] = path
		t.Cleanup(func() { s.Close() })
		return s
	}
	metatest.Run(t,
		func(t *testing.T) meta.Store { return open(t, filepath.Join(t.TempDir(), "hourglass.db")) },
		func(t *testing.T, s meta.Store) meta.Store {
			path := paths[s]
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return open(t, path)
		})
}

func TestForeignAndCorruptFiles(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte("this is not a database at all, just some text that is long enough"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Open(context.Background(), garbage); !errors.Is(err, meta.ErrCorrupt) {
		t.Fatalf("garbage file: err = %v, want ErrCorrupt", err)
	}
	// A real SQLite database that belongs to another program.
	foreign := filepath.Join(dir, "foreign.db")
	s, err := sqlite.Open(context.Background(), filepath.Join(dir, "seed.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`VACUUM INTO '` + foreign + `'`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	st, err := sqlite.Open(context.Background(), foreign)
	if err != nil {
		t.Fatalf("a copy of our own database must open: %v", err)
	}
	if _, err := st.DB().Exec(`DROP TABLE hourglass_schema`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := sqlite.Open(context.Background(), foreign); !errors.Is(err, meta.ErrCorrupt) {
		t.Fatalf("foreign database: err = %v, want ErrCorrupt", err)
	}
}
