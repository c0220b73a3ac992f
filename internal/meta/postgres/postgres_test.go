package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/meta/metatest"
	"github.com/hourglass-sts/hourglass/internal/meta/postgres"
)

// freshSchema creates an empty schema and returns a DSN that uses it.
func freshSchema(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("HOURGLASS_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("set HOURGLASS_TEST_POSTGRES_DSN (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run the PostgreSQL store tests; .ci/run does")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "hg_test_" + hex.EncodeToString(b)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to %s: %v", dsn, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			c.Close(context.Background())
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestConformance(t *testing.T) {
	dsns := map[meta.Store]string{}
	open := func(t *testing.T, dsn string) meta.Store {
		s, err := postgres.Open(context.Background(), dsn, postgres.Options{})
		if err != nil {
			t.Fatal(err)
		}
		dsns[s] = dsn
		t.Cleanup(func() { s.Close() })
		return s
	}
	metatest.Run(t,
		func(t *testing.T) meta.Store { return open(t, freshSchema(t)) },
		func(t *testing.T, s meta.Store) meta.Store {
			dsn := dsns[s]
			s.Close()
			return open(t, dsn)
		})
}

// Two nodes on one database: a change through one wakes the other through NOTIFY, and
// concurrent starts migrate once.
func TestTwoNodes(t *testing.T) {
	dsn := freshSchema(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type res struct {
		s   meta.Store
		err error
	}
	ch := make(chan res, 2)
	for i := 0; i < 2; i++ {
		go func() {
			s, err := postgres.Open(ctx, dsn, postgres.Options{})
			ch <- res{s, err}
		}()
	}
	var nodes []meta.Store
	for i := 0; i < 2; i++ {
		r := <-ch
		if r.err != nil {
			t.Fatalf("concurrent open: %v", r.err)
		}
		defer r.s.Close()
		nodes = append(nodes, r.s)
	}
	wake := nodes[1].Watch(ctx)
	// Drain the wake-up the LISTEN connection sends when it (re)connects.
	select {
	case <-wake:
	case <-time.After(2 * time.Second):
	}
	if err := nodes[0].CreateFolder(ctx, meta.Folder{ID: "f1", Name: "alpha", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-wake:
	case <-time.After(5 * time.Second):
		t.Fatal("node B was not notified of node A's change within 5 s")
	}
	chs, err := nodes[1].Changes(ctx, 0, 10)
	if err != nil || len(chs) != 1 || chs[0].ID != "f1" {
		t.Fatalf("node B sees changes %+v, %v", chs, err)
	}
}
