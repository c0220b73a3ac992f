package s3blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/blob"
	s3blob "github.com/hourglass-sts/hourglass/internal/blob/s3"
)

// hangBound is how long any single call may take before the test calls it
// a hang (far above the configured timeouts; not a timing assertion).
const hangBound = 30 * time.Second

// faultServer is an upstream that misbehaves on purpose; it counts
// requests and open connections.
type faultServer struct {
	*httptest.Server
	requests atomic.Int64
	open     atomic.Int64
	dials    atomic.Int64  // connections accepted in all
	release  chan struct{} // closed at the end: stalled handlers return
	once     sync.Once
}

// shutdown releases stalled handlers (a handler that never read its
// request body cannot notice the client leaving) and closes the server.
func (fs *faultServer) shutdown() {
	fs.once.Do(func() { close(fs.release) })
	fs.Close()
}

func newFaultServer(t *testing.T, h func(fs *faultServer, w http.ResponseWriter, r *http.Request)) *faultServer {
	fs := &faultServer{release: make(chan struct{})}
	fs.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.requests.Add(1)
		h(fs, w, r)
	}))
	fs.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			fs.open.Add(1)
			fs.dials.Add(1)
		case http.StateClosed, http.StateHijacked:
			fs.open.Add(-1)
		}
	}
	fs.Start()
	t.Cleanup(fs.shutdown)
	return fs
}

// stall blocks a handler until the client gives up or the test ends.
func (fs *faultServer) stall(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-fs.release:
	}
}

func faultStore(t *testing.T, endpoint string, mutate func(*s3blob.Options)) *s3blob.Store {
	t.Helper()
	opts := s3blob.Options{
		Endpoint:       endpoint,
		AccessKey:      "AKFAULT",
		SecretKey:      "fault-secret",
		PathStyle:      true,
		Timeout:        300 * time.Millisecond,
		ConnectTimeout: 300 * time.Millisecond,
		MaxAttempts:    2,
	}
	if mutate != nil {
		mutate(&opts)
	}
	s, err := s3blob.New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New must not fail for an unreachable upstream: %v", err)
	}
	return s
}

// within runs fn and fails the test if it does not return in hangBound.
func within(t *testing.T, what string, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- fn() }()
	select {
	case err := <-done:
		t.Logf("%s: %v after %v", what, err, time.Since(start).Round(time.Millisecond))
		return err
	case <-time.After(hangBound):
		t.Fatalf("%s hangs", what)
		return nil
	}
}

func wantUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, s3blob.ErrUnavailable) {
		t.Fatalf("%s: got %v, want ErrUnavailable", what, err)
	}
}

// checkNoLeaks waits for the goroutines and upstream connections of a test
// to go away (a settle loop: the transport closes connections
// asynchronously), and fails if they do not.
func checkNoLeaks(t *testing.T, goroutinesBefore int, fs *faultServer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		open := int64(0)
		if fs != nil {
			open = fs.open.Load()
		}
		if n <= goroutinesBefore && open == 0 {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("leak: %d goroutines (before: %d), %d upstream connections open\n%s", n, goroutinesBefore, open, buf)
		}
		time.Sleep(20 * time.Millisecond) // settle loop
	}
}

// exercise runs the store's main operations, each of which must fail with
// ErrUnavailable.
func exercise(t *testing.T, s *s3blob.Store) {
	ctx := context.Background()
	wantUnavailable(t, "CreateBucket", within(t, "CreateBucket", func() error { return s.CreateBucket(ctx, "b") }))
	wantUnavailable(t, "BucketExists", within(t, "BucketExists", func() error { _, err := s.BucketExists(ctx, "b"); return err }))
	wantUnavailable(t, "Put", within(t, "Put", func() error {
		_, err := s.Put(ctx, "b", "k", strings.NewReader("hello"), blob.PutOptions{Size: 5})
		return err
	}))
	wantUnavailable(t, "Get", within(t, "Get", func() error {
		obj, err := s.Get(ctx, "b", "k", blob.GetOptions{})
		if err == nil {
			obj.Body.Close()
		}
		return err
	}))
	wantUnavailable(t, "Head", within(t, "Head", func() error { _, err := s.Head(ctx, "b", "k"); return err }))
	wantUnavailable(t, "List", within(t, "List", func() error { _, err := s.List(ctx, "b", blob.ListOptions{MaxKeys: 10}); return err }))
	wantUnavailable(t, "CreateUpload", within(t, "CreateUpload", func() error {
		_, err := s.CreateUpload(ctx, "b", "k", blob.UploadOptions{})
		return err
	}))
}

func TestUpstreamDown(t *testing.T) {
	before := runtime.NumGoroutine()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	s := faultStore(t, "http://"+addr, nil)
	exercise(t, s)
	s.Close()
	checkNoLeaks(t, before, nil)
}

func TestUpstream500(t *testing.T) {
	before := runtime.NumGoroutine()
	fs := newFaultServer(t, func(_ *faultServer, w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>`)
	})
	s := faultStore(t, fs.URL, nil)
	fs.requests.Store(0)
	exercise(t, s)
	// Seven operations, each tried at most MaxAttempts (2) times, some
	// needing two requests (a HEAD's 404 is told apart with a second one).
	if n := fs.requests.Load(); n > 7*2*2 {
		t.Fatalf("%d upstream requests for 7 operations: retries are not bounded", n)
	}
	s.Close()
	fs.shutdown()
	checkNoLeaks(t, before, fs)
}

func TestUpstreamSlowHeaders(t *testing.T) {
	before := runtime.NumGoroutine()
	fs := newFaultServer(t, func(fs *faultServer, w http.ResponseWriter, r *http.Request) {
		fs.stall(r) // never answers: longer than the store's Timeout
	})
	s := faultStore(t, fs.URL, nil)
	exercise(t, s)
	s.Close()
	fs.shutdown()
	checkNoLeaks(t, before, fs)
}

func TestUpstreamStallsMidBody(t *testing.T) {
	before := runtime.NumGoroutine()
	fs := newFaultServer(t, func(fs *faultServer, w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			// Headers and the first bytes of a 1000-byte object, then silence.
			h := w.Header()
			h.Set("Content-Length", "1000")
			h.Set("ETag", `"0123456789abcdef0123456789abcdef"`)
			h.Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusOK)
			w.Write(bytes.Repeat([]byte("x"), 10))
			w.(http.Flusher).Flush()
			fs.stall(r)
		case http.MethodPut:
			fs.stall(r) // never reads the body
		default:
			w.WriteHeader(http.StatusOK)
		}
	})
	s := faultStore(t, fs.URL, func(o *s3blob.Options) { o.SpoolSize = 1 << 10 })
	ctx := context.Background()

	err := within(t, "reading a stalled body", func() error {
		obj, err := s.Get(ctx, "b", "k", blob.GetOptions{})
		if err != nil {
			return err
		}
		defer obj.Body.Close()
		_, err = io.Copy(io.Discard, obj.Body)
		return err
	})
	wantUnavailable(t, "reading a stalled body", err)

	// A streamed upload into an upstream that stops reading: the body is
	// larger than any socket buffer, generated, never held in memory.
	const size = 256 << 20
	err = within(t, "writing into a stalled upstream", func() error {
		_, err := s.Put(ctx, "b", "big", io.LimitReader(zeros{}, size), blob.PutOptions{Size: size})
		return err
	})
	wantUnavailable(t, "writing into a stalled upstream", err)
	s.Close()
	fs.shutdown()
	checkNoLeaks(t, before, fs)
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestCallerCancelIsNotUnavailable: a caller that gives up gets its own
// context error, not ErrUnavailable.
func TestCallerCancelIsNotUnavailable(t *testing.T) {
	before := runtime.NumGoroutine()
	var once sync.Once
	started := make(chan struct{})
	fs := newFaultServer(t, func(fs *faultServer, w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusOK)
			return
		}
		once.Do(func() { close(started) })
		fs.stall(r)
	})
	s := faultStore(t, fs.URL, func(o *s3blob.Options) { o.Timeout = time.Minute })
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	err := within(t, "cancelled Head", func() error {
		_, err := s.Get(ctx, "b", "k", blob.GetOptions{})
		return err
	})
	if !errors.Is(err, context.Canceled) || errors.Is(err, s3blob.ErrUnavailable) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	s.Close()
	fs.shutdown()
	checkNoLeaks(t, before, fs)
}
