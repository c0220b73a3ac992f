// Package httpx provides what every Hourglass listener shares: request IDs, panic recovery, the
// access log, per-operation Prometheus metrics and the request-scoped Info that handlers fill in
// (operation, principal, bucket, key) so that logs and metrics name what happened.
package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Info describes one request; handlers fill it in as they learn more.
type Info struct {
	ID        string
	Surface   string // s3, sts, admin
	Op        string
	Principal string
	Session   string
	Bucket    string
	Key       string
	// Reason explains a denial or an error for the log (never shown to the client).
	Reason string
}

type ctxKey struct{}

// FromContext returns the request's Info (a throwaway value outside the middleware).
func FromContext(ctx context.Context) *Info {
	if i, ok := ctx.Value(ctxKey{}).(*Info); ok {
		return i
	}
	return &Info{}
}

var idCounter atomic.Uint64
var idPrefix = func() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}()

// NewRequestID returns a 16-character uppercase hex ID, unique within the process and random
// across processes (S3 request IDs have this shape).
func NewRequestID() string {
	n := idCounter.Add(1)
	var b [16]byte
	copy(b[:8], idPrefix)
	const digits = "0123456789abcdef"
	for i := 15; i >= 8; i-- {
		b[i] = digits[n&0xf]
		n >>= 4
	}
	for i := range b {
		if b[i] >= 'a' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b[:])
}

// Metrics are the request metrics shared by all listeners.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight *prometheus.GaugeVec
}

// NewMetrics registers request metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hourglass_requests_total", Help: "Requests by surface, operation and HTTP status.",
		}, []string{"surface", "op", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hourglass_request_duration_seconds", Help: "Request latency by surface and operation.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"surface", "op"}),
		inflight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hourglass_requests_in_flight", Help: "Requests being served.",
		}, []string{"surface"}),
	}
	reg.MustRegister(m.requests, m.duration, m.inflight)
	return m
}

// Options configure Wrap.
type Options struct {
	Surface string
	Logger  *slog.Logger
	Metrics *Metrics
	Now     func() time.Time
	// OnPanic writes the protocol's own 500 error body.
	OnPanic func(w http.ResponseWriter, r *http.Request)
}

// Wrap adds request IDs, recovery, the access log and metrics around h.
func Wrap(h http.Handler, o Options) http.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	var inflight prometheus.Gauge
	if o.Metrics != nil {
		inflight = o.Metrics.inflight.WithLabelValues(o.Surface)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := o.Now()
		info := &Info{ID: NewRequestID(), Surface: o.Surface}
		r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, info))
		rw := &recorder{ResponseWriter: w}
		rw.Header().Set("x-amz-request-id", info.ID)
		rw.Header().Set("x-amz-id-2", info.ID)
		if inflight != nil {
			inflight.Inc()
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				o.Logger.Error("panic serving request", "request_id", info.ID, "panic", p, "stack", string(debug.Stack()))
				if !rw.wrote && o.OnPanic != nil {
					o.OnPanic(rw, r)
				} else if !rw.wrote {
					http.Error(rw, "internal error", http.StatusInternalServerError)
				}
				rw.status = http.StatusInternalServerError
			}
			if inflight != nil {
				inflight.Dec()
			}
			status := rw.status
			if status == 0 {
				status = http.StatusOK
			}
			d := o.Now().Sub(start)
			op := info.Op
			if op == "" {
				op = "unknown"
			}
			if o.Metrics != nil {
				o.Metrics.requests.WithLabelValues(o.Surface, op, strconv.Itoa(status)).Inc()
				o.Metrics.duration.WithLabelValues(o.Surface, op).Observe(d.Seconds())
			}
			if o.Logger != nil && o.Logger.Enabled(r.Context(), slog.LevelInfo) {
				attrs := []slog.Attr{
					slog.String("request_id", info.ID), slog.String("surface", o.Surface), slog.String("op", op),
					slog.String("method", r.Method), slog.Int("status", status), slog.Int64("bytes", rw.bytes),
					slog.Duration("duration", d), slog.String("remote", r.RemoteAddr),
				}
				if info.Principal != "" {
					attrs = append(attrs, slog.String("principal", info.Principal))
				}
				if info.Session != "" {
					attrs = append(attrs, slog.String("session_id", info.Session))
				}
				if info.Bucket != "" {
					attrs = append(attrs, slog.String("bucket", info.Bucket))
				}
				if info.Key != "" {
					attrs = append(attrs, slog.String("key", info.Key))
				}
				if info.Reason != "" {
					attrs = append(attrs, slog.String("reason", info.Reason))
				}
				o.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
			}
		}()
		h.ServeHTTP(rw, r)
	})
}

type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// ReadFrom lets io.Copy from a file use sendfile through the underlying writer.
func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	var n int64
	var err error
	if rf, ok := r.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(struct{ io.Writer }{r.ResponseWriter}, src)
	}
	r.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (flush, deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush forwards to the underlying writer when it can flush.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
