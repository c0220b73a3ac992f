package s3blob

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rawUpstream is a hand-written HTTP/1.1 server: respond writes the answer to the n-th request
// (counted over the listener, from 1) on its connection. It returns the address and the
// server's side of every connection it accepted.
func rawUpstream(t *testing.T, respond func(n int, c net.Conn)) (string, func() []net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	var n atomic.Int32
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() {
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						c.Close()
						return
					}
					io.Copy(io.Discard, req.Body)
					respond(int(n.Add(1)), c)
				}
			}()
		}
	}()
	return l.Addr().String(), func() []net.Conn {
		mu.Lock()
		defer mu.Unlock()
		return append([]net.Conn(nil), conns...)
	}
}

func rawGet(t *testing.T, rc *rawClient, ctx context.Context, addr string) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/b/k", nil)
	resp, err := rc.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", addr, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", addr, err)
	}
	return resp.StatusCode, string(b)
}

// An interim 1xx answer is skipped: the final answer belongs to the same request, and the next
// request on the connection gets its own.
func TestRawClientSkipsInterimResponses(t *testing.T) {
	addr, _ := rawUpstream(t, func(n int, c net.Conn) {
		if n == 1 {
			io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nAAAAA")
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nBBBBB")
	})
	rc := newRawClient(time.Second, 5*time.Second)
	defer rc.close()
	if code, body := rawGet(t, rc, context.Background(), addr); code != 200 || body != "AAAAA" {
		t.Fatalf("first GET: %d %q", code, body)
	}
	if code, body := rawGet(t, rc, context.Background(), addr); code != 200 || body != "BBBBB" {
		t.Fatalf("second GET: %d %q (the first request's answer?)", code, body)
	}
}

// Idle connections are kept per host: a request for B never rides a connection to A.
func TestRawClientPoolsByHost(t *testing.T) {
	// The servers answer with their own name.
	answer := func(name string) func(int, net.Conn) {
		return func(_ int, c net.Conn) { fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n%s", name) }
	}
	a, _ := rawUpstream(t, answer("A"))
	b, _ := rawUpstream(t, answer("B"))
	rc := newRawClient(time.Second, 5*time.Second)
	defer rc.close()
	for _, want := range []struct{ addr, body string }{{a, "A"}, {b, "B"}, {a, "A"}, {b, "B"}} {
		if _, body := rawGet(t, rc, context.Background(), want.addr); body != want.body {
			t.Fatalf("GET %s answered %q, want %q", want.addr, body, want.body)
		}
	}
}

// After the upstream closed every idle connection (a restart, a short idle timeout), the next GET
// still succeeds: dead idle connections are discarded, and a failed reused one is retried on a
// fresh one.
func TestRawClientSurvivesClosedIdleConnections(t *testing.T) {
	addr, conns := rawUpstream(t, func(_ int, c net.Conn) { io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA") })
	rc := newRawClient(time.Second, 5*time.Second)
	defer rc.close()
	// Four connections in the pool.
	var resps []*http.Response
	for i := 0; i < 4; i++ {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/b/k", nil)
		resp, err := rc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resps = append(resps, resp)
	}
	for _, r := range resps {
		io.ReadAll(r.Body)
		r.Body.Close()
	}
	for _, c := range conns() {
		c.Close()
	}
	for i := 0; i < 3; i++ {
		if _, body := rawGet(t, rc, context.Background(), addr); body != "A" {
			t.Fatalf("GET %d after the upstream closed its connections: %q", i, body)
		}
	}
}

// A body read after Close fails instead of reading the connection's next answer.
func TestRawBodyReadAfterClose(t *testing.T) {
	addr, _ := rawUpstream(t, func(n int, c net.Conn) {
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n%d%d%d%d%d", n, n, n, n, n)
	})
	rc := newRawClient(time.Second, 5*time.Second)
	defer rc.close()
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/b/k", nil)
	first, err := rc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(first.Body)
	first.Body.Close()
	if _, body := rawGet(t, rc, context.Background(), addr); body != "22222" {
		t.Fatalf("second GET: %q", body)
	}
	if n, err := first.Body.Read(make([]byte, 5)); n != 0 || !errors.Is(err, errBodyClosed) {
		t.Fatalf("read after Close: %d bytes, %v", n, err)
	}
}

// A context that ends while the answer's headers arrive ends the body's reads too, even when the
// upstream then goes silent: cancellation cannot be undone by the deadline set after the headers.
func TestRawClientCancelAroundHeaders(t *testing.T) {
	var cancelCur atomic.Pointer[context.CancelFunc]
	addr, _ := rawUpstream(t, func(n int, c net.Conn) {
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nAAAAA") // and then silence
		for i := 0; i < n%7; i++ {
			runtime.Gosched()
		}
		(*cancelCur.Load())()
	})
	rc := newRawClient(time.Second, time.Hour) // no timeout to fall back on
	defer rc.close()
	for i := 0; i < 300; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		cancelCur.Store(&cancel)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/b/k", nil)
		resp, err := rc.Do(req)
		if err != nil {
			continue // cancelled before the headers: fine
		}
		done := make(chan error, 1)
		go func() { _, err := io.ReadAll(resp.Body); done <- err }()
		select {
		case err := <-done:
			if err == nil {
				t.Fatalf("attempt %d: a body of 10 bytes with 5 sent read to its end", i)
			}
		case <-time.After(10 * time.Second):
			resp.Body.(*rawBody).conn.c.Close()
			t.Fatalf("attempt %d: the body read hangs although the context ended", i)
		}
		resp.Body.Close()
	}
}

// An idle connection on which the upstream said something unasked (a 408 before closing, say)
// is not reused: the next GET gets its own answer, not that one.
func TestRawClientDropsChattyIdleConnections(t *testing.T) {
	goAhead, written := make(chan struct{}), make(chan struct{})
	addr, _ := rawUpstream(t, func(n int, c net.Conn) {
		fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n%d%d%d%d%d", n, n, n, n, n)
		if n == 1 {
			go func() {
				<-goAhead
				io.WriteString(c, "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
				close(written)
			}()
		}
	})
	rc := newRawClient(time.Second, 5*time.Second)
	defer rc.close()
	if _, body := rawGet(t, rc, context.Background(), addr); body != "11111" {
		t.Fatalf("first GET: %q", body)
	}
	close(goAhead) // the connection is idle in the pool now
	<-written      // on loopback, the bytes are in this side's socket once the write returned
	if code, body := rawGet(t, rc, context.Background(), addr); code != 200 || body != "22222" {
		t.Fatalf("second GET: %d %q (the upstream's unasked answer?)", code, body)
	}
}

// An answer without a body gives its connection back even when nobody read the (empty) body.
func TestRawClientPoolsAfterEmptyAnswers(t *testing.T) {
	addr, conns := rawUpstream(t, func(_ int, c net.Conn) {
		io.WriteString(c, "HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\n\r\n")
	})
	rc := newRawClient(time.Second, 5*time.Second)
	defer rc.close()
	for i := 0; i < 5; i++ {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/b/k", nil)
		resp, err := rc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close() // unread
	}
	if n := len(conns()); n != 1 {
		t.Fatalf("5 empty answers used %d connections, want 1", n)
	}
}
