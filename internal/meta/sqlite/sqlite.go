// Package sqlite opens the embedded control-plane store: a SQLite database in WAL mode with
// synchronous=FULL (an acknowledged change survives power loss), driven by the pure-Go
// modernc.org/sqlite driver and the shared sqlstore implementation.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/meta/sqlstore"
)

// Dialect is SQLite's sqlstore dialect.
var Dialect = sqlstore.Dialect{
	Name:  "sqlite",
	Types: map[string]string{"BLOB": "BLOB", "INT": "INTEGER", "SERIAL": "INTEGER PRIMARY KEY AUTOINCREMENT"},
	IsUnique: func(err error) bool {
		var e *sqlite.Error
		if errors.As(err, &e) {
			c := e.Code()
			return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
		}
		return false
	},
	IsRetryable: func(err error) bool {
		var e *sqlite.Error
		if errors.As(err, &e) {
			c := e.Code() & 0xff
			return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
		}
		return false
	},
	UserTablesQuery: `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
}

// Open opens (creating if needed) the database file at path and migrates it.
func Open(ctx context.Context, path string) (*sqlstore.Store, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("meta/sqlite: %w", err)
	}
	// One writer at a time is SQLite's nature; a few connections let readers run beside it.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	st, err := sqlstore.New(ctx, db, Dialect)
	if err != nil {
		db.Close()
		if errors.Is(err, meta.ErrCorrupt) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return nil, err
	}
	return st, nil
}
