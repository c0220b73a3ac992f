package loadgen

import (
	"strings"
	"testing"
)

func res(target string, round int, mode Mode, creds string, size int64, opsPerSec, mbPerSec, p99 float64) Result {
	r := Result{Target: target, Round: round, Mode: mode, Credentials: creds, Concurrency: 8, ObjectSize: size}
	r.Ops, r.OpsPerSec, r.MBPerSec, r.Latency.P99 = 1, opsPerSec, mbPerSec, p99
	return r
}

func TestReport(t *testing.T) {
	var rs []Result
	for round, f := range []float64{1, 3, 2} {
		rs = append(rs,
			res("hourglass", round+1, ModeGet, "static", 4096, 1000*f, 4*f, 2*f),
			res("null", round+1, ModeGet, "static", 4096, 4000*f, 16*f, 0.5*f),
			res("hourglass", round+1, ModeGet, "temporary", 4096, 900*f, 3.6*f, 2.2*f),
			res("hourglass", round+1, ModePut, "static", 64<<20, 2, 134, 900),
			res("null", round+1, ModePut, "static", 64<<20, 4, 268, 450),
			res("other", round+1, ModePut, "static", 64<<20, 9, 999, 1),
		)
	}
	failed := res("hourglass", 1, ModeAssume, "static", 0, 0, 0, 0)
	failed.Ops, failed.Errors, failed.ErrorCodes = 0, 12345, map[string]int64{"501 NotImplemented": 12000, "timeout": 345}
	rs = append(rs, failed, res("null", 1, ModeAssume, "static", 0, 5000, 0, 1.5))

	var b strings.Builder
	if err := Report(&b, rs, ReportOptions{RSS: map[string]int64{"hourglass": 60 * 1024, "null": 20 * 1024}}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| workload | Hourglass | null server | ratio | p99 Hourglass | p99 null server | p99 ratio | errors Hourglass |",
		"| GET 4KiB, static key, c=8 | 2,000 ops/s (1,000–3,000) | 8,000 ops/s (4,000–12,000) | 0.25 | 4.00ms | 1.00ms | 4.00 | 0 |",
		"| GET 4KiB, temporary key, c=8 | 1,800 ops/s (900–2,700) | 8,000 ops/s (4,000–12,000) † | 0.23 | 4.40ms | 1.00ms | 4.40 | 0 |",
		"| PUT 64MiB, static key, c=8 | 134 MB/s (134–134) | 268 MB/s (268–268) | 0.50 | 900ms | 450ms | 2.00 | 0 |",
		"| AssumeRole, static key, c=8 | 0 ops/s | 5,000 ops/s | 0.00 | — | 1.50ms | — | 501 NotImplemented ×12,000, timeout ×345 |",
		"| peak RSS (VmHWM) of the server | 60.0 MiB | 20.0 MiB | 3.00 |",
		"Rounds: 3; figures are medians",
		"| GET 4KiB, c=8 | 1,800 ops/s (900–2,700) | 2,000 ops/s (1,000–3,000) | 0.90 | 4.40ms | 4.00ms |",
		"† the null server does not authenticate",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks\n%s\n---\n%s", want, out)
		}
	}
	if strings.Contains(out, "999") {
		t.Errorf("a third target's results leaked into the report:\n%s", out)
	}
}

// TestReportPairsRounds: a ratio is the median of the per-round ratios (A and B ran back to
// back), not the ratio of the medians, so a slow round on a shared machine cancels out.
func TestReportPairsRounds(t *testing.T) {
	var rs []Result
	for i, ab := range [][2]float64{{100, 400}, {300, 400}, {200, 100}} {
		rs = append(rs, res("hourglass", i+1, ModeHead, "static", 0, ab[0], 0, 1), res("null", i+1, ModeHead, "static", 0, ab[1], 0, 1))
	}
	var b strings.Builder
	if err := Report(&b, rs, ReportOptions{}); err != nil {
		t.Fatal(err)
	}
	// Per round: 0.25, 0.75, 2.00 → 0.75; the ratio of the medians would be 200/400 = 0.50.
	if want := "| HEAD 0B, static key, c=8 | 200 ops/s (100–300) | 400 ops/s (100–400) | 0.75 | 1.00ms | 1.00ms | 1.00 | 0 |"; !strings.Contains(b.String(), want) {
		t.Errorf("report lacks\n%s\n---\n%s", want, b.String())
	}
}
