package s3blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/blob"
	s3blob "github.com/hourglass-sts/hourglass/internal/blob/s3"
)

// The GET path as a node runs it: an upstream, the store, and a front server whose handler copies
// the object into its ResponseWriter with io.Copy (as s3api does), read by a plain HTTP client. On
// Linux the body goes upstream socket → front socket by splice; these tests hold on any system.

// pattern is a deterministic, non-repeating-looking body of any size, generated on the fly.
type pattern struct{ off int64 }

func (p *pattern) Read(b []byte) (int, error) {
	for i := range b {
		x := uint64(p.off + int64(i))
		b[i] = byte(x ^ x>>8 ^ x>>16 ^ x>>24)
	}
	p.off += int64(len(b))
	return len(b), nil
}

func patternSum(size int64) [sha256.Size]byte {
	h := sha256.New()
	io.Copy(h, io.LimitReader(&pattern{}, size))
	var s [sha256.Size]byte
	copy(s[:], h.Sum(nil))
	return s
}

// objectServer answers every GET with size bytes of pattern, or with the
// first stallAfter bytes and then silence when stallAfter ≥ 0.
func objectServer(t *testing.T, size, stallAfter int64) *faultServer {
	return newFaultServer(t, func(fs *faultServer, w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Length", strconv.FormatInt(size, 10))
		h.Set("ETag", `"0123456789abcdef0123456789abcdef"`)
		h.Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodGet {
			return
		}
		if stallAfter >= 0 {
			io.Copy(w, io.LimitReader(&pattern{}, stallAfter))
			w.(http.Flusher).Flush()
			fs.stall(r)
			return
		}
		io.Copy(w, io.LimitReader(&pattern{}, size))
	})
}

// front serves s's object b/k as a node would; copyErr receives the error of each copy.
func front(t *testing.T, s *s3blob.Store) (*httptest.Server, chan error) {
	copyErr := make(chan error, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		obj, err := s.Get(r.Context(), "b", "k", blob.GetOptions{})
		if err != nil {
			copyErr <- err
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		defer obj.Body.Close()
		w.Header().Set("Content-Length", strconv.FormatInt(obj.End-obj.Start+1, 10))
		w.WriteHeader(http.StatusOK)
		_, err = io.Copy(w, obj.Body)
		copyErr <- err
	}))
	t.Cleanup(srv.Close)
	return srv, copyErr
}

func TestSplicedGetDeliversTheBody(t *testing.T) {
	const size = 24<<20 + 12345
	up := objectServer(t, size, -1)
	s := faultStore(t, up.URL, func(o *s3blob.Options) { o.Timeout = 5 * time.Second })
	defer s.Close()
	srv, copyErr := front(t, s)
	want := patternSum(size)
	for i := 0; i < 3; i++ { // the upstream connection is reused in between
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		n, err := io.Copy(h, resp.Body)
		resp.Body.Close()
		if err != nil || n != size || !bytes.Equal(h.Sum(nil), want[:]) {
			t.Fatalf("GET %d: %d bytes (want %d), err %v, digest match %v", i, n, size, err, bytes.Equal(h.Sum(nil), want[:]))
		}
		if err := <-copyErr; err != nil {
			t.Fatalf("GET %d: the front's copy failed: %v", i, err)
		}
	}
}

// A client that reads nothing for several times the store's timeout is slow, not a stalled upstream:
// the body is larger than every socket buffer on the way, so the upstream is held back by the
// client, and the watch must see bytes waiting rather than silence.
func TestSplicedGetSlowClientIsNotAStall(t *testing.T) {
	const size = 64 << 20
	up := objectServer(t, size, -1)
	s := faultStore(t, up.URL, func(o *s3blob.Options) { o.Timeout = 200 * time.Millisecond })
	defer s.Close()
	srv, copyErr := front(t, s)
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, 1<<20)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		t.Fatal(err)
	}
	// The slow client is the scenario: it pauses for five of the store's timeouts.
	time.Sleep(time.Second)
	h := sha256.New()
	h.Write(first)
	n, err := io.Copy(h, resp.Body)
	want := patternSum(size)
	if err != nil || n+int64(len(first)) != size || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("after the pause: %d more bytes (want %d), err %v", n, size-int64(len(first)), err)
	}
	if err := <-copyErr; err != nil {
		t.Fatalf("the front's copy failed: %v", err)
	}
}

// An upstream that goes silent in the middle of a body being spliced ends the copy with
// ErrUnavailable after about the store's timeout; the client sees a short body; nothing leaks.
func TestSplicedGetUpstreamStalls(t *testing.T) {
	before := runtime.NumGoroutine()
	const size = 32 << 20
	up := objectServer(t, size, 3<<20)
	s := faultStore(t, up.URL, func(o *s3blob.Options) { o.Timeout = 300 * time.Millisecond })
	srv, copyErr := front(t, s)
	err := within(t, "a spliced body whose upstream stalls", func() error {
		resp, err := http.Get(srv.URL)
		if err != nil {
			return err
		}
		n, rerr := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if rerr == nil || n >= size {
			t.Errorf("the client read %d of %d bytes without an error", n, size)
		}
		return <-copyErr
	})
	wantUnavailable(t, "a spliced body whose upstream stalls", err)
	srv.Close()
	s.Close()
	up.shutdown()
	checkNoLeaks(t, before, up)
}

// Connections of bodies read to the end are reused; a body closed early gives its connection up; a
// kept-alive connection the upstream closed meanwhile is replaced without failing the request
// (even with MaxAttempts 1, so the SDK's retries do not hide it).
func TestRawConnections(t *testing.T) {
	before := runtime.NumGoroutine()
	up := objectServer(t, 100<<10, -1)
	s := faultStore(t, up.URL, func(o *s3blob.Options) { o.MaxAttempts = 1; o.Timeout = 5 * time.Second })
	ctx := context.Background()
	get := func(readAll bool) error {
		obj, err := s.Get(ctx, "b", "k", blob.GetOptions{})
		if err != nil {
			return err
		}
		defer obj.Body.Close()
		if !readAll {
			_, err = io.ReadFull(obj.Body, make([]byte, 10))
			return err
		}
		n, err := io.Copy(io.Discard, obj.Body)
		if err == nil && n != 100<<10 {
			err = errors.New("short body")
		}
		return err
	}
	for i := 0; i < 20; i++ {
		if err := get(true); err != nil {
			t.Fatal(err)
		}
	}
	if n := up.dials.Load(); n > 2 {
		t.Fatalf("20 sequential GETs opened %d upstream connections: bodies read to the end must give theirs back", n)
	}
	if err := get(false); err != nil {
		t.Fatal(err)
	}
	if err := get(true); err != nil {
		t.Fatalf("GET after a body closed early: %v", err)
	}
	up.CloseClientConnections()
	if err := get(true); err != nil {
		t.Fatalf("GET after the upstream closed its connections: %v", err)
	}
	s.Close()
	up.shutdown()
	checkNoLeaks(t, before, up)
}
