package loadgen

import (
	"math"
	"math/bits"
	"time"
)

// subBits is the histogram's precision: each power-of-two range of values is split into
// 2^subBits buckets, so a recorded value is off by at most 1/2^subBits (0.8%).
const (
	subBits  = 7
	subCount = 1 << subBits
	// buckets covers every non-negative int64: values below 2*subCount exactly, then
	// subCount buckets per power of two up to 2^63.
	buckets = (64 - subBits) * subCount
)

// Histogram records durations in fixed log-linear buckets (as HDR histograms do): its memory is
// constant (about 58 KiB) however many values it records, and a percentile it reports is within
// 0.8% of the true one. The zero value is ready to use. A Histogram is not safe for concurrent
// use; give each worker its own and Merge them.
type Histogram struct {
	counts *[buckets]uint64
	n      uint64
	sum    time.Duration
	min    time.Duration
	max    time.Duration
}

func bucketOf(v uint64) int {
	if v < 2*subCount {
		return int(v)
	}
	shift := bits.Len64(v) - (subBits + 1)
	return shift*subCount + int(v>>uint(shift))
}

// bucketHigh is the largest value that falls in bucket i.
func bucketHigh(i int) uint64 {
	if i < 2*subCount {
		return uint64(i)
	}
	shift := i/subCount - 1
	m := uint64(i - shift*subCount)
	return (m+1)<<uint(shift) - 1
}

// Record adds one duration; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	if h.counts == nil {
		h.counts = new([buckets]uint64)
	}
	h.counts[bucketOf(uint64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
	h.sum += d
}

// Merge adds every value recorded by o.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.n == 0 {
		return
	}
	if h.counts == nil {
		h.counts = new([buckets]uint64)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Min, Max and Mean are exact.
func (h *Histogram) Min() time.Duration { return h.min }

// Max is the largest recorded value.
func (h *Histogram) Max() time.Duration { return h.max }

// Mean is the arithmetic mean of the recorded values (0 when empty).
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Quantile returns the value below or at which a fraction q (0 ≤ q ≤ 1) of the recorded values
// lie: the smallest recorded value v such that at least ⌈q·n⌉ values are ≤ v, as the top of its
// bucket, clamped to the exact minimum and maximum. It returns 0 when nothing was recorded.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	if q <= 0 || math.IsNaN(q) {
		return h.min
	}
	if q >= 1 {
		return h.max
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			v := time.Duration(bucketHigh(i))
			return min(max(v, h.min), h.max)
		}
	}
	return h.max
}
