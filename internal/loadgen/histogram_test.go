package loadgen

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramKnownInputs(t *testing.T) {
	var h Histogram
	for i := 1; i <= 10000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{
		{0.5, 5000 * time.Microsecond},
		{0.9, 9000 * time.Microsecond},
		{0.99, 9900 * time.Microsecond},
		{0.999, 9990 * time.Microsecond},
		{0, time.Microsecond},
		{1, 10000 * time.Microsecond},
	} {
		got := h.Quantile(tc.q)
		if rel := math.Abs(float64(got-tc.want)) / float64(tc.want); rel > 1.0/subCount {
			t.Errorf("Quantile(%v) = %v, want %v within 0.8%%", tc.q, got, tc.want)
		}
	}
	if h.Count() != 10000 || h.Min() != time.Microsecond || h.Max() != 10*time.Millisecond {
		t.Errorf("count %d min %v max %v", h.Count(), h.Min(), h.Max())
	}
	if got, want := h.Mean(), 5000500*time.Nanosecond; got != want {
		t.Errorf("Mean = %v, want %v", got, want)
	}
}

func TestHistogramSmallValuesExact(t *testing.T) {
	var h Histogram
	for _, v := range []time.Duration{3, 1, 2, 255, 100} {
		h.Record(v)
	}
	// Values below 256 ns have a bucket each: quantiles are exact.
	for q, want := range map[float64]time.Duration{0.2: 1, 0.4: 2, 0.6: 3, 0.8: 100, 1: 255} {
		if got := h.Quantile(q); got != want {
			t.Errorf("Quantile(%v) = %v, want %v", q, got, want)
		}
	}
}

func TestHistogramEmptyAndSingle(t *testing.T) {
	var h Histogram
	if h.Quantile(0.99) != 0 || h.Mean() != 0 || h.Count() != 0 {
		t.Fatal("empty histogram reports values")
	}
	h.Record(-5) // counted as zero, never a panic
	h.Record(42 * time.Millisecond)
	if got := h.Quantile(0.99); got != 42*time.Millisecond {
		t.Errorf("p99 of {0, 42ms} = %v, want 42ms (clamped to the max)", got)
	}
	if got := h.Quantile(0.5); got != 0 {
		t.Errorf("p50 of {0, 42ms} = %v, want 0", got)
	}
	var big Histogram
	big.Record(time.Duration(math.MaxInt64))
	if big.Quantile(0.5) != time.Duration(math.MaxInt64) {
		t.Errorf("max int64 not recorded: %v", big.Quantile(0.5))
	}
}

// TestHistogramMatchesSortedSamples compares every percentile with the exact one of a sorted
// array over random, heavy-tailed inputs.
func TestHistogramMatchesSortedSamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 20; trial++ {
		var h, a, b Histogram
		n := 1 + rng.IntN(5000)
		vals := make([]time.Duration, n)
		for i := range vals {
			vals[i] = time.Duration(math.Exp(rng.Float64()*25)) + time.Duration(rng.IntN(300))
			h.Record(vals[i])
			if i%2 == 0 {
				a.Record(vals[i])
			} else {
				b.Record(vals[i])
			}
		}
		a.Merge(&b)
		slices.Sort(vals)
		for _, q := range []float64{0.001, 0.1, 0.5, 0.9, 0.99, 0.999} {
			rank := int(math.Ceil(q*float64(n))) - 1
			want := vals[max(rank, 0)]
			for _, hist := range []*Histogram{&h, &a} {
				got := hist.Quantile(q)
				if got < want || float64(got-want) > float64(want)/subCount+1 {
					t.Fatalf("trial %d n %d: Quantile(%v) = %v, exact %v", trial, n, q, got, want)
				}
			}
		}
		if a.Count() != h.Count() || a.Min() != h.Min() || a.Max() != h.Max() || a.Mean() != h.Mean() {
			t.Fatalf("merged histogram differs: %d/%d %v/%v", a.Count(), h.Count(), a.Max(), h.Max())
		}
	}
}

func TestBucketsContiguous(t *testing.T) {
	prev := -1
	for _, v := range []uint64{0, 1, 255, 256, 257, 511, 512, 1 << 20, 1<<20 + 1, 1<<63 - 1} {
		i := bucketOf(v)
		if i < prev {
			t.Fatalf("bucketOf(%d) = %d decreasing", v, i)
		}
		if i >= buckets || bucketHigh(i) < v {
			t.Fatalf("bucketOf(%d) = %d, top %d", v, i, bucketHigh(i))
		}
		if i > 0 && bucketHigh(i-1) >= v {
			t.Fatalf("value %d also fits bucket %d", v, i-1)
		}
		prev = i
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	d := time.Duration(1)
	for b.Loop() {
		h.Record(d)
		d = d*7 + 13&(1<<40-1)
	}
}
