package s3blob

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// rawClient is a minimal HTTP/1.1 client over plain TCP for GetObject. Its
// response bodies keep the upstream connection within reach, so that a body
// can be spliced into the client's connection by the kernel instead of being
// copied through this process twice (see getBody.WriteTo). Everything else
// (signing, retries, error decoding) stays with the SDK, which calls Do as
// its HTTP client for GetObject only. It is used only for http:// upstreams
// on systems where splicing works (spliceSupported).
type rawClient struct {
	dialer  *net.Dialer
	timeout time.Duration // writing the request and reading the response headers

	mu     sync.Mutex
	idle   []*rawConn // most recently used last
	closed bool
}

// Limits of the idle pool.
const (
	rawMaxIdle     = 64
	rawIdleTimeout = 30 * time.Second
)

// rawConn is one upstream connection.
type rawConn struct {
	c         *net.TCPConn
	br        *bufio.Reader
	bw        *bufio.Writer
	idleSince time.Time
}

func newRawClient(connectTimeout, timeout time.Duration) *rawClient {
	return &rawClient{dialer: &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}, timeout: timeout}
}

// aLongTimeAgo is a deadline that makes pending and future I/O fail at once.
var aLongTimeAgo = time.Unix(1, 0)

// Do implements s3.HTTPClient.
func (rc *rawClient) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if req.URL.Scheme != "http" || (req.Body != nil && req.Body != http.NoBody && req.ContentLength != 0) {
		return nil, fmt.Errorf("s3blob: the raw client sends only body-less plain-HTTP requests, not %s %s", req.Method, req.URL.Scheme)
	}
	for attempt := 0; ; attempt++ {
		conn, reused, err := rc.get(ctx, req.URL.Host)
		if err != nil {
			return nil, err
		}
		resp, err := rc.roundTrip(ctx, conn, req)
		if err == nil {
			return resp, nil
		}
		conn.c.Close()
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		var ne net.Error
		if reused && attempt == 0 && !(errors.As(err, &ne) && ne.Timeout()) {
			// A kept-alive connection the upstream closed meanwhile: the
			// request is idempotent, try once on a fresh one.
			continue
		}
		return nil, err
	}
}

// get returns an idle connection to host or dials one.
func (rc *rawClient) get(ctx context.Context, host string) (*rawConn, bool, error) {
	now := time.Now()
	rc.mu.Lock()
	for len(rc.idle) > 0 {
		conn := rc.idle[len(rc.idle)-1]
		rc.idle = rc.idle[:len(rc.idle)-1]
		if now.Sub(conn.idleSince) < rawIdleTimeout {
			rc.mu.Unlock()
			return conn, true, nil
		}
		conn.c.Close()
	}
	rc.mu.Unlock()
	c, err := rc.dialer.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, false, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		c.Close()
		return nil, false, fmt.Errorf("s3blob: dialing %s gave a %T, not a TCP connection", host, c)
	}
	return &rawConn{c: tc, br: bufio.NewReaderSize(tc, 64<<10), bw: bufio.NewWriterSize(tc, 4<<10)}, false, nil
}

// put returns a connection whose last response was read completely to the
// idle pool.
func (rc *rawClient) put(conn *rawConn) {
	conn.idleSince = time.Now()
	rc.mu.Lock()
	if rc.closed || len(rc.idle) >= rawMaxIdle {
		rc.mu.Unlock()
		conn.c.Close()
		return
	}
	rc.idle = append(rc.idle, conn)
	rc.mu.Unlock()
}

// close closes the idle connections; connections in use close when their
// bodies do.
func (rc *rawClient) close() {
	rc.mu.Lock()
	idle := rc.idle
	rc.idle, rc.closed = nil, true
	rc.mu.Unlock()
	for _, conn := range idle {
		conn.c.Close()
	}
}

func (rc *rawClient) roundTrip(ctx context.Context, conn *rawConn, req *http.Request) (*http.Response, error) {
	// The context's end interrupts any I/O on the connection, body reads
	// and splices included, until the body is closed.
	stop := context.AfterFunc(ctx, func() { conn.c.SetDeadline(aLongTimeAgo) })
	conn.c.SetDeadline(time.Now().Add(rc.timeout))
	err := req.Write(conn.bw)
	if err == nil {
		err = conn.bw.Flush()
	}
	var resp *http.Response
	if err == nil {
		resp, err = http.ReadResponse(conn.br, req)
	}
	if err != nil {
		stop()
		return nil, err
	}
	// From here the body's readers watch for silence (getBody's watchdog).
	conn.c.SetDeadline(time.Time{})
	b := &rawBody{rc: rc, conn: conn, body: resp.Body, stop: stop, keep: !resp.Close, remaining: resp.ContentLength}
	b.spliceable = req.Method == http.MethodGet && resp.ContentLength > 0 && len(resp.TransferEncoding) == 0 &&
		(resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusPartialContent)
	resp.Body = b
	return resp, nil
}

// rawBody is a response body of the raw client.
type rawBody struct {
	rc         *rawClient
	conn       *rawConn
	body       io.ReadCloser // as http.ReadResponse framed it
	stop       func() bool
	keep       bool  // the upstream keeps the connection open
	spliceable bool  // the body is the next remaining bytes of conn, unframed
	remaining  int64 // bytes of the body not yet read (when spliceable)
	eof        bool
	closed     bool
}

func (b *rawBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	b.remaining -= int64(n)
	if err == io.EOF {
		b.eof = true
	}
	return n, err
}

// Close returns the connection to the pool when the body was read to its end
// (and the context never interrupted it), and closes it otherwise.
func (b *rawBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	done := b.eof || (b.spliceable && b.remaining == 0)
	if b.stop() && b.keep && done {
		b.conn.c.SetDeadline(time.Time{})
		b.rc.put(b.conn)
		return nil
	}
	return b.conn.c.Close()
}

// errNoWatch: the connection cannot be watched while the kernel moves its
// bytes, so the body is not spliced.
var errNoWatch = errors.New("s3blob: cannot watch the upstream connection")

// spliceTo sends the next n bytes of the body (n ≤ remaining) to w: first
// what the connection's reader already buffered, then the rest straight
// from the connection through w's ReadFrom, which splices socket to socket
// when w is a TCP connection (net/http's ResponseWriter on a plain-HTTP
// listener is). watch(c, k) starts watching c for silence while its next k
// bytes arrive and returns the function that stops it; when it cannot,
// spliceTo returns errNoWatch before sending anything.
func (b *rawBody) spliceTo(w io.Writer, rf io.ReaderFrom, n int64, watch func(c *net.TCPConn, k int64) (func(), error)) (int64, error) {
	buffered := int(min(n, int64(b.conn.br.Buffered())))
	stop, err := watch(b.conn.c, n-int64(buffered))
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errNoWatch, err)
	}
	defer stop()
	var total int64
	if buffered > 0 {
		// Straight from the reader's buffer (the framing reader in b.body
		// is not used again: the rest bypasses it too).
		p, _ := b.conn.br.Peek(buffered)
		m, err := w.Write(p)
		b.conn.br.Discard(m)
		total += int64(m)
		b.remaining -= int64(m)
		if err != nil {
			return total, err
		}
	}
	if rest := n - total; rest > 0 {
		m, err := rf.ReadFrom(&io.LimitedReader{R: b.conn.c, N: rest})
		total += m
		b.remaining -= m
		if err == nil && m < rest {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
