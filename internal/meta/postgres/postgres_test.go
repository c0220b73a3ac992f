package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/meta/metatest"
	"github.com/hourglass-sts/hourglass/internal/meta/postgres"
	"github.com/hourglass-sts/hourglass/internal/testutil"
)

// freshSchema returns a DSN for an empty schema (skipping without HOURGLASS_TEST_POSTGRES_DSN).
func freshSchema(t *testing.T) string { return testutil.PostgresDSN(t) }

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
