package fs

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/blob"
	"github.com/hourglass-sts/hourglass/internal/blob/blobtest"
)

// testPartSize keeps multipart tests fast.
const testPartSize = 64 << 10

func openTest(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	if opts.MinPartSize == 0 {
		opts.MinPartSize = testPartSize
	}
	if opts.GCInterval == 0 {
		opts.GCInterval = -1
	}
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	blobtest.Run(t, func(t *testing.T) blob.Store {
		return openTest(t, t.TempDir(), Options{})
	})
}

// Every object goes through the file path when inlining is off.
func TestConformanceWithoutInline(t *testing.T) {
	t.Parallel()
	blobtest.Run(t, func(t *testing.T) blob.Store {
		return openTest(t, t.TempDir(), Options{InlineSize: -1})
	})
}

// fakeClock is a settable clock for orphan collection.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// files lists the regular files under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestKeysNeverBecomePaths(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{InlineSize: -1})
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"../../etc/passwd", "../escape", "/abs", "a/b/c"} {
		if _, err := s.Put(ctx, "b", k, strings.NewReader("x"), blob.PutOptions{Size: 1}); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range files(t, filepath.Dir(dir)) {
		if strings.Contains(f, "passwd") || strings.Contains(f, "escape") || strings.Contains(f, "abs") {
			t.Fatalf("a key became a path: %s", f)
		}
	}
	for _, f := range files(t, filepath.Join(dir, "blobs")) {
		if _, ok := parseBlobID(filepath.Base(f)); !ok {
			t.Fatalf("unexpected file in blobs/: %s", f)
		}
	}
}

// A failed write leaves no file behind, and overwrites and deletes unlink
// the blobs they replace.
func TestNoLeftovers(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir, Options{InlineSize: -1})
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 100<<10)
	_, err := s.Put(ctx, "b", "k", &failing{bytes.NewReader(body)}, blob.PutOptions{Size: -1})
	if err == nil {
		t.Fatal("failing body accepted")
	}
	if fs := files(t, filepath.Join(dir, "tmp")); len(fs) != 0 {
		t.Fatalf("tmp/ holds %v after a failed Put", fs)
	}
	if fs := files(t, filepath.Join(dir, "blobs")); len(fs) != 0 {
		t.Fatalf("blobs/ holds %v after a failed Put", fs)
	}
	for i := 0; i < 3; i++ {
		if _, err := s.Put(ctx, "b", "k", bytes.NewReader(body), blob.PutOptions{Size: -1}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Copy(ctx, "b", "k", "b", "k2", blob.CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	if fs := files(t, filepath.Join(dir, "blobs")); len(fs) != 2 {
		t.Fatalf("blobs/ holds %d files for 2 objects: %v", len(fs), fs)
	}
	id, _ := s.CreateUpload(ctx, "b", "mp", blob.UploadOptions{})
	for n := 1; n <= 3; n++ {
		if _, err := s.PutPart(ctx, "b", "mp", id, n, bytes.NewReader(body), blob.PartOptions{Size: -1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AbortUpload(ctx, "b", "mp", id); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"k", "k2"} {
		if err := s.Delete(ctx, "b", k); err != nil {
			t.Fatal(err)
		}
	}
	if fs := files(t, filepath.Join(dir, "blobs")); len(fs) != 0 {
		t.Fatalf("blobs/ holds %v after deleting everything", fs)
	}
}

type failing struct{ r *bytes.Reader }

func (f *failing) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err != nil {
		return n, errors.New("checksum mismatch")
	}
	return n, nil
}

func TestCollectGarbage(t *testing.T) {
	dir := t.TempDir()
	clock := &fakeClock{t: time.Now()}
	s := openTest(t, dir, Options{Now: clock.Now, InlineSize: -1})
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("y"), 10<<10)
	if _, err := s.Put(ctx, "b", "kept", bytes.NewReader(body), blob.PutOptions{Size: -1}); err != nil {
		t.Fatal(err)
	}
	id, _ := s.CreateUpload(ctx, "b", "mp", blob.UploadOptions{})
	if _, err := s.PutPart(ctx, "b", "mp", id, 1, bytes.NewReader(body), blob.PartOptions{Size: -1}); err != nil {
		t.Fatal(err)
	}
	// What a crash leaves: a half-written temporary file and a blob renamed
	// into place whose index commit never happened.
	orphanTmp := s.tmpPath(newBlobID())
	if err := os.WriteFile(orphanTmp, []byte("partial"), 0o640); err != nil {
		t.Fatal(err)
	}
	orphanID := newBlobID()
	if _, err := s.ensureShard(orphanID); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.blobPath(orphanID), []byte("uncommitted"), 0o640); err != nil {
		t.Fatal(err)
	}
	// A write in progress is never collected, however old it looks.
	busy := newBlobID()
	s.addInflight(busy)
	if err := os.WriteFile(s.tmpPath(busy), []byte("busy"), 0o640); err != nil {
		t.Fatal(err)
	}
	// A reader still holds an unreferenced blob.
	pinned := newBlobID()
	s.ensureShard(pinned)
	os.WriteFile(s.blobPath(pinned), []byte("pinned"), 0o640)
	s.pin([]blobID{pinned})
	before := files(t, dir)

	// Young orphans stay.
	n, err := s.CollectGarbage(ctx, time.Hour)
	if err != nil || n != 0 {
		t.Fatalf("CollectGarbage now: removed %d, %v; want 0", n, err)
	}
	clock.Set(time.Now().Add(2 * time.Hour))
	n, err = s.CollectGarbage(ctx, time.Hour)
	if err != nil || n != 2 {
		t.Fatalf("CollectGarbage 2h later: removed %d, %v; want 2", n, err)
	}
	for _, p := range []string{orphanTmp, s.blobPath(orphanID)} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("orphan %s survived: %v", p, err)
		}
	}
	for _, p := range []string{s.tmpPath(busy), s.blobPath(pinned)} {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s was collected: %v", p, err)
		}
	}
	if after := files(t, dir); len(after) != len(before)-2 {
		t.Fatalf("files before %v, after %v", before, after)
	}
	// Referenced data is intact.
	obj, err := s.Get(ctx, "b", "kept", blob.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	obj.Body.Close()
	if _, err := s.ListParts(ctx, "b", "mp", id, blob.ListPartsOptions{}); err != nil {
		t.Fatal(err)
	}
	// The pinned blob goes once the reader lets go.
	s.unpin([]blobID{pinned})
	if _, err := os.Stat(s.blobPath(pinned)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("unpinned orphan survived: %v", err)
	}
	s.removeInflight(busy)
	if n, _ := s.CollectGarbage(ctx, time.Hour); n != 1 {
		t.Fatalf("finished write's leftover: removed %d, want 1", n)
	}
}

func TestOpenErrors(t *testing.T) {
	t.Run("corrupt index", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "index.db"), bytes.Repeat([]byte("garbage!"), 1024), 0o640); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir, Options{GCInterval: -1})
		if err == nil || !strings.Contains(err.Error(), "index.db") {
			t.Fatalf("Open with a corrupt index: %v; want an error naming index.db", err)
		}
		t.Log(err)
	})
	t.Run("newer schema", func(t *testing.T) {
		dir := t.TempDir()
		s := openTest(t, dir, Options{})
		if _, err := s.wconn.ExecContext(context.Background(), "PRAGMA user_version = 99"); err != nil {
			t.Fatal(err)
		}
		s.Close()
		_, err := Open(dir, Options{GCInterval: -1})
		if err == nil || !strings.Contains(err.Error(), "newer") {
			t.Fatalf("Open with schema 99: %v", err)
		}
	})
	t.Run("root is a file", func(t *testing.T) {
		f := filepath.Join(t.TempDir(), "file")
		os.WriteFile(f, nil, 0o640)
		_, err := Open(f, Options{GCInterval: -1})
		if err == nil || !strings.Contains(err.Error(), f) {
			t.Fatalf("Open(file): %v", err)
		}
	})
	t.Run("not writable", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("running as root: permission bits do not stop root")
		}
		dir := t.TempDir()
		os.Chmod(dir, 0o500)
		t.Cleanup(func() { os.Chmod(dir, 0o700) })
		_, err := Open(filepath.Join(dir, "data"), Options{GCInterval: -1})
		if err == nil || !strings.Contains(err.Error(), "not usable") {
			t.Fatalf("Open in a read-only directory: %v", err)
		}
	})
	t.Run("locked", func(t *testing.T) {
		dir := t.TempDir()
		openTest(t, dir, Options{})
		_, err := Open(dir, Options{GCInterval: -1})
		if !errors.Is(err, ErrLocked) {
			t.Fatalf("second Open: %v, want ErrLocked", err)
		}
	})
}

// Data survives Close and Open.
func TestReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{MinPartSize: testPartSize}) // background collection on
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s.CreateBucket(ctx, "b")
	small, large := []byte("small"), bytes.Repeat([]byte("L"), 200<<10)
	s.Put(ctx, "b", "small", bytes.NewReader(small), blob.PutOptions{Size: -1})
	s.Put(ctx, "b", "large", bytes.NewReader(large), blob.PutOptions{Size: -1})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir, Options{})
	for k, want := range map[string][]byte{"small": small, "large": large} {
		obj, err := s.Get(ctx, "b", k, blob.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(obj.Body)
		obj.Body.Close()
		if !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("%s after reopen: %d bytes", k, buf.Len())
		}
	}
	if ok, _ := s.BucketExists(ctx, "b"); !ok {
		t.Fatal("bucket lost on reopen")
	}
}
