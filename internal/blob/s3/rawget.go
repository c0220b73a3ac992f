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
	timeout time.Duration // writing the request, reading the response headers and error bodies

	mu     sync.Mutex
	idle   map[string][]*rawConn // by host, most recently used last
	nidle  int
	closed bool
}

// Limits of the idle pool (as the store's http.Transport).
const (
	rawMaxIdle     = 256
	rawIdleTimeout = 30 * time.Second
)

// rawConn is one upstream connection.
type rawConn struct {
	c         *net.TCPConn
	host      string
	br        *bufio.Reader
	bw        *bufio.Writer
	idleSince time.Time

	// dl serialises deadline changes with the context's cancellation, so
	// that a deadline set after the context ended cannot undo it.
	dl        sync.Mutex
	cancelled bool
}

// setDeadline sets the connection's deadline unless its request's context
// has ended (then every I/O fails at once).
func (c *rawConn) setDeadline(t time.Time) {
	c.dl.Lock()
	defer c.dl.Unlock()
	if !c.cancelled {
		c.c.SetDeadline(t)
	}
}

func (c *rawConn) cancel() {
	c.dl.Lock()
	defer c.dl.Unlock()
	c.cancelled = true
	c.c.SetDeadline(aLongTimeAgo)
}

func newRawClient(connectTimeout, timeout time.Duration) *rawClient {
	return &rawClient{dialer: &net.Dialer{Timeout: connectTimeout, KeepAlive: 30 * time.Second}, timeout: timeout,
		idle: make(map[string][]*rawConn)}
}

// aLongTimeAgo is a deadline that makes pending and future I/O fail at once.
var aLongTimeAgo = time.Unix(1, 0)

// Do implements s3.HTTPClient.
func (rc *rawClient) Do(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if req.URL.Scheme != "http" || (req.Body != nil && req.Body != http.NoBody && req.ContentLength != 0) {
		return nil, fmt.Errorf("s3blob: the raw client sends only body-less plain-HTTP requests, not %s %s", req.Method, req.URL.Scheme)
	}
	host := req.URL.Host
	conn := rc.idleConn(host)
	reused := conn != nil
	if conn == nil {
		var err error
		if conn, err = rc.dial(ctx, host); err != nil {
			return nil, err
		}
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
	if !reused || (errors.As(err, &ne) && ne.Timeout()) {
		return nil, err
	}
	// A kept-alive connection the upstream closed meanwhile: the request is
	// idempotent, try once more on a fresh connection.
	if conn, err = rc.dial(ctx, host); err != nil {
		return nil, err
	}
	resp, err = rc.roundTrip(ctx, conn, req)
	if err != nil {
		conn.c.Close()
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
	}
	return resp, err
}

// idleConn returns an idle connection to host that still looks usable, or
// nil. A connection with bytes to read or at EOF (the upstream closed it, or
// sent an unsolicited answer such as a 408) is discarded.
func (rc *rawClient) idleConn(host string) *rawConn {
	now := time.Now()
	for {
		rc.mu.Lock()
		list := rc.idle[host]
		if len(list) == 0 {
			rc.mu.Unlock()
			return nil
		}
		conn := list[len(list)-1]
		rc.idle[host] = list[:len(list)-1]
		rc.nidle--
		rc.mu.Unlock()
		if now.Sub(conn.idleSince) < rawIdleTimeout && conn.quiet() {
			return conn
		}
		conn.c.Close()
	}
}

// quiet reports whether nothing arrived on an idle connection: no bytes in
// its reader's buffer, none waiting on the socket, and no end of stream.
func (c *rawConn) quiet() bool {
	return c.br.Buffered() == 0 && socketQuiet(c.c)
}

func (rc *rawClient) dial(ctx context.Context, host string) (*rawConn, error) {
	c, err := rc.dialer.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("s3blob: dialing %s gave a %T, not a TCP connection", host, c)
	}
	return &rawConn{c: tc, host: host, br: bufio.NewReaderSize(tc, 64<<10), bw: bufio.NewWriterSize(tc, 4<<10)}, nil
}

// put returns a connection whose last response was read completely to the
// idle pool; one with bytes beyond that response is closed.
func (rc *rawClient) put(conn *rawConn) {
	if conn.br.Buffered() > 0 {
		conn.c.Close()
		return
	}
	conn.idleSince = time.Now()
	rc.mu.Lock()
	// Expired connections at the bottom of the list go now, not when reached.
	list := rc.idle[conn.host]
	var drop []*rawConn
	for len(list) > 0 && conn.idleSince.Sub(list[0].idleSince) >= rawIdleTimeout {
		drop = append(drop, list[0])
		list = list[1:]
	}
	rc.nidle -= len(drop)
	if rc.closed || rc.nidle >= rawMaxIdle {
		drop = append(drop, conn)
	} else {
		list = append(list, conn)
		rc.nidle++
	}
	rc.idle[conn.host] = list
	rc.mu.Unlock()
	for _, c := range drop {
		c.c.Close()
	}
}

// close closes the idle connections; connections in use close when their
// bodies do.
func (rc *rawClient) close() {
	rc.mu.Lock()
	idle := rc.idle
	rc.idle, rc.nidle, rc.closed = map[string][]*rawConn{}, 0, true
	rc.mu.Unlock()
	for _, list := range idle {
		for _, conn := range list {
			conn.c.Close()
		}
	}
}

func (rc *rawClient) roundTrip(ctx context.Context, conn *rawConn, req *http.Request) (*http.Response, error) {
	// The context's end interrupts any I/O on the connection, body reads
	// and splices included, until the body is closed.
	stop := context.AfterFunc(ctx, conn.cancel)
	conn.setDeadline(time.Now().Add(rc.timeout))
	err := req.Write(conn.bw)
	if err == nil {
		err = conn.bw.Flush()
	}
	var resp *http.Response
	for err == nil {
		resp, err = http.ReadResponse(conn.br, req)
		if err != nil || resp.StatusCode >= 200 {
			break
		}
		if resp.StatusCode == http.StatusSwitchingProtocols {
			err = fmt.Errorf("%w: the upstream answered a GET with 101 Switching Protocols", ErrUpstream)
		}
		// 100 Continue, 103 Early Hints…: the answer follows.
	}
	if err != nil {
		stop()
		return nil, err
	}
	b := &rawBody{rc: rc, conn: conn, body: resp.Body, stop: stop, keep: !resp.Close, remaining: resp.ContentLength,
		empty: resp.ContentLength == 0 && len(resp.TransferEncoding) == 0}
	b.spliceable = req.Method == http.MethodGet && resp.ContentLength > 0 && len(resp.TransferEncoding) == 0 &&
		(resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusPartialContent)
	if b.spliceable {
		// An object body: its readers watch for silence (getBody's
		// watchdog, watchSplice), whatever its length.
		conn.setDeadline(time.Time{})
	} else {
		// An error or empty answer, read by the SDK: bounded as a whole.
		conn.setDeadline(time.Now().Add(rc.timeout))
	}
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
	empty      bool // the answer has no body (Content-Length 0)
	closed     bool
}

// errBodyClosed: a read after Close (it would read the connection's next
// response).
var errBodyClosed = errors.New("s3blob: read on a closed upstream body")

func (b *rawBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errBodyClosed
	}
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
	done := b.eof || (b.spliceable && b.remaining == 0) || b.empty
	if b.stop() && b.keep && done {
		b.conn.setDeadline(time.Time{})
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
	if int64(buffered) < n {
		// Bytes still to come from the upstream: watch it.
		stop, err := watch(b.conn.c, n-int64(buffered))
		if err != nil {
			return 0, fmt.Errorf("%w: %v", errNoWatch, err)
		}
		defer stop()
	}
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
