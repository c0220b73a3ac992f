package fs

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"runtime"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

//go:embed schema.sql
var schemaV1 string

// schemaVersion is the PRAGMA user_version this binary writes and understands.
const schemaVersion = 1

// maxBatch bounds how many queued writes share one transaction (one WAL fsync).
const maxBatch = 256

// indexDSN builds the modernc.org/sqlite DSN for path. Every connection gets
// busy_timeout; the writer additionally WAL with synchronous=FULL (DESIGN.md
// §10 "Durability"), readers query_only and a memory map.
func indexDSN(path string, writer bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	if writer {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", "journal_size_limit(67108864)")
	} else {
		q.Add("_pragma", "query_only(1)")
		q.Add("_pragma", "mmap_size(268435456)")
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// openIndex opens the writer connection and the reader pool and brings the
// schema to schemaVersion.
func (s *Store) openIndex(path string) error {
	wdb, err := sql.Open("sqlite", indexDSN(path, true))
	if err != nil {
		return fmt.Errorf("fs: open index %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	s.wdb = wdb
	ctx := context.Background()
	conn, err := wdb.Conn(ctx)
	if err != nil {
		return fmt.Errorf("fs: open index %s (corrupt or not an SQLite database?): %w", path, err)
	}
	s.wconn = conn
	if err := migrate(ctx, conn); err != nil {
		return fmt.Errorf("fs: index %s: %w", path, err)
	}
	rdb, err := sql.Open("sqlite", indexDSN(path, false))
	if err != nil {
		return fmt.Errorf("fs: open index %s: %w", path, err)
	}
	n := 2 * runtime.GOMAXPROCS(0)
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	s.rdb = rdb
	if err := rdb.PingContext(ctx); err != nil {
		return fmt.Errorf("fs: open index %s for reading: %w", path, err)
	}
	s.wstmts = make(map[string]*sql.Stmt)
	return nil
}

func migrate(ctx context.Context, conn *sql.Conn) error {
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version (corrupt or not an SQLite database?): %w", err)
	}
	switch {
	case version == schemaVersion:
		return nil
	case version > schemaVersion:
		return fmt.Errorf("schema version %d is newer than this binary understands (%d)", version, schemaVersion)
	}
	// version 0: a new index (or one whose creation crashed: the schema is
	// created in one transaction, so there is nothing half-made to repair).
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	if _, err := conn.ExecContext(ctx, schemaV1); err != nil {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("create schema: %w", err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("create schema: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("create schema: %w", err)
	}
	return nil
}

// A writeOp is one unit of work for the committer: fn runs inside a savepoint
// of a shared transaction and must do no I/O other than index statements.
type writeOp struct {
	ctx  context.Context
	fn   func(tx *wtx) error
	done chan error
}

var errClosed = errors.New("fs: store is closed")

// write runs fn in a transaction of the committer and returns once that
// transaction is durable (or fn's error). Concurrent writes are grouped into
// one transaction, so they share one WAL fsync (group commit).
func (s *Store) write(ctx context.Context, fn func(tx *wtx) error) error {
	op := &writeOp{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.ops <- op:
	case <-s.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-op.done:
		return err
	case <-s.writerDone:
		return errClosed
	}
}

// committer is the only goroutine that writes the index.
func (s *Store) committer() {
	defer close(s.writerDone)
	batch := make([]*writeOp, 0, maxBatch)
	errs := make([]error, 0, maxBatch)
	for {
		var first *writeOp
		select {
		case first = <-s.ops:
		case <-s.quit:
			return
		}
		batch = append(batch[:0], first)
	drain:
		for len(batch) < maxBatch {
			select {
			case op := <-s.ops:
				batch = append(batch, op)
			default:
				break drain
			}
		}
		errs = errs[:0]
		commitErr := s.runBatch(batch, &errs)
		for i, op := range batch {
			err := errs[i]
			if err == nil {
				err = commitErr
			}
			op.done <- err
		}
	}
}

func (s *Store) runBatch(batch []*writeOp, errs *[]error) error {
	tx := &wtx{s: s}
	if err := tx.exec("BEGIN IMMEDIATE"); err != nil {
		for range batch {
			*errs = append(*errs, nil)
		}
		return fmt.Errorf("fs: index: begin: %w", err)
	}
	ok := 0
	for _, op := range batch {
		if err := op.ctx.Err(); err != nil {
			*errs = append(*errs, err)
			continue
		}
		if err := tx.exec("SAVEPOINT op"); err != nil {
			*errs = append(*errs, fmt.Errorf("fs: index: savepoint: %w", err))
			continue
		}
		nhooks := len(tx.hooks)
		err := op.fn(tx)
		if err != nil {
			tx.hooks = tx.hooks[:nhooks]
			if rerr := tx.exec("ROLLBACK TO op"); rerr != nil {
				// The transaction is in an unknown state: give up the batch.
				_ = tx.exec("ROLLBACK")
				for len(*errs) < len(batch) {
					*errs = append(*errs, nil)
				}
				return fmt.Errorf("fs: index: rollback to savepoint: %w", rerr)
			}
		}
		if rerr := tx.exec("RELEASE op"); rerr != nil && err == nil {
			err = fmt.Errorf("fs: index: release savepoint: %w", rerr)
		}
		if err == nil {
			ok++
		}
		*errs = append(*errs, err)
	}
	if ok == 0 {
		if err := tx.exec("ROLLBACK"); err != nil {
			return fmt.Errorf("fs: index: rollback: %w", err)
		}
		return nil
	}
	if err := tx.exec("COMMIT"); err != nil {
		_ = tx.exec("ROLLBACK")
		s.rows.committed() // the outcome is unknown: forget cached rows either way
		return fmt.Errorf("fs: index: commit: %w", err)
	}
	// Before the hooks (which unlink replaced blobs) and before the writers are answered.
	s.rows.committed()
	for _, h := range tx.hooks {
		h()
	}
	return nil
}

// wtx is the committer's view of the open transaction, with prepared
// statements cached per SQL text.
type wtx struct {
	s     *Store
	hooks []func() // run in commit order once the transaction is durable
}

// afterCommit registers fn to run after the transaction commits (not at all
// if this operation or the transaction fails). Hooks run on the committer
// goroutine before the writers are answered, so in-memory mirrors of the
// index change in commit order.
func (tx *wtx) afterCommit(fn func()) { tx.hooks = append(tx.hooks, fn) }

func (tx *wtx) stmt(query string) (*sql.Stmt, error) {
	if st, ok := tx.s.wstmts[query]; ok {
		return st, nil
	}
	st, err := tx.s.wconn.PrepareContext(context.Background(), query)
	if err != nil {
		return nil, err
	}
	tx.s.wstmts[query] = st
	return st, nil
}

func (tx *wtx) exec(query string, args ...any) error {
	_, err := tx.execResult(query, args...)
	return err
}

func (tx *wtx) execResult(query string, args ...any) (sql.Result, error) {
	st, err := tx.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(context.Background(), args...)
}

func (tx *wtx) queryRow(query string, args ...any) *sql.Row {
	st, err := tx.stmt(query)
	if err != nil {
		// sql.Row carries no error constructor; a failed prepare re-surfaces
		// on QueryRow of the raw connection.
		return tx.s.wconn.QueryRowContext(context.Background(), query, args...)
	}
	return st.QueryRowContext(context.Background(), args...)
}

func (tx *wtx) query(query string, args ...any) (*sql.Rows, error) {
	st, err := tx.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(context.Background(), args...)
}

// rstmt returns a prepared statement of the reader pool.
func (s *Store) rstmt(query string) (*sql.Stmt, error) {
	if st, ok := s.rstmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.rdb.Prepare(query)
	if err != nil {
		return nil, fmt.Errorf("fs: index: prepare: %w", err)
	}
	if prev, loaded := s.rstmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}
