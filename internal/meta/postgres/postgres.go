// Package postgres opens the control-plane store on PostgreSQL (and PostgreSQL-compatible
// databases) through pgx and the shared sqlstore implementation. Migrations and first-start
// bootstrap run under a session-level advisory lock, so several nodes may start at once;
// transactions are retried on serialization failures and deadlocks; every change is announced
// with NOTIFY so that other nodes' directories wake at once (they also poll the change log,
// which is the portable path for engines and poolers without LISTEN).
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/hourglass-sts/hourglass/internal/meta/sqlstore"
)

// Channel is the NOTIFY channel of change announcements.
const Channel = "hourglass_changes"

// namedLockClass is the first key of TryLock's two-key advisory locks ("hour" in ASCII).
const namedLockClass = 0x686f7572

// lockID is the advisory lock key of migrations and bootstrap ("hourglas" in ASCII).
const lockID int64 = 0x686f7572676c6173

// Options configure Open.
type Options struct {
	Logger *slog.Logger
	// MaxConns bounds the pool (default 16).
	MaxConns int
}

func dialect(dsn string, log *slog.Logger) sqlstore.Dialect {
	return sqlstore.Dialect{
		Name:     "postgres",
		Types:    map[string]string{"BLOB": "BYTEA", "INT": "BIGINT", "SERIAL": "BIGSERIAL PRIMARY KEY"},
		Numbered: true,
		IsUnique: func(err error) bool {
			var pe *pgconn.PgError
			return errors.As(err, &pe) && pe.Code == "23505"
		},
		IsRetryable: func(err error) bool {
			var pe *pgconn.PgError
			return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
		},
		UserTablesQuery: `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()`,
		Lock: func(ctx context.Context, db *sql.DB, fn func(ctx context.Context) error) error {
			conn, err := db.Conn(ctx)
			if err != nil {
				return err
			}
			defer conn.Close()
			if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, lockID); err != nil {
				return fmt.Errorf("meta/postgres: taking the migration lock: %w", err)
			}
			defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockID)
			return fn(ctx)
		},
		TryLock: func(ctx context.Context, db *sql.DB, name string, fn func(ctx context.Context) error) (bool, error) {
			conn, err := db.Conn(ctx)
			if err != nil {
				return false, err
			}
			defer conn.Close()
			// A session-level advisory lock in the two-key space (which the one-key space of
			// lockID does not overlap): namedLockClass and the hash of the name. It is advisory:
			// a session that ends (a failover, a terminated backend) frees it while fn runs.
			var got bool
			if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, hashtext($2))`, namedLockClass, name).Scan(&got); err != nil {
				return false, fmt.Errorf("meta/postgres: trying the lock %q: %w", name, err)
			}
			if !got {
				return false, nil
			}
			defer func() {
				uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				defer cancel()
				var released bool
				if err := conn.QueryRowContext(uctx, `SELECT pg_advisory_unlock($1, hashtext($2))`, namedLockClass, name).Scan(&released); err != nil || !released {
					// Never hand a session that may still hold the lock back to the pool.
					conn.Raw(func(any) error { return driver.ErrBadConn })
				}
			}()
			return true, fn(ctx)
		},
		ForUpdate: " FOR UPDATE",
		NotifySQL: `SELECT pg_notify('` + Channel + `', '')`,
		Listen: func(ctx context.Context, wake func()) {
			listen(ctx, dsn, wake, log)
		},
	}
}

// Open connects to dsn, migrates the schema and returns the store.
func Open(ctx context.Context, dsn string, o Options) (*sqlstore.Store, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 16
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("meta/postgres: bad DSN: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(o.MaxConns)
	db.SetMaxIdleConns(o.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("meta/postgres: cannot reach the database: %w", err)
	}
	st, err := sqlstore.New(ctx, db, dialect(dsn, o.Logger))
	if err != nil {
		db.Close()
		return nil, err
	}
	return st, nil
}

// listen holds a dedicated connection on LISTEN and wakes the store on every notification. After
// a reconnect it wakes once, so the directory re-reads the change log it may have missed.
func listen(ctx context.Context, dsn string, wake func(), log *slog.Logger) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+Channel)
		}
		if err != nil {
			if conn != nil {
				conn.Close(context.Background())
			}
			if ctx.Err() != nil {
				return
			}
			log.Warn("postgres LISTEN failed; relying on polling until it recovers", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		wake()
		for {
			if _, err = conn.WaitForNotification(ctx); err != nil {
				break
			}
			wake()
		}
		conn.Close(context.Background())
		if ctx.Err() == nil {
			log.Warn("postgres LISTEN connection lost; reconnecting", "err", err)
		}
	}
}
