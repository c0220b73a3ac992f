package fs

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// copyBufSize is the streaming buffer: large enough that syscalls and MD5
// block overhead vanish for big objects.
const copyBufSize = 1 << 20

// blobID names a file blob; it is random, never derived from a key.
type blobID [16]byte

func newBlobID() blobID {
	var id blobID
	rand.Read(id[:])
	return id
}

func (id blobID) String() string { return hex.EncodeToString(id[:]) }

func parseBlobID(name string) (blobID, bool) {
	var id blobID
	if len(name) != 32 {
		return id, false
	}
	if _, err := hex.Decode(id[:], []byte(name)); err != nil {
		return id, false
	}
	return id, true
}

func blobIDFromBytes(b []byte) (blobID, error) {
	var id blobID
	if len(b) != len(id) {
		return id, fmt.Errorf("fs: index: blob ID of %d bytes", len(b))
	}
	copy(id[:], b)
	return id, nil
}

// randomHex returns n random bytes in hex (generations, upload IDs).
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Store) shard(id blobID) string {
	h := id.String()
	return filepath.Join(s.root, "blobs", h[0:2], h[2:4])
}

func (s *Store) blobPath(id blobID) string {
	return filepath.Join(s.shard(id), id.String())
}

func (s *Store) tmpPath(id blobID) string {
	return filepath.Join(s.root, "tmp", id.String())
}

// ensureShard creates blobs/ab/cd durably (the new directory entries are
// fsynced in their parents) before the first blob goes there.
func (s *Store) ensureShard(id blobID) (string, error) {
	dir := s.shard(id)
	if _, ok := s.dirs.Load(dir); ok {
		return dir, nil
	}
	s.dirsMu.Lock()
	defer s.dirsMu.Unlock()
	if _, ok := s.dirs.Load(dir); ok {
		return dir, nil
	}
	for _, d := range []string{filepath.Dir(dir), dir} {
		err := os.Mkdir(d, 0o750)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("fs: create %s: %w", d, err)
		}
		if err := syncDir(filepath.Dir(d)); err != nil {
			return "", err
		}
	}
	s.dirs.Store(dir, struct{}{})
	return dir, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("fs: sync directory: %w", err)
	}
	err = d.Sync()
	d.Close()
	if err != nil {
		return fmt.Errorf("fs: sync directory %s: %w", dir, err)
	}
	return nil
}

func (s *Store) addInflight(id blobID) {
	s.inflightMu.Lock()
	s.inflight[id] = struct{}{}
	s.inflightMu.Unlock()
}

func (s *Store) removeInflight(ids ...blobID) {
	s.inflightMu.Lock()
	for _, id := range ids {
		delete(s.inflight, id)
	}
	s.inflightMu.Unlock()
}

func (s *Store) isInflight(id blobID) bool {
	s.inflightMu.Lock()
	_, ok := s.inflight[id]
	s.inflightMu.Unlock()
	return ok
}

// pin keeps blobs from being unlinked until unpin. Call it while holding
// s.gate shared, right after reading the index row that names them.
func (s *Store) pin(ids []blobID) {
	s.pinMu.Lock()
	for _, id := range ids {
		s.pins[id]++
	}
	s.pinMu.Unlock()
}

func (s *Store) unpin(ids []blobID) {
	var unlink []blobID
	s.pinMu.Lock()
	for _, id := range ids {
		if s.pins[id]--; s.pins[id] > 0 {
			continue
		}
		delete(s.pins, id)
		if _, ok := s.doomed[id]; ok {
			delete(s.doomed, id)
			unlink = append(unlink, id)
		}
	}
	s.pinMu.Unlock()
	s.unlinkBlobs(unlink)
}

// discard unlinks blobs that a committed transaction stopped referencing,
// except those a reader pinned: they go when the last reader lets go. A crash
// before the unlink leaves orphans for CollectGarbage.
func (s *Store) discard(ids []blobID) {
	if len(ids) == 0 {
		return
	}
	unlink := make([]blobID, 0, len(ids))
	s.gate.Lock()
	s.pinMu.Lock()
	for _, id := range ids {
		if s.pins[id] > 0 {
			s.doomed[id] = struct{}{}
		} else {
			unlink = append(unlink, id)
		}
	}
	s.pinMu.Unlock()
	s.gate.Unlock()
	s.unlinkBlobs(unlink)
}

func (s *Store) unlinkBlobs(ids []blobID) {
	for _, id := range ids {
		if err := os.Remove(s.blobPath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("fs: remove unreferenced blob (orphan collection will retry)", "blob", id.String(), "err", err)
		}
	}
}

// body is the result of streaming a request body: either inline bytes or a
// durable file blob (not yet referenced by the index; in s.inflight until the
// caller calls done).
type body struct {
	inline []byte // non-nil for inline storage
	id     blobID // file blob when inline == nil
	size   int64
	md5    [md5.Size]byte
	sums   blob.Checksums // checksums computed here (those asked for)
}

// streamOptions say how to store a body.
type streamOptions struct {
	size       int64 // declared size or -1
	inline     bool  // may be kept inline if small enough
	contentMD5 []byte
	compute    []blob.ChecksumAlgorithm // checksums to compute while streaming
}

// ctxReader fails reads once ctx is done, so a cancelled request stops a
// long upload even if the body reader itself would block on.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// stream reads r to EOF and stores it: inline when allowed and it fits, else
// in a file that is fsynced, renamed into blobs/ and whose directory is
// fsynced. On any error (including one r returns at its end) nothing is
// left behind. The caller must call s.removeInflight(b.id) once the blob is
// committed or removed.
func (s *Store) stream(ctx context.Context, r io.Reader, o streamOptions) (_ *body, err error) {
	r = ctxReader{ctx, r}
	b := &body{}
	m := md5.New()
	hashes := make([]hash.Hash, len(o.compute))
	for i, a := range o.compute {
		hashes[i] = a.New()
	}
	sum := func(p []byte) {
		m.Write(p)
		for _, h := range hashes {
			h.Write(p)
		}
	}
	finish := func() error {
		if o.size >= 0 && b.size != o.size {
			return fmt.Errorf("%w: got %d bytes, declared %d", blob.ErrIncompleteBody, b.size, o.size)
		}
		m.Sum(b.md5[:0])
		if o.contentMD5 != nil && string(o.contentMD5) != string(b.md5[:]) {
			return fmt.Errorf("%w: computed %x", blob.ErrBadDigest, b.md5)
		}
		if len(hashes) > 0 {
			b.sums = make(blob.Checksums, len(hashes))
			for i, h := range hashes {
				b.sums[o.compute[i]] = encodeDigest(h.Sum(nil))
			}
		}
		return nil
	}

	var head []byte
	if o.inline && s.inlineSize >= 0 && o.size <= s.inlineSize {
		// Read up to inlineSize+1 bytes: if the body ends within the
		// limit it stays in memory and goes into the index.
		limit := s.inlineSize + 1
		if o.size >= 0 {
			limit = o.size + 1
		}
		head = make([]byte, 0, limit)
		for int64(len(head)) < limit {
			n, err := r.Read(head[len(head):limit])
			head = head[:len(head)+n]
			if err == io.EOF {
				b.size = int64(len(head))
				sum(head)
				if err := finish(); err != nil {
					return nil, err
				}
				b.inline = head
				return b, nil
			}
			if err != nil {
				return nil, fmt.Errorf("fs: read body: %w", err)
			}
		}
		if o.size >= 0 && int64(len(head)) > o.size {
			return nil, fmt.Errorf("%w: body longer than the declared %d bytes", blob.ErrIncompleteBody, o.size)
		}
	}

	b.id = newBlobID()
	s.addInflight(b.id)
	tmp := s.tmpPath(b.id)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		s.removeInflight(b.id)
		return nil, fmt.Errorf("fs: create temporary file: %w", err)
	}
	renamed := false
	defer func() {
		if err != nil {
			f.Close()
			if renamed {
				os.Remove(s.blobPath(b.id))
			} else {
				os.Remove(tmp)
			}
			s.removeInflight(b.id)
		}
	}()
	if len(head) > 0 {
		sum(head)
		if _, err := f.Write(head); err != nil {
			return nil, fmt.Errorf("fs: write blob: %w", err)
		}
		b.size = int64(len(head))
	}
	if b.size, err = s.pump(f, r, sum, b.size, o.size); err != nil {
		return nil, err
	}
	if err := finish(); err != nil {
		return nil, err
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("fs: sync blob: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("fs: close blob: %w", err)
	}
	dir, err := s.ensureShard(b.id)
	if err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, s.blobPath(b.id)); err != nil {
		return nil, fmt.Errorf("fs: rename blob: %w", err)
	}
	renamed = true
	if err := syncDir(dir); err != nil {
		return nil, err
	}
	return b, nil
}

// pump reads r to its end into f, starting after n bytes already written.
// Hashing (the ETag's MD5 takes a core) and the write system calls overlap:
// this goroutine reads and hashes one buffer while a second one writes the
// previous. limit, if not negative, is the declared body size.
func (s *Store) pump(f *os.File, r io.Reader, sum func([]byte), n, limit int64) (int64, error) {
	type chunk struct {
		buf *[]byte
		n   int
	}
	free := make(chan *[]byte, 2)
	for range 2 {
		free <- s.bufPool.Get().(*[]byte)
	}
	full := make(chan chunk, 2)
	done := make(chan error, 1)
	var failed atomic.Bool
	go func(off int64) {
		var err error
		for c := range full {
			if err == nil {
				if _, err = f.Write((*c.buf)[:c.n]); err != nil {
					failed.Store(true)
				}
				startWriteback(f, off, int64(c.n))
				off += int64(c.n)
			}
			free <- c.buf
		}
		done <- err
	}(n)
	var rerr error
	for !failed.Load() {
		buf := <-free
		k, err := readFull(r, *buf)
		if k > 0 {
			n += int64(k)
			if limit >= 0 && n > limit {
				free <- buf
				rerr = fmt.Errorf("%w: body longer than the declared %d bytes", blob.ErrIncompleteBody, limit)
				break
			}
			sum((*buf)[:k])
			full <- chunk{buf, k}
		} else {
			free <- buf
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			rerr = fmt.Errorf("fs: read body: %w", err)
			break
		}
	}
	close(full)
	werr := <-done
	close(free)
	for buf := range free {
		s.bufPool.Put(buf)
	}
	if rerr != nil {
		return n, rerr
	}
	if werr != nil {
		return n, fmt.Errorf("fs: write blob: %w", werr)
	}
	return n, nil
}

// readFull reads until buf is full or r ends; it returns io.EOF with the
// last, possibly partial, buffer.
func readFull(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// linkBlob makes a new durable name for the bytes of blob src (a hard link,
// or a copy where the file system refuses links) and returns it; the new ID
// is in s.inflight.
func (s *Store) linkBlob(src blobID) (blobID, error) {
	id := newBlobID()
	s.addInflight(id)
	dir, err := s.ensureShard(id)
	if err != nil {
		s.removeInflight(id)
		return id, err
	}
	if err := os.Link(s.blobPath(src), s.blobPath(id)); err != nil {
		// EMLINK (too many links to a popular source), EPERM or
		// ENOTSUP on file systems without hard links: copy instead.
		if err := s.copyBlob(src, id); err != nil {
			s.removeInflight(id)
			return id, err
		}
	}
	if err := syncDir(dir); err != nil {
		os.Remove(s.blobPath(id))
		s.removeInflight(id)
		return id, err
	}
	return id, nil
}

func (s *Store) copyBlob(src, dst blobID) (err error) {
	in, err := os.Open(s.blobPath(src))
	if err != nil {
		return fmt.Errorf("fs: copy blob: %w", err)
	}
	defer in.Close()
	tmp := s.tmpPath(dst)
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("fs: copy blob: %w", err)
	}
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := io.Copy(out, in); err != nil { // copy_file_range: a reflink where supported
		return fmt.Errorf("fs: copy blob: %w", err)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("fs: copy blob: %w", err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("fs: copy blob: %w", err)
	}
	if err := os.Rename(tmp, s.blobPath(dst)); err != nil {
		return fmt.Errorf("fs: copy blob: %w", err)
	}
	return nil
}
