package s3blob

import (
	"crypto/md5"
	"fmt"
	"hash"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// watchdog calls fire when it stays armed for longer than d. Uploads arm it
// while the transport is busy sending what it read (the upstream is not
// taking bytes), downloads while waiting for the upstream's next bytes: a
// slow client never trips it, a stalled upstream always does.
type watchdog struct {
	t *time.Timer
	d time.Duration
}

func newWatchdog(d time.Duration, fire func()) *watchdog {
	t := time.AfterFunc(time.Hour, fire)
	t.Stop()
	return &watchdog{t: t, d: d}
}

func (w *watchdog) arm()    { w.t.Reset(w.d) }
func (w *watchdog) disarm() { w.t.Stop() }

// commitReader is the body of a streamed upstream write whose length the
// request declares. It withholds the last byte until its source has ended
// with a clean io.EOF and the declared length matched, and until gate (if
// any) approved: a source that fails — even together with its final bytes,
// as a verifying reader that finds a checksum mismatch at the end does —
// leaves the upstream request one byte short, which no S3 server commits.
type commitReader struct {
	src   io.Reader
	size  int64     // declared length, -1 if unknown (then nothing is withheld at the end: the caller must not rely on it)
	n     int64     // bytes read from src
	md5   hash.Hash // nil unless asked for (newCommitReader)
	extra hash.Hash // an additional checksum to compute, or nil
	gate  func() error
	dog   *watchdog

	held    bool
	pending byte
	done    bool // src ended cleanly and the gate passed

	closed atomic.Bool
	mu     sync.Mutex
	err    error // the first error: the source's, the length check's or the gate's
}

// newCommitReader returns a commitReader of src; withMD5 makes it compute
// the MD5 of the bytes (only needed to check a Content-MD5 before the last
// byte goes: the upstream's ETag is the MD5 otherwise).
func newCommitReader(src io.Reader, size int64, withMD5 bool) *commitReader {
	r := &commitReader{src: src, size: size}
	if withMD5 {
		r.md5 = md5.New()
	}
	return r
}

// failure returns the error that stopped the body, if any.
func (r *commitReader) failure() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *commitReader) fail(err error) (int, error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	err = r.err
	r.mu.Unlock()
	return 0, err
}

// abandon makes later reads fail without touching the source: the HTTP
// transport may still read a body after the request returned.
func (r *commitReader) abandon() { r.closed.Store(true) }

func (r *commitReader) Read(p []byte) (int, error) {
	if r.dog != nil {
		r.dog.disarm()
	}
	n, err := r.read(p)
	if r.dog != nil && err == nil {
		r.dog.arm()
	}
	return n, err
}

func (r *commitReader) read(p []byte) (int, error) {
	if err := r.failure(); err != nil {
		return 0, err
	}
	if r.closed.Load() {
		return 0, io.ErrClosedPipe
	}
	if len(p) == 0 {
		return 0, nil
	}
	if r.done {
		if r.held {
			r.held = false
			p[0] = r.pending
			return 1, nil
		}
		return 0, io.EOF
	}
	start := 0
	dst := p
	if r.held {
		// The withheld byte goes out first, but only once we know more
		// follows; read the next bytes behind it.
		if len(p) == 1 {
			dst = make([]byte, 1)
		} else {
			dst = p[1:]
			start = 1
		}
	}
	m, err := r.src.Read(dst)
	if m > 0 {
		r.n += int64(m)
		if r.size >= 0 && r.n > r.size {
			return r.fail(fmt.Errorf("%w: more than the declared %d bytes", blob.ErrIncompleteBody, r.size))
		}
		if r.md5 != nil {
			r.md5.Write(dst[:m])
		}
		if r.extra != nil {
			r.extra.Write(dst[:m])
		}
	}
	switch {
	case err == io.EOF:
		if r.size >= 0 && r.n != r.size {
			return r.fail(fmt.Errorf("%w: %d bytes, %d declared", blob.ErrIncompleteBody, r.n, r.size))
		}
		if r.gate != nil {
			if err := r.gate(); err != nil {
				return r.fail(err)
			}
		}
		r.done = true
		if len(p) == 1 && r.held {
			// dst was scratch: release the held byte now, the scratch byte
			// next.
			out := r.pending
			if m == 1 {
				r.pending = dst[0]
			} else {
				r.held = false
			}
			p[0] = out
			return 1, nil
		}
		if r.held {
			p[0] = r.pending
			r.held = false
		}
		return start + m, nil
	case err != nil:
		return r.fail(err)
	case m == 0:
		return 0, nil
	}
	// More data: release the old held byte and everything but the last
	// byte read; withhold that one.
	if len(p) == 1 && r.held {
		p[0] = r.pending
		r.pending = dst[0]
		return 1, nil
	}
	if r.held {
		p[0] = r.pending
	}
	total := start + m
	r.pending = p[total-1]
	r.held = true
	return total - 1, nil
}

// readSpool reads src into buf until it ends, fails or fills buf. It
// returns the bytes read and whether src ended with a clean io.EOF; a full
// buffer without EOF means the body is longer than buf.
func readSpool(src io.Reader, buf []byte) (int, bool, error) {
	n := 0
	for n < len(buf) {
		m, err := src.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
	}
	return n, false, nil
}
