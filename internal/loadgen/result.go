package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Result is what one run measured. Ops counts successful requests only; failures are in
// Errors and ErrorCodes. Rates are over Seconds, the measured time (warm-up excluded).
type Result struct {
	Scenario string `json:"scenario,omitempty"`
	Target   string `json:"target,omitempty"`
	Round    int    `json:"round,omitempty"`

	Mode        Mode    `json:"mode"`
	Endpoint    string  `json:"endpoint"`
	Credentials string  `json:"credentials"` // static, temporary or anonymous
	Concurrency int     `json:"concurrency"`
	ObjectSize  int64   `json:"object_size"`
	Objects     int     `json:"objects,omitempty"`
	Seconds     float64 `json:"seconds"`
	Stats
	// SetupErrors counts failures before the measured load ("AssumeRole: 403 AccessDenied").
	SetupErrors       map[string]int64  `json:"setup_errors,omitempty"`
	SetupErrorSamples map[string]string `json:"setup_error_samples,omitempty"`
	// ByOp splits a mixed run by operation.
	ByOp map[string]Stats `json:"by_op,omitempty"`
}

// Stats are the figures of a set of requests.
type Stats struct {
	Ops       int64   `json:"ops"`
	OpsPerSec float64 `json:"ops_per_sec"`
	Bytes     int64   `json:"bytes"`
	MBPerSec  float64 `json:"mb_per_sec"` // 10^6 bytes per second of payload
	Latency   Latency `json:"latency"`
	Errors    int64   `json:"errors"`
	// ErrorCodes counts failures by ErrorCode; ErrorSamples keeps the first message of each.
	ErrorCodes   map[string]int64  `json:"error_codes,omitempty"`
	ErrorSamples map[string]string `json:"error_samples,omitempty"`
}

// Latency of successful requests, in milliseconds.
type Latency struct {
	Mean float64 `json:"mean_ms"`
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p999_ms"`
	Max  float64 `json:"max_ms"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// LatencyOf summarises a histogram.
func LatencyOf(h *Histogram) Latency {
	return Latency{
		Mean: ms(h.Mean()), P50: ms(h.Quantile(0.50)), P90: ms(h.Quantile(0.90)),
		P99: ms(h.Quantile(0.99)), P999: ms(h.Quantile(0.999)), Max: ms(h.Max()),
	}
}

func (s *opStats) stats(elapsed time.Duration) Stats {
	st := Stats{Ops: s.ops, Bytes: s.bytes, Latency: LatencyOf(&s.hist), ErrorCodes: s.errs, ErrorSamples: s.samples}
	for _, n := range s.errs {
		st.Errors += n
	}
	if sec := elapsed.Seconds(); sec > 0 {
		st.OpsPerSec = float64(s.ops) / sec
		st.MBPerSec = float64(s.bytes) / sec / 1e6
	}
	return st
}

func (r *Result) finish(elapsed time.Duration, total *opStats) {
	r.Seconds = elapsed.Seconds()
	if total == nil {
		total = &opStats{}
	}
	r.Stats = total.stats(elapsed)
}

func (r *Result) setupError(step string, err error) {
	if r.SetupErrors == nil {
		r.SetupErrors = map[string]int64{}
	}
	code := step + ": " + ErrorCode(err)
	r.SetupErrors[code]++
	if r.SetupErrorSamples == nil {
		r.SetupErrorSamples = map[string]string{}
	}
	r.SetupErrorSamples[code] = sample(err)
}

// Describe names the run's workload for people: "GET 4KiB, temporary key, c=8".
func (r *Result) Describe() string {
	var b strings.Builder
	switch r.Mode {
	case ModeAssume:
		b.WriteString("AssumeRole")
	case ModeIdentity:
		b.WriteString("GetCallerIdentity")
	case ModeList:
		b.WriteString("ListObjectsV2")
	case ModeMixed:
		fmt.Fprintf(&b, "mixed %s", FormatSize(r.ObjectSize))
	default:
		fmt.Fprintf(&b, "%s %s", strings.ToUpper(string(r.Mode)), FormatSize(r.ObjectSize))
	}
	switch r.Credentials {
	case "static", "temporary":
		fmt.Fprintf(&b, ", %s key", r.Credentials)
	default:
		b.WriteString(", anonymous")
	}
	fmt.Fprintf(&b, ", c=%d", r.Concurrency)
	return b.String()
}

// WriteJSON writes the result as one indented JSON object.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the result for people.
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "workload  %s\n", r.Describe())
	fmt.Fprintf(&b, "endpoint  %s\n", r.Endpoint)
	writeStats(&b, "", r.Stats, r.Seconds)
	for _, name := range sortedKeys(r.ByOp) {
		fmt.Fprintf(&b, "%s:\n", name)
		writeStats(&b, "  ", r.ByOp[name], r.Seconds)
	}
	for _, code := range sortedKeys(r.SetupErrors) {
		fmt.Fprintf(&b, "set-up    failed: %s ×%d: %s\n", code, r.SetupErrors[code], r.SetupErrorSamples[code])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeStats(b *strings.Builder, prefix string, s Stats, seconds float64) {
	fmt.Fprintf(b, "%sops       %d in %.2fs = %.1f ops/s", prefix, s.Ops, seconds, s.OpsPerSec)
	if s.Bytes > 0 {
		fmt.Fprintf(b, ", %.1f MB/s", s.MBPerSec)
	}
	b.WriteByte('\n')
	if s.Ops > 0 {
		l := s.Latency
		fmt.Fprintf(b, "%slatency   p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  mean %s\n", prefix,
			fmtMs(l.P50), fmtMs(l.P90), fmtMs(l.P99), fmtMs(l.P999), fmtMs(l.Max), fmtMs(l.Mean))
	}
	if s.Errors == 0 {
		fmt.Fprintf(b, "%serrors    0\n", prefix)
		return
	}
	fmt.Fprintf(b, "%serrors    %d\n", prefix, s.Errors)
	for _, code := range sortedKeys(s.ErrorCodes) {
		fmt.Fprintf(b, "%s  %-24s %d  (first: %s)\n", prefix, code, s.ErrorCodes[code], s.ErrorSamples[code])
	}
}

// fmtMs prints milliseconds with three significant digits.
func fmtMs(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0fms", v)
	case v >= 10:
		return fmt.Sprintf("%.1fms", v)
	case v >= 1:
		return fmt.Sprintf("%.2fms", v)
	}
	return fmt.Sprintf("%.0fµs", v*1000)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
