// Package sqlstore implements meta.Store on database/sql. One implementation serves every SQL
// engine; a Dialect supplies the differences (placeholders, column types, unique-violation
// detection, the cluster lock and external change notifications). The sqlite and postgres
// packages provide the dialects and open the databases.
package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hourglass-sts/hourglass/internal/meta"
)

// Dialect describes an SQL engine.
type Dialect struct {
	Name string
	// Types replaces {{BLOB}}, {{INT}} and {{SERIAL}} in the schema.
	Types map[string]string
	// Numbered placeholders ($1, $2 …) instead of ?.
	Numbered bool
	// IsUnique reports a unique or primary-key violation.
	IsUnique func(error) bool
	// IsRetryable reports a transient conflict (serialization failure, busy) worth retrying.
	IsRetryable func(error) bool
	// TableExists reports whether a table exists (to tell a foreign database from an empty one).
	UserTablesQuery string
	// Lock runs fn holding a cluster-wide lock; nil means an in-process mutex suffices.
	Lock func(ctx context.Context, db *sql.DB, fn func(ctx context.Context) error) error
	// TryLock runs fn holding the cluster-wide lock called name unless it is held, and reports
	// whether it ran; nil means in-process locks suffice.
	TryLock func(ctx context.Context, db *sql.DB, name string, fn func(ctx context.Context) error) (bool, error)
	// ForUpdate is appended to the SELECT that reads the parent row of a quota check, to
	// serialise concurrent creates (" FOR UPDATE"); SQLite's write transactions are serial already.
	ForUpdate string
	// NotifySQL, when set, runs inside every mutating transaction to wake other nodes.
	NotifySQL string
	// Listen, when set, runs until ctx ends and calls wake on every external notification.
	Listen func(ctx context.Context, wake func())
}

// Store is a meta.Store over database/sql.
type Store struct {
	db *sql.DB
	d  Dialect

	lockMu sync.Mutex
	named  sync.Map // TryLock name → *sync.Mutex (without a dialect lock)
	stmts  sync.Map // query → *sql.Stmt, for reads on request paths

	mu       sync.Mutex
	watchers map[chan struct{}]struct{}
	cancel   context.CancelFunc
}

var _ meta.Store = (*Store)(nil)

// New wraps an open database, applying migrations. The caller has configured the pool.
func New(ctx context.Context, db *sql.DB, d Dialect) (*Store, error) {
	s := &Store{db: db, d: d, watchers: map[chan struct{}]struct{}{}}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	if d.Listen != nil {
		lctx, cancel := context.WithCancel(context.Background())
		s.cancel = cancel
		go d.Listen(lctx, s.wake)
	}
	return s, nil
}

// prepared returns a cached prepared statement for a read that request paths run often.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, s.q(query))
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// DB exposes the underlying pool (tests and diagnostics).
func (s *Store) DB() *sql.DB { return s.db }

// Close stops listening and closes the pool.
func (s *Store) Close() error {
	if s.cancel != nil {
		s.cancel()
	}
	s.stmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	return s.db.Close()
}

func (s *Store) q(query string) string {
	if !s.d.Numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func (s *Store) migrate(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("%w: %v", meta.ErrCorrupt, err)
	}
	return s.WithLock(ctx, func(ctx context.Context) error {
		var version int
		err := s.db.QueryRowContext(ctx, `SELECT MAX(version) FROM hourglass_schema`).Scan(&version)
		if err != nil {
			// No version table: the database must be empty, or it belongs to someone else.
			var n int
			if qerr := s.db.QueryRowContext(ctx, s.d.UserTablesQuery).Scan(&n); qerr != nil {
				return fmt.Errorf("%w: %v", meta.ErrCorrupt, qerr)
			}
			if n > 0 {
				return fmt.Errorf("%w: it has %d tables but no hourglass schema", meta.ErrCorrupt, n)
			}
			if _, err := s.db.ExecContext(ctx, `CREATE TABLE hourglass_schema (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
				return fmt.Errorf("meta: create schema table: %w", err)
			}
			version = 0
		}
		if version > len(migrations) {
			return fmt.Errorf("meta: database schema version %d is newer than this binary knows (%d); upgrade hourglass", version, len(migrations))
		}
		for v := version + 1; v <= len(migrations); v++ {
			err := s.tx(ctx, func(tx *sql.Tx) error {
				for _, stmt := range strings.Split(expand(migrations[v-1], s.d.Types), ";\n") {
					if strings.TrimSpace(stmt) == "" {
						continue
					}
					if _, err := tx.ExecContext(ctx, stmt); err != nil {
						return fmt.Errorf("migration %d: %w", v, err)
					}
				}
				_, err := tx.ExecContext(ctx, s.q(`INSERT INTO hourglass_schema (version, applied_at) VALUES (?, ?)`), v, time.Now().UnixNano())
				return err
			})
			if err != nil {
				return fmt.Errorf("meta: %w", err)
			}
		}
		return nil
	})
}

// WithLock runs fn under the dialect's cluster lock, or an in-process mutex.
func (s *Store) WithLock(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.d.Lock != nil {
		return s.d.Lock(ctx, s.db, fn)
	}
	s.lockMu.Lock()
	defer s.lockMu.Unlock()
	return fn(ctx)
}

// TryLock runs fn under the named cluster lock unless someone holds it.
func (s *Store) TryLock(ctx context.Context, name string, fn func(ctx context.Context) error) (bool, error) {
	if s.d.TryLock != nil {
		return s.d.TryLock(ctx, s.db, name, fn)
	}
	v, _ := s.named.LoadOrStore(name, &sync.Mutex{})
	mu := v.(*sync.Mutex)
	if !mu.TryLock() {
		return false, nil
	}
	defer mu.Unlock()
	return true, fn(ctx)
}

// tx runs fn in a transaction, retrying transient conflicts a few times.
func (s *Store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = s.tx1(ctx, fn)
		if err == nil || s.d.IsRetryable == nil || !s.d.IsRetryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 10 * time.Millisecond):
		}
	}
	return err
}

func (s *Store) tx1(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// mutate runs fn in a transaction that also records changes and wakes watchers after commit.
func (s *Store) mutate(ctx context.Context, fn func(tx *sql.Tx, log func(kind, id string) error) error) error {
	logged := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		logged = false
		log := func(kind, id string) error {
			logged = true
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO changes (kind, id, at) VALUES (?, ?, ?)`), kind, id, time.Now().UnixNano())
			return err
		}
		if err := fn(tx, log); err != nil {
			return err
		}
		if logged && s.d.NotifySQL != "" {
			if _, err := tx.ExecContext(ctx, s.d.NotifySQL); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && logged {
		s.wake()
	}
	return err
}

func (s *Store) wake() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ch := range s.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Watch implements meta.ChangeLog.
func (s *Store) Watch(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.watchers[ch] = struct{}{}
	s.mu.Unlock()
	go func() {
		<-ctx.Done()
		s.mu.Lock()
		delete(s.watchers, ch)
		s.mu.Unlock()
	}()
	return ch
}

func (s *Store) uniq(err error, what string) error {
	if err != nil && s.d.IsUnique != nil && s.d.IsUnique(err) {
		return fmt.Errorf("%w: %s", meta.ErrExists, what)
	}
	return err
}

func ts(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func tm(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", meta.ErrNotFound, what)
	}
	return err
}

func affected(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: %s", meta.ErrNotFound, what)
	}
	return nil
}

// ---- folders

func (s *Store) CreateFolder(ctx context.Context, f meta.Folder) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO folders (id, name, created_at, sts_disabled) VALUES (?, ?, ?, ?)`),
			f.ID, f.Name, ts(f.CreatedAt), b2i(f.STSDisabled))
		if err != nil {
			return s.uniq(err, "folder "+f.Name)
		}
		return log(meta.ChangeFolder, f.ID)
	})
}

const folderCols = `id, name, created_at, sts_disabled`

func scanFolder(r interface{ Scan(...any) error }) (meta.Folder, error) {
	var f meta.Folder
	var created int64
	var dis int
	err := r.Scan(&f.ID, &f.Name, &created, &dis)
	f.CreatedAt, f.STSDisabled = tm(created), dis != 0
	return f, err
}

func (s *Store) GetFolder(ctx context.Context, id string) (meta.Folder, error) {
	f, err := scanFolder(s.db.QueryRowContext(ctx, s.q(`SELECT `+folderCols+` FROM folders WHERE id = ?`), id))
	return f, notFound(err, "folder "+id)
}

func (s *Store) GetFolderByName(ctx context.Context, name string) (meta.Folder, error) {
	f, err := scanFolder(s.db.QueryRowContext(ctx, s.q(`SELECT `+folderCols+` FROM folders WHERE name = ?`), name))
	return f, notFound(err, "folder "+name)
}

func (s *Store) ListFolders(ctx context.Context) ([]meta.Folder, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+folderCols+` FROM folders ORDER BY name`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanFolder)
}

func (s *Store) UpdateFolder(ctx context.Context, f meta.Folder) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE folders SET name = ?, sts_disabled = ? WHERE id = ?`), f.Name, b2i(f.STSDisabled), f.ID)
		if err != nil {
			return s.uniq(err, "folder "+f.Name)
		}
		if err := affected(res, "folder "+f.ID); err != nil {
			return err
		}
		return log(meta.ChangeFolder, f.ID)
	})
}

func (s *Store) DeleteFolder(ctx context.Context, id string, force bool) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		var buckets, sas int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM buckets WHERE folder_id = ?`), id).Scan(&buckets); err != nil {
			return err
		}
		if buckets > 0 {
			return fmt.Errorf("%w: folder %s still has %d bucket(s); delete them first", meta.ErrNotEmpty, id, buckets)
		}
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM service_accounts WHERE folder_id = ?`), id).Scan(&sas); err != nil {
			return err
		}
		if sas > 0 && !force {
			return fmt.Errorf("%w: folder %s still has %d service account(s); use force to delete them too", meta.ErrNotEmpty, id, sas)
		}
		// Cascade: keys, bindings of and on the folder's SAs, the SAs, bindings on the folder.
		rows, err := tx.QueryContext(ctx, s.q(`SELECT id FROM service_accounts WHERE folder_id = ?`), id)
		if err != nil {
			return err
		}
		saIDs, err := collect(rows, scanString)
		if err != nil {
			return err
		}
		for _, sa := range saIDs {
			if err := s.deleteSATx(ctx, tx, log, sa); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM role_bindings WHERE scope_type = ? AND scope_id = ?`), meta.ScopeFolder, id); err != nil {
			return err
		}
		if err := log(meta.ChangeBinding, ""); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM folders WHERE id = ?`), id)
		if err != nil {
			return err
		}
		if err := affected(res, "folder "+id); err != nil {
			return err
		}
		return log(meta.ChangeFolder, id)
	})
}

// ---- service accounts

const saCols = `id, folder_id, name, description, created_at, sts_disabled`

func scanSA(r interface{ Scan(...any) error }) (meta.ServiceAccount, error) {
	var sa meta.ServiceAccount
	var created int64
	var dis int
	err := r.Scan(&sa.ID, &sa.FolderID, &sa.Name, &sa.Description, &created, &dis)
	sa.CreatedAt, sa.STSDisabled = tm(created), dis != 0
	return sa, err
}

func (s *Store) CreateSA(ctx context.Context, sa meta.ServiceAccount, quota int) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		var fid string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM folders WHERE id = ?`+s.d.ForUpdate), sa.FolderID).Scan(&fid); err != nil {
			return notFound(err, "folder "+sa.FolderID)
		}
		if quota > 0 {
			var n int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM service_accounts WHERE folder_id = ?`), sa.FolderID).Scan(&n); err != nil {
				return err
			}
			if n >= quota {
				return fmt.Errorf("%w: folder %s already has %d service accounts (limit %d)", meta.ErrQuota, sa.FolderID, n, quota)
			}
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO service_accounts (`+saCols+`) VALUES (?, ?, ?, ?, ?, ?)`),
			sa.ID, sa.FolderID, sa.Name, sa.Description, ts(sa.CreatedAt), b2i(sa.STSDisabled))
		if err != nil {
			return s.uniq(err, "service account "+sa.Name)
		}
		return log(meta.ChangeSA, sa.ID)
	})
}

func (s *Store) GetSA(ctx context.Context, id string) (meta.ServiceAccount, error) {
	sa, err := scanSA(s.db.QueryRowContext(ctx, s.q(`SELECT `+saCols+` FROM service_accounts WHERE id = ?`), id))
	return sa, notFound(err, "service account "+id)
}

func (s *Store) GetSAByName(ctx context.Context, folderID, name string) (meta.ServiceAccount, error) {
	sa, err := scanSA(s.db.QueryRowContext(ctx, s.q(`SELECT `+saCols+` FROM service_accounts WHERE folder_id = ? AND name = ?`), folderID, name))
	return sa, notFound(err, "service account "+name)
}

func (s *Store) ListSAs(ctx context.Context, folderID string) ([]meta.ServiceAccount, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+saCols+` FROM service_accounts WHERE ? = '' OR folder_id = ? ORDER BY folder_id, name`), folderID, folderID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanSA)
}

func (s *Store) UpdateSA(ctx context.Context, sa meta.ServiceAccount) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE service_accounts SET name = ?, description = ?, sts_disabled = ? WHERE id = ?`),
			sa.Name, sa.Description, b2i(sa.STSDisabled), sa.ID)
		if err != nil {
			return s.uniq(err, "service account "+sa.Name)
		}
		if err := affected(res, "service account "+sa.ID); err != nil {
			return err
		}
		return log(meta.ChangeSA, sa.ID)
	})
}

func (s *Store) DeleteSA(ctx context.Context, id string, force bool) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		var keys int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM access_keys WHERE sa_id = ?`), id).Scan(&keys); err != nil {
			return err
		}
		if keys > 0 && !force {
			return fmt.Errorf("%w: service account %s still has %d key(s); use force to delete them too", meta.ErrNotEmpty, id, keys)
		}
		return s.deleteSATx(ctx, tx, log, id)
	})
}

func (s *Store) deleteSATx(ctx context.Context, tx *sql.Tx, log func(string, string) error, id string) error {
	rows, err := tx.QueryContext(ctx, s.q(`SELECT id FROM access_keys WHERE sa_id = ?`), id)
	if err != nil {
		return err
	}
	keyIDs, err := collect(rows, scanString)
	if err != nil {
		return err
	}
	for _, k := range keyIDs {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM access_keys WHERE id = ?`), k); err != nil {
			return err
		}
		if err := log(meta.ChangeKey, k); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM role_bindings WHERE subject = ?`), id); err != nil {
		return err
	}
	if err := log(meta.ChangeBinding, ""); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, s.q(`DELETE FROM service_accounts WHERE id = ?`), id)
	if err != nil {
		return err
	}
	if err := affected(res, "service account "+id); err != nil {
		return err
	}
	return log(meta.ChangeSA, id)
}

// ---- access keys

const keyCols = `id, sa_id, folder_id, sealed_secret, status, created_at, status_at, description`

func scanKey(r interface{ Scan(...any) error }) (meta.AccessKey, error) {
	var k meta.AccessKey
	var created, statusAt int64
	var status string
	err := r.Scan(&k.ID, &k.SAID, &k.FolderID, &k.SealedSecret, &status, &created, &statusAt, &k.Description)
	k.Status, k.CreatedAt, k.StatusAt = meta.KeyStatus(status), tm(created), tm(statusAt)
	return k, err
}

func (s *Store) CreateKey(ctx context.Context, k meta.AccessKey, quota int) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		var folderID string
		err := tx.QueryRowContext(ctx, s.q(`SELECT folder_id FROM service_accounts WHERE id = ?`+s.d.ForUpdate), k.SAID).Scan(&folderID)
		if err != nil {
			return notFound(err, "service account "+k.SAID)
		}
		if quota > 0 {
			var n int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM access_keys WHERE sa_id = ?`), k.SAID).Scan(&n); err != nil {
				return err
			}
			if n >= quota {
				return fmt.Errorf("%w: service account %s already has %d keys (limit %d)", meta.ErrQuota, k.SAID, n, quota)
			}
		}
		status := k.Status
		if status == "" {
			status = meta.KeyActive
		}
		statusAt := k.StatusAt
		if statusAt.IsZero() {
			statusAt = k.CreatedAt
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO access_keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
			k.ID, k.SAID, folderID, k.SealedSecret, string(status), ts(k.CreatedAt), ts(statusAt), k.Description)
		if err != nil {
			return s.uniq(err, "access key "+k.ID)
		}
		return log(meta.ChangeKey, k.ID)
	})
}

func (s *Store) GetKey(ctx context.Context, id string) (meta.AccessKey, error) {
	k, err := scanKey(s.db.QueryRowContext(ctx, s.q(`SELECT `+keyCols+` FROM access_keys WHERE id = ?`), id))
	return k, notFound(err, "access key "+id)
}

func (s *Store) ListKeys(ctx context.Context, saID string) ([]meta.AccessKey, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+keyCols+` FROM access_keys WHERE ? = '' OR sa_id = ? ORDER BY created_at, id`), saID, saID)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanKey)
}

func (s *Store) SetKeyStatus(ctx context.Context, id string, status meta.KeyStatus, at time.Time) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE access_keys SET status = ?, status_at = ? WHERE id = ?`), string(status), ts(at), id)
		if err != nil {
			return err
		}
		if err := affected(res, "access key "+id); err != nil {
			return err
		}
		return log(meta.ChangeKey, id)
	})
}

func (s *Store) DeleteKey(ctx context.Context, id string) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM access_keys WHERE id = ?`), id)
		if err != nil {
			return err
		}
		if err := affected(res, "access key "+id); err != nil {
			return err
		}
		return log(meta.ChangeKey, id)
	})
}

// ---- role bindings

func (s *Store) AddBinding(ctx context.Context, b meta.RoleBinding) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO role_bindings (scope_type, scope_id, subject, role, created_at) VALUES (?, ?, ?, ?, ?)`),
			b.ScopeType, b.ScopeID, b.Subject, b.Role, ts(b.CreatedAt))
		if err != nil {
			return s.uniq(err, fmt.Sprintf("binding of %s to %s on %s %s", b.Role, b.Subject, b.ScopeType, b.ScopeID))
		}
		return log(meta.ChangeBinding, b.ScopeType+":"+b.ScopeID)
	})
}

func (s *Store) RemoveBinding(ctx context.Context, b meta.RoleBinding) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM role_bindings WHERE scope_type = ? AND scope_id = ? AND subject = ? AND role = ?`),
			b.ScopeType, b.ScopeID, b.Subject, b.Role)
		if err != nil {
			return err
		}
		if err := affected(res, fmt.Sprintf("binding of %s to %s on %s %s", b.Role, b.Subject, b.ScopeType, b.ScopeID)); err != nil {
			return err
		}
		return log(meta.ChangeBinding, b.ScopeType+":"+b.ScopeID)
	})
}

func (s *Store) ListBindings(ctx context.Context, f meta.BindingFilter) ([]meta.RoleBinding, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT role, subject, scope_type, scope_id, created_at FROM role_bindings
		WHERE (? = '' OR scope_type = ?) AND (? = '' OR scope_id = ?) AND (? = '' OR subject = ?)
		ORDER BY scope_type, scope_id, subject, role`),
		f.ScopeType, f.ScopeType, f.ScopeID, f.ScopeID, f.Subject, f.Subject)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r interface{ Scan(...any) error }) (meta.RoleBinding, error) {
		var b meta.RoleBinding
		var created int64
		err := r.Scan(&b.Role, &b.Subject, &b.ScopeType, &b.ScopeID, &created)
		b.CreatedAt = tm(created)
		return b, err
	})
}

// ---- buckets

func (s *Store) CreateBucket(ctx context.Context, b meta.Bucket) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		var exists int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM folders WHERE id = ?`), b.FolderID).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			return fmt.Errorf("%w: folder %s", meta.ErrNotFound, b.FolderID)
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO buckets (name, folder_id, created_at) VALUES (?, ?, ?)`), b.Name, b.FolderID, ts(b.CreatedAt))
		if err != nil {
			return s.uniq(err, "bucket "+b.Name)
		}
		for kind, v := range b.Config {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO bucket_configs (bucket, kind, value) VALUES (?, ?, ?)`), b.Name, kind, v); err != nil {
				return err
			}
		}
		return log(meta.ChangeBucket, b.Name)
	})
}

func (s *Store) GetBucket(ctx context.Context, name string) (meta.Bucket, error) {
	var b meta.Bucket
	var created int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT name, folder_id, created_at FROM buckets WHERE name = ?`), name).Scan(&b.Name, &b.FolderID, &created)
	if err != nil {
		return b, notFound(err, "bucket "+name)
	}
	b.CreatedAt = tm(created)
	b.Config, err = s.bucketConfigs(ctx, name)
	return b, err
}

func (s *Store) bucketConfigs(ctx context.Context, name string) (map[string][]byte, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT kind, value FROM bucket_configs WHERE bucket = ?`), name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cfg := map[string][]byte{}
	for rows.Next() {
		var kind string
		var v []byte
		if err := rows.Scan(&kind, &v); err != nil {
			return nil, err
		}
		cfg[kind] = v
	}
	return cfg, rows.Err()
}

func (s *Store) ListBuckets(ctx context.Context, folderID string) ([]meta.Bucket, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT name, folder_id, created_at FROM buckets WHERE ? = '' OR folder_id = ? ORDER BY name`), folderID, folderID)
	if err != nil {
		return nil, err
	}
	bs, err := collect(rows, func(r interface{ Scan(...any) error }) (meta.Bucket, error) {
		var b meta.Bucket
		var created int64
		err := r.Scan(&b.Name, &b.FolderID, &created)
		b.CreatedAt = tm(created)
		return b, err
	})
	if err != nil {
		return nil, err
	}
	for i := range bs {
		if bs[i].Config, err = s.bucketConfigs(ctx, bs[i].Name); err != nil {
			return nil, err
		}
	}
	return bs, nil
}

func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		for _, q := range []string{
			`DELETE FROM bucket_configs WHERE bucket = ?`,
			`DELETE FROM object_meta WHERE bucket = ?`,
		} {
			if _, err := tx.ExecContext(ctx, s.q(q), name); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM role_bindings WHERE scope_type = ? AND scope_id = ?`), meta.ScopeBucket, name); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM buckets WHERE name = ?`), name)
		if err != nil {
			return err
		}
		if err := affected(res, "bucket "+name); err != nil {
			return err
		}
		if err := log(meta.ChangeBinding, meta.ScopeBucket+":"+name); err != nil {
			return err
		}
		return log(meta.ChangeBucket, name)
	})
}

func (s *Store) PutBucketConfig(ctx context.Context, bucket, kind string, value []byte) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		var exists int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM buckets WHERE name = ?`), bucket).Scan(&exists); err != nil {
			return err
		}
		if exists == 0 {
			return fmt.Errorf("%w: bucket %s", meta.ErrNotFound, bucket)
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO bucket_configs (bucket, kind, value) VALUES (?, ?, ?)
			ON CONFLICT (bucket, kind) DO UPDATE SET value = excluded.value`), bucket, kind, value)
		if err != nil {
			return err
		}
		return log(meta.ChangeBucket, bucket)
	})
}

func (s *Store) DeleteBucketConfig(ctx context.Context, bucket, kind string) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM bucket_configs WHERE bucket = ? AND kind = ?`), bucket, kind); err != nil {
			return err
		}
		return log(meta.ChangeBucket, bucket)
	})
}

// ---- object metadata

func (s *Store) PutObjectMeta(ctx context.Context, m meta.ObjectMeta) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO object_meta (bucket, object_key, kind, generation, value) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (bucket, object_key, kind) DO UPDATE SET generation = excluded.generation, value = excluded.value`),
			m.Bucket, m.Key, m.Kind, m.Generation, m.Value)
		if err != nil {
			return err
		}
		return log(meta.ChangeObjectMeta, m.Bucket+"/"+m.Key)
	})
}

func (s *Store) GetObjectMeta(ctx context.Context, bucket, key, kind string) (meta.ObjectMeta, error) {
	m := meta.ObjectMeta{Bucket: bucket, Key: key, Kind: kind}
	st, err := s.prepared(ctx, `SELECT generation, value FROM object_meta WHERE bucket = ? AND object_key = ? AND kind = ?`)
	if err != nil {
		return m, err
	}
	err = st.QueryRowContext(ctx, bucket, key, kind).Scan(&m.Generation, &m.Value)
	return m, notFound(err, "object metadata")
}

func (s *Store) DeleteObjectMeta(ctx context.Context, bucket, key string) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM object_meta WHERE bucket = ? AND object_key = ?`), bucket, key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return log(meta.ChangeObjectMeta, bucket+"/"+key)
	})
}

// ---- token keys

func (s *Store) ListTokenKeys(ctx context.Context) ([]meta.TokenKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, alg, sealed, created_at, activate_at, retire_at FROM token_keys ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r interface{ Scan(...any) error }) (meta.TokenKey, error) {
		var k meta.TokenKey
		var id, created, activate, retire int64
		err := r.Scan(&id, &k.Alg, &k.Sealed, &created, &activate, &retire)
		k.ID, k.CreatedAt, k.ActivateAt, k.RetireAt = uint32(id), tm(created), tm(activate), tm(retire)
		return k, err
	})
}

func (s *Store) AddTokenKey(ctx context.Context, k meta.TokenKey) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO token_keys (id, alg, sealed, created_at, activate_at, retire_at) VALUES (?, ?, ?, ?, ?, ?)`),
			int64(k.ID), k.Alg, k.Sealed, ts(k.CreatedAt), ts(k.ActivateAt), ts(k.RetireAt))
		if err != nil {
			return s.uniq(err, fmt.Sprintf("token key %d", k.ID))
		}
		return log(meta.ChangeTokenKey, strconv.FormatUint(uint64(k.ID), 10))
	})
}

func (s *Store) RetireTokenKey(ctx context.Context, id uint32, at time.Time) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE token_keys SET retire_at = ? WHERE id = ?`), ts(at), int64(id))
		if err != nil {
			return err
		}
		if err := affected(res, fmt.Sprintf("token key %d", id)); err != nil {
			return err
		}
		return log(meta.ChangeTokenKey, strconv.FormatUint(uint64(id), 10))
	})
}

func (s *Store) DeleteTokenKey(ctx context.Context, id uint32) error {
	return s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM token_keys WHERE id = ?`), int64(id))
		if err != nil {
			return err
		}
		if err := affected(res, fmt.Sprintf("token key %d", id)); err != nil {
			return err
		}
		return log(meta.ChangeTokenKey, strconv.FormatUint(uint64(id), 10))
	})
}

// ---- stored policies (no change-log entries: they are immutable and content-addressed)

func (s *Store) PutPolicy(ctx context.Context, p meta.StoredPolicy) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO policies (hash, document, created_at, last_used) VALUES (?, ?, ?, ?)
			ON CONFLICT (hash) DO UPDATE SET last_used = excluded.last_used`), p.Hash, p.Document, ts(p.CreatedAt), ts(p.LastUsed))
		return err
	})
}

func (s *Store) GetPolicy(ctx context.Context, hash string) (meta.StoredPolicy, error) {
	p := meta.StoredPolicy{Hash: hash}
	var created, used int64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT document, created_at, last_used FROM policies WHERE hash = ?`), hash).Scan(&p.Document, &created, &used)
	p.CreatedAt, p.LastUsed = tm(created), tm(used)
	return p, notFound(err, "policy "+hash)
}

func (s *Store) TouchPolicies(ctx context.Context, hashes []string, at time.Time) error {
	if len(hashes) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, h := range hashes {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE policies SET last_used = ? WHERE hash = ? AND last_used < ?`), ts(at), h, ts(at)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) DeletePoliciesUnusedSince(ctx context.Context, t time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM policies WHERE last_used < ?`), ts(t))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ---- revocations

func (s *Store) AddRevocation(ctx context.Context, r meta.Revocation) (meta.Revocation, error) {
	err := s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO revocations (kind, target, before_at, created_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id`),
			r.Kind, r.Target, ts(r.Before), ts(r.CreatedAt), ts(r.ExpiresAt)).Scan(&r.ID)
		if err != nil {
			return err
		}
		return log(meta.ChangeRevocation, strconv.FormatInt(r.ID, 10))
	})
	return r, err
}

func (s *Store) ListRevocations(ctx context.Context) ([]meta.Revocation, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, target, before_at, created_at, expires_at FROM revocations ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(r interface{ Scan(...any) error }) (meta.Revocation, error) {
		var v meta.Revocation
		var before, created, expires int64
		err := r.Scan(&v.ID, &v.Kind, &v.Target, &before, &created, &expires)
		v.Before, v.CreatedAt, v.ExpiresAt = tm(before), tm(created), tm(expires)
		return v, err
	})
}

func (s *Store) DeleteExpiredRevocations(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := s.mutate(ctx, func(tx *sql.Tx, log func(string, string) error) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM revocations WHERE expires_at <= ?`), ts(now))
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n > 0 {
			return log(meta.ChangeRevocation, "")
		}
		return nil
	})
	return int(n), err
}

// ---- change log

func (s *Store) Changes(ctx context.Context, after int64, limit int) ([]meta.Change, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT seq, kind, id, at FROM changes WHERE seq > ? ORDER BY seq LIMIT ?`), after, limit)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanChange)
}

func scanChange(r interface{ Scan(...any) error }) (meta.Change, error) {
	var c meta.Change
	var at int64
	err := r.Scan(&c.Seq, &c.Kind, &c.ID, &at)
	c.At = tm(at)
	return c, err
}

func (s *Store) ChangesAt(ctx context.Context, seqs []int64) ([]meta.Change, error) {
	var out []meta.Change
	for len(seqs) > 0 {
		batch := seqs[:min(len(seqs), 500)]
		seqs = seqs[len(batch):]
		args := make([]any, len(batch))
		for i, q := range batch {
			args[i] = q
		}
		marks := strings.Repeat("?, ", len(batch))
		rows, err := s.db.QueryContext(ctx, s.q(`SELECT seq, kind, id, at FROM changes WHERE seq IN (`+marks[:len(marks)-2]+`) ORDER BY seq`), args...)
		if err != nil {
			return nil, err
		}
		chs, err := collect(rows, scanChange)
		if err != nil {
			return nil, err
		}
		out = append(out, chs...)
	}
	slices.SortFunc(out, func(a, b meta.Change) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

func (s *Store) LastChange(ctx context.Context) (int64, error) {
	var seq sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT MAX(seq) FROM changes`).Scan(&seq)
	return seq.Int64, err
}

func (s *Store) TrimChanges(ctx context.Context, t time.Time) error {
	_, err := s.db.ExecContext(ctx, s.q(`DELETE FROM changes WHERE at < ? AND seq < (SELECT MAX(seq) FROM changes)`), ts(t))
	return err
}

// ---- settings

func (s *Store) GetSetting(ctx context.Context, name string) ([]byte, error) {
	var v []byte
	err := s.db.QueryRowContext(ctx, s.q(`SELECT value FROM settings WHERE name = ?`), name).Scan(&v)
	return v, notFound(err, "setting "+name)
}

func (s *Store) PutSettingIfAbsent(ctx context.Context, name string, value []byte) ([]byte, error) {
	var out []byte
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`), name, value); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, s.q(`SELECT value FROM settings WHERE name = ?`), name).Scan(&out)
	})
	return out, err
}

func scanString(r interface{ Scan(...any) error }) (string, error) {
	var x string
	return x, r.Scan(&x)
}

func collect[T any](rows *sql.Rows, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
