package iam_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/meta/postgres"
	"github.com/hourglass-sts/hourglass/internal/meta/sqlstore"
	"github.com/hourglass-sts/hourglass/internal/testutil"
)

// skewedDirectory is a directory whose clock runs ahead of real time by *ahead (the store stamps
// changes with real time, so moving ahead ages them).
func skewedDirectory(t *testing.T, svc *iam.Service) (*iam.Directory, *atomic.Int64) {
	t.Helper()
	var ahead atomic.Int64
	dir, err := iam.NewDirectory(context.Background(), svc, iam.DirectoryOptions{Poll: time.Hour,
		Now: func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }})
	if err != nil {
		t.Fatal(err)
	}
	return dir, &ahead
}

func mustSync(t *testing.T, dir *iam.Directory) {
	t.Helper()
	if err := dir.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A change whose sequence number was skipped as a hole (its transaction committed more than
// gapWait after the next one) is still applied when it shows up, not only at the next full reload.
// SQLite cannot hold a number open across transactions; the hole and the late commit are made
// with SQL on the change log itself.
func TestDirectoryAppliesLateCommitsSQLite(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t)
	dir, ahead := skewedDirectory(t, svc)
	db, last := holdNextNumber(t, st)
	other, err := svc.CreateSA(ctx, "other", "", "") // last+2
	if err != nil {
		t.Fatal(err)
	}
	mustSync(t, dir)
	if _, ok := dir.SA(other.ID); ok {
		t.Fatal("a change behind a young hole was applied: the hole's transaction may still commit")
	}
	ahead.Store(int64(6 * time.Second))
	mustSync(t, dir)
	if _, ok := dir.SA(other.ID); !ok {
		t.Fatal("a change behind an old hole was not applied")
	}
	// The late transaction commits: its change carries the skipped number.
	late, err := svc.CreateSA(ctx, "late", "", "") // last+3, moved into the hole
	if err != nil {
		t.Fatal(err)
	}
	exec(t, db, `UPDATE changes SET seq = ? WHERE seq = ?`, last+1, last+3)
	ahead.Add(int64(time.Second)) // skipped numbers are looked up at most once a second
	mustSync(t, dir)
	if _, ok := dir.SA(late.ID); !ok {
		t.Fatal("the late change was not applied")
	}
}

// The same with PostgreSQL and a real transaction that holds its number open.
func TestDirectoryAppliesLateCommitsPostgres(t *testing.T) {
	dsn := testutil.PostgresDSN(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, dsn, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := serviceOn(t, st)
	slow, err := svc.CreateSA(ctx, "slow", "", "before")
	if err != nil {
		t.Fatal(err)
	}
	dir, ahead := skewedDirectory(t, svc)

	// A slow transaction: it changes the SA and logs the change, then stays open.
	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`UPDATE service_accounts SET description = 'after' WHERE id = $1`, slow.ID); err != nil {
		t.Fatal(err)
	}
	var held int64
	if err := tx.QueryRow(`INSERT INTO changes (kind, id, at) VALUES ($1, $2, $3) RETURNING seq`,
		meta.ChangeSA, slow.ID, time.Now().UnixNano()).Scan(&held); err != nil {
		t.Fatal(err)
	}
	other, err := svc.CreateSA(ctx, "other", "", "") // a number after the held one, committed
	if err != nil {
		t.Fatal(err)
	}
	ahead.Store(int64(6 * time.Second))
	mustSync(t, dir)
	if _, ok := dir.SA(other.ID); !ok {
		t.Fatal("a change behind an old hole was not applied")
	}
	if sa, _ := dir.SA(slow.ID); sa.Description != "before" {
		t.Fatalf("description %q before the slow transaction committed", sa.Description)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	ahead.Add(int64(time.Second))
	mustSync(t, dir)
	if sa, _ := dir.SA(slow.ID); sa.Description != "after" {
		t.Fatalf("description %q after the slow transaction (number %d) committed: the late change was not applied", sa.Description, held)
	}
}

func exec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// A transaction open while the directory loads everything (at start, or at the periodic
// reload) and committed later is applied when it shows up, not at the next reload.
func TestDirectoryAppliesCommitsOpenAtReload(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t)
	db, last := holdNextNumber(t, st) // held by a transaction open while last+2 commits
	if _, err := svc.CreateSA(ctx, "other", "", ""); err != nil {
		t.Fatal(err)
	}
	dir, ahead := skewedDirectory(t, svc) // loads everything now
	late, err := svc.CreateSA(ctx, "late", "", "")
	if err != nil {
		t.Fatal(err)
	}
	exec(t, db, `UPDATE changes SET seq = ? WHERE seq = ?`, last+1, last+3)
	ahead.Add(int64(time.Second))
	mustSync(t, dir)
	if _, ok := dir.SA(late.ID); !ok {
		t.Fatal("a change that committed after the full load, under a number below it, was not applied")
	}
}

// A log trimmed past a node that was cut off (its own last change is gone) makes the directory
// reload everything instead of taking the gap for holes, however narrow.
func TestDirectoryReloadsAfterAWideGap(t *testing.T) {
	for _, gap := range []int64{5, 5000} {
		t.Run(fmt.Sprint(gap), func(t *testing.T) { testDirectoryReloadsAfterTrim(t, gap) })
	}
}

// testDirectoryReloadsAfterTrim: the changes after the node's last one were trimmed, and the
// next one is gap numbers further.
func testDirectoryReloadsAfterTrim(t *testing.T, gap int64) {
	ctx := context.Background()
	svc, st := newService(t)
	dir, _ := skewedDirectory(t, svc)
	db := st.(*sqlstore.Store).DB()
	last, err := st.LastChange(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// An SA created while the node was away, whose change was trimmed; then a change far ahead.
	sa, err := svc.CreateSA(ctx, "missed", "", "")
	if err != nil {
		t.Fatal(err)
	}
	exec(t, db, `DELETE FROM changes WHERE seq >= ?`, last) // the node's last change is trimmed too
	exec(t, db, `INSERT INTO changes (seq, kind, id, at) VALUES (?, 'folder', 'none', 1)`, last+gap)
	mustSync(t, dir)
	if _, ok := dir.SA(sa.ID); !ok {
		t.Fatal("a change lost to the trim was not picked up by a reload")
	}
}

// holdNextNumber makes the change log's next number, last+1, handed out and not committed, as a
// transaction still open holds it (SQLite's AUTOINCREMENT never hands a number out twice). It
// returns the database and last.
func holdNextNumber(t *testing.T, st meta.Store) (*sql.DB, int64) {
	t.Helper()
	db := st.(*sqlstore.Store).DB()
	last, err := st.LastChange(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	exec(t, db, `INSERT INTO changes (seq, kind, id, at) VALUES (?, 'sa', 'none', 1)`, last+1)
	exec(t, db, `DELETE FROM changes WHERE seq = ?`, last+1)
	return db, last
}
