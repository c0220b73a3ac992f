package s3blob

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// tcpSink is a ReaderFrom in front of a real TCP connection whose far end
// collects what arrives; it records what ReadFrom was given.
type tcpSink struct {
	*net.TCPConn
	got []any
}

func (s *tcpSink) ReadFrom(r io.Reader) (int64, error) {
	s.got = append(s.got, r)
	return s.TCPConn.ReadFrom(r)
}

// On Linux a GET body written to a TCP connection's ReadFrom hands it the
// upstream connection itself (so net splices), not a reader of this
// process's buffers; elsewhere the copy goes through Write.
func TestGetBodyHandsTheUpstreamConnectionToReadFrom(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Header().Set("ETag", `"0123456789abcdef0123456789abcdef"`)
		w.Write(body)
	}))
	defer up.Close()
	s, err := New(context.Background(), Options{Endpoint: up.URL, AccessKey: "AK", SecretKey: "SK", PathStyle: true,
		Timeout: 5 * time.Second, ConnectTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	received := make(chan []byte, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			received <- nil
			return
		}
		b, _ := io.ReadAll(c)
		c.Close()
		received <- b
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sink := &tcpSink{TCPConn: c.(*net.TCPConn)}

	obj, err := s.Get(context.Background(), "b", "k", blob.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(sink, obj.Body)
	obj.Body.Close()
	c.Close()
	if err != nil || n != int64(len(body)) {
		t.Fatalf("copied %d bytes, err %v", n, err)
	}
	if got := <-received; !bytes.Equal(got, body) {
		t.Fatalf("the far end received %d bytes, not the body", len(got))
	}
	if !spliceSupported {
		return
	}
	if len(sink.got) != 1 {
		t.Fatalf("ReadFrom called %d times, want once", len(sink.got))
	}
	lr, ok := sink.got[0].(*io.LimitedReader)
	if !ok {
		t.Fatalf("ReadFrom got a %T, want an *io.LimitedReader of the upstream connection", sink.got[0])
	}
	if _, ok := lr.R.(*net.TCPConn); !ok {
		t.Fatalf("ReadFrom got a LimitedReader of %T, want *net.TCPConn", lr.R)
	}
}
