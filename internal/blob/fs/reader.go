package fs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// fileReader yields n bytes of f from off. Its WriteTo hands the network
// stack an *io.LimitedReader over the *os.File, which net.TCPConn turns into
// sendfile(2).
type fileReader struct {
	f      *os.File
	off, n int64
}

func (r *fileReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	k, err := r.f.ReadAt(p, r.off)
	r.off += int64(k)
	r.n -= int64(k)
	if err == io.EOF {
		err = nil
		if k == 0 {
			err = errShortBlob
		}
	}
	return k, err
}

var errShortBlob = errors.New("fs: blob file shorter than its index entry")

func (r *fileReader) WriteTo(w io.Writer) (int64, error) {
	if r.n <= 0 {
		return 0, nil
	}
	if _, err := r.f.Seek(r.off, io.SeekStart); err != nil {
		return 0, err
	}
	written, err := io.Copy(w, &io.LimitedReader{R: r.f, N: r.n})
	r.off += written
	r.n -= written
	if err == nil && r.n > 0 {
		err = errShortBlob
	}
	return written, err
}

func (r *fileReader) Close() error { return r.f.Close() }

// segReader streams a byte range of a multipart object across its segment
// files, opening each only when it is reached. The segments stay pinned (not
// unlinked) until Close.
type segReader struct {
	s      *Store
	segs   []segment // from the first segment holding selected bytes
	ids    []blobID  // pinned
	off    int64     // offset within segs[0]
	n      int64     // bytes left
	cur    *fileReader
	mu     sync.Mutex
	closed bool
}

func newSegReader(s *Store, segs []segment, ids []blobID, start, n int64) *segReader {
	for len(segs) > 0 && start >= segs[0].size {
		start -= segs[0].size
		segs = segs[1:]
	}
	return &segReader{s: s, segs: segs, ids: ids, off: start, n: n}
}

// next makes cur the reader of the next segment with selected bytes.
func (r *segReader) next() error {
	if r.cur != nil {
		r.cur.Close()
		r.cur = nil
	}
	for len(r.segs) > 0 && r.off >= r.segs[0].size {
		r.off -= r.segs[0].size
		r.segs = r.segs[1:]
	}
	if len(r.segs) == 0 {
		return errShortBlob
	}
	sg := r.segs[0]
	f, err := os.Open(r.s.blobPath(sg.id))
	if err != nil {
		return fmt.Errorf("fs: open segment %s: %w", sg.id, err)
	}
	n := min(sg.size-r.off, r.n)
	r.cur = &fileReader{f: f, off: r.off, n: n}
	r.off = sg.size // consumed once cur is drained
	return nil
}

func (r *segReader) Read(p []byte) (int, error) {
	for {
		if r.n <= 0 {
			return 0, io.EOF
		}
		if r.cur == nil || r.cur.n <= 0 {
			if err := r.next(); err != nil {
				return 0, err
			}
		}
		k, err := r.cur.Read(p)
		r.n -= int64(k)
		if k > 0 || err != nil {
			return k, err
		}
	}
}

func (r *segReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for r.n > 0 {
		if r.cur == nil || r.cur.n <= 0 {
			if err := r.next(); err != nil {
				return total, err
			}
		}
		k, err := r.cur.WriteTo(w)
		total += k
		r.n -= k
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (r *segReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	if r.cur != nil {
		r.cur.Close()
		r.cur = nil
	}
	r.s.unpin(r.ids)
	return nil
}
