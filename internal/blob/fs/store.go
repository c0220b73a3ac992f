package fs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

var _ blob.Store = (*Store)(nil)

// ErrLocked means another Store (in this or another process) has the data
// directory open.
var ErrLocked = errors.New("fs: data directory is in use")

// Defaults of Options.
const (
	DefaultInlineSize = 16 << 10
	DefaultGCInterval = time.Hour
	DefaultGCAge      = time.Hour
)

// Options configure a Store. The zero value is a production configuration.
type Options struct {
	// Now is the clock (time.Now if nil). It stamps LastModified and decides
	// which orphans are old enough to collect.
	Now func() time.Time
	// Logger receives background events (orphan collection); discarded if nil.
	Logger *slog.Logger
	// MinPartSize is the smallest size of every part but the last of a
	// multipart upload (blob.MinPartSize if 0). Tests lower it.
	MinPartSize int64
	// InlineSize: objects of at most this many bytes written by Put are
	// kept inside the index instead of a file of their own, which makes a
	// durable small PUT cost one (shared) WAL fsync instead of three fsyncs.
	// 0 means DefaultInlineSize; negative disables inlining.
	InlineSize int64
	// GCInterval is how often orphan collection runs in the background
	// (first at Open). 0 means DefaultGCInterval; negative disables it.
	GCInterval time.Duration
	// GCAge is how old an unreferenced file must be before it is collected
	// (DefaultGCAge if 0; DESIGN.md §10 fixes one hour).
	GCAge time.Duration
}

// Store is the local-disk blob.Store. Open it with Open; it owns its data
// directory exclusively until Close.
type Store struct {
	root       string
	now        func() time.Time
	log        *slog.Logger
	minPart    int64
	inlineSize int64
	gcAge      time.Duration

	lock *os.File

	wdb    *sql.DB
	wconn  *sql.Conn
	wstmts map[string]*sql.Stmt // used by the committer goroutine only
	rdb    *sql.DB
	rstmts sync.Map // query → *sql.Stmt

	ops        chan *writeOp
	quit       chan struct{}
	writerDone chan struct{}

	bucketsMu sync.RWMutex
	buckets   map[string]int64 // name → id; mirrors the buckets table

	dirsMu sync.Mutex
	dirs   sync.Map // "ab/cd" → struct{} once durable

	// gate orders "a reader reads an index row and pins its blobs" against
	// "a writer decides that an unreferenced blob may be unlinked": readers
	// hold it shared, the decision exclusively, so no blob is unlinked
	// between a reader finding it and pinning it.
	gate   sync.RWMutex
	pinMu  sync.Mutex
	pins   map[blobID]int
	doomed map[blobID]struct{} // unreferenced but pinned: unlink at last unpin

	inflightMu sync.Mutex
	inflight   map[blobID]struct{} // files being written or linked, not yet committed

	bufPool sync.Pool

	rows rowCache

	gcCancel  context.CancelFunc
	gcDone    chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the store in root.
func Open(root string, opts Options) (*Store, error) {
	if root == "" {
		return nil, errors.New("fs: empty data directory")
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("fs: data directory: %w", err)
	}
	s := &Store{
		root:       root,
		now:        opts.Now,
		log:        opts.Logger,
		minPart:    opts.MinPartSize,
		inlineSize: opts.InlineSize,
		gcAge:      opts.GCAge,
		ops:        make(chan *writeOp, maxBatch),
		quit:       make(chan struct{}),
		writerDone: make(chan struct{}),
		buckets:    make(map[string]int64),
		pins:       make(map[blobID]int),
		doomed:     make(map[blobID]struct{}),
		inflight:   make(map[blobID]struct{}),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.minPart <= 0 {
		s.minPart = blob.MinPartSize
	}
	switch {
	case s.inlineSize == 0:
		s.inlineSize = DefaultInlineSize
	case s.inlineSize < 0:
		s.inlineSize = -1
	}
	if s.gcAge <= 0 {
		s.gcAge = DefaultGCAge
	}
	s.bufPool.New = func() any { b := make([]byte, copyBufSize); return &b }

	if err := s.prepareDir(); err != nil {
		return nil, err
	}
	if err := s.openIndex(filepath.Join(root, "index.db")); err != nil {
		s.closeIndex()
		s.unlock()
		return nil, err
	}
	if err := s.loadBuckets(); err != nil {
		s.closeIndex()
		s.unlock()
		return nil, err
	}
	go s.committer()

	interval := opts.GCInterval
	if interval == 0 {
		interval = DefaultGCInterval
	}
	gcCtx, cancel := context.WithCancel(context.Background())
	s.gcCancel = cancel
	s.gcDone = make(chan struct{})
	if interval > 0 {
		go s.gcLoop(gcCtx, interval)
	} else {
		close(s.gcDone)
	}
	return s, nil
}

// prepareDir creates the layout, proves it writable and takes the lock.
func (s *Store) prepareDir() error {
	for _, d := range []string{s.root, filepath.Join(s.root, "blobs"), filepath.Join(s.root, "tmp")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return fmt.Errorf("fs: data directory %s is not usable: %w", s.root, err)
		}
	}
	// The 256 first-level shard directories exist from the start, so a new
	// blob costs at most one directory creation (its second level).
	created := false
	for i := 0; i < 256; i++ {
		err := os.Mkdir(filepath.Join(s.root, "blobs", fmt.Sprintf("%02x", i)), 0o750)
		if err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("fs: data directory %s is not usable: %w", s.root, err)
		}
		created = created || err == nil
	}
	if created {
		if err := syncDir(filepath.Join(s.root, "blobs")); err != nil {
			return err
		}
	}
	probe, err := os.CreateTemp(filepath.Join(s.root, "tmp"), "probe-")
	if err != nil {
		return fmt.Errorf("fs: data directory %s is not writable: %w", s.root, err)
	}
	probe.Close()
	os.Remove(probe.Name())

	f, err := os.OpenFile(filepath.Join(s.root, "LOCK"), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return fmt.Errorf("fs: data directory %s: lock file: %w", s.root, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("%w: %s is locked by another store", ErrLocked, s.root)
		}
		return fmt.Errorf("fs: data directory %s: lock: %w", s.root, err)
	}
	s.lock = f
	return nil
}

func (s *Store) unlock() {
	if s.lock != nil {
		syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
		s.lock.Close()
		s.lock = nil
	}
}

func (s *Store) closeIndex() {
	s.rstmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	for _, st := range s.wstmts {
		st.Close()
	}
	if s.wconn != nil {
		s.wconn.Close()
	}
	if s.wdb != nil {
		s.wdb.Close()
	}
	if s.rdb != nil {
		s.rdb.Close()
	}
}

// Close stops background work, closes the index and releases the directory.
// Readers opened by Get must be closed before; calls in flight may fail.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.gcCancel()
		<-s.gcDone
		close(s.quit)
		<-s.writerDone
		s.closeIndex()
		s.unlock()
	})
	return s.closeErr
}

// MinPartSize returns the configured minimum part size (blobtest reads it).
func (s *Store) MinPartSize() int64 { return s.minPart }

// Root returns the data directory.
func (s *Store) Root() string { return s.root }

func (s *Store) loadBuckets() error {
	rows, err := s.rdb.Query("SELECT id, name FROM buckets")
	if err != nil {
		return fmt.Errorf("fs: index: load buckets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return fmt.Errorf("fs: index: load buckets: %w", err)
		}
		s.buckets[name] = id
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("fs: index: load buckets: %w", err)
	}
	return nil
}

// bucketID returns the ID of an existing bucket from the in-memory mirror.
func (s *Store) bucketID(bucket string) (int64, error) {
	s.bucketsMu.RLock()
	id, ok := s.buckets[bucket]
	s.bucketsMu.RUnlock()
	if !ok {
		return 0, fmt.Errorf("%w: %q", blob.ErrNoSuchBucket, bucket)
	}
	return id, nil
}

// txBucketID is bucketID inside a write transaction: authoritative.
func (tx *wtx) bucketID(bucket string) (int64, error) {
	var id int64
	err := tx.queryRow("SELECT id FROM buckets WHERE name = ?", bucket).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("%w: %q", blob.ErrNoSuchBucket, bucket)
	}
	return id, err
}

// CreateBucket implements blob.Store.
func (s *Store) CreateBucket(ctx context.Context, bucket string) error {
	if bucket == "" {
		return fmt.Errorf("%w: empty", blob.ErrInvalidBucketName)
	}
	err := s.write(ctx, func(tx *wtx) error {
		if _, err := tx.bucketID(bucket); err == nil {
			return fmt.Errorf("%w: %q", blob.ErrBucketExists, bucket)
		} else if !errors.Is(err, blob.ErrNoSuchBucket) {
			return err
		}
		res, err := tx.execResult("INSERT INTO buckets (name, created) VALUES (?, ?)", bucket, s.now().UnixNano())
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		tx.afterCommit(func() {
			s.bucketsMu.Lock()
			s.buckets[bucket] = id
			s.bucketsMu.Unlock()
		})
		return nil
	})
	if err != nil {
		return fmt.Errorf("fs: create bucket: %w", err)
	}
	return nil
}

// DeleteBucket implements blob.Store.
func (s *Store) DeleteBucket(ctx context.Context, bucket string) error {
	err := s.write(ctx, func(tx *wtx) error {
		id, err := tx.bucketID(bucket)
		if err != nil {
			return err
		}
		var one int
		err = tx.queryRow("SELECT 1 FROM objects WHERE bucket = ? LIMIT 1", id).Scan(&one)
		if err == nil {
			return fmt.Errorf("%w: %q holds objects", blob.ErrBucketNotEmpty, bucket)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		err = tx.queryRow("SELECT 1 FROM uploads WHERE bucket = ? LIMIT 1", id).Scan(&one)
		if err == nil {
			return fmt.Errorf("%w: %q has multipart uploads in progress", blob.ErrBucketNotEmpty, bucket)
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		tx.afterCommit(func() {
			s.bucketsMu.Lock()
			delete(s.buckets, bucket)
			s.bucketsMu.Unlock()
		})
		return tx.exec("DELETE FROM buckets WHERE id = ?", id)
	})
	if err != nil {
		return fmt.Errorf("fs: delete bucket: %w", err)
	}
	return nil
}

// BucketExists implements blob.Store.
func (s *Store) BucketExists(ctx context.Context, bucket string) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	_, err := s.bucketID(bucket)
	return err == nil, nil
}
