package blob

import "fmt"

// Range selects bytes of an object, as an HTTP Range header does, in a form
// that needs no knowledge of the object's size:
//
//	bytes=100-199  → Range{Start: 100, End: 199}
//	bytes=100-     → Range{Start: 100, End: -1}
//	bytes=-500     → Range{Start: -500, End: -1} (the last 500 bytes)
//
// The backend resolves it against the object it opens, so a Range and the
// object version it applies to can never disagree.
type Range struct {
	// Start is the first byte (≥ 0), or minus the length of a suffix.
	Start int64
	// End is the last byte, inclusive; negative means "to the end".
	End int64
}

// Resolve returns the absolute inclusive byte positions the range selects in an
// object of the given size, following RFC 9110 §14.1.2 as S3 does: an End past
// the object is clamped, a suffix longer than the object selects all of it, and
// a range that selects no byte (Start ≥ size, an empty suffix, an empty object)
// is ErrInvalidRange. Start > End is also ErrInvalidRange; an HTTP layer that
// wants to ignore such syntactically invalid headers must do so before.
func (r Range) Resolve(size int64) (start, end int64, err error) {
	switch {
	case r.Start < 0: // suffix
		if r.End >= 0 {
			return 0, 0, fmt.Errorf("%w: suffix range with an end", ErrInvalidRange)
		}
		n := -r.Start
		if size == 0 {
			return 0, 0, fmt.Errorf("%w: bytes=-%d of an empty object", ErrInvalidRange, n)
		}
		if n > size {
			n = size
		}
		return size - n, size - 1, nil
	case r.End >= 0 && r.End < r.Start:
		return 0, 0, fmt.Errorf("%w: bytes=%d-%d", ErrInvalidRange, r.Start, r.End)
	case r.Start >= size:
		return 0, 0, fmt.Errorf("%w: start %d not below size %d", ErrInvalidRange, r.Start, size)
	}
	end = r.End
	if end < 0 || end >= size {
		end = size - 1
	}
	return r.Start, end, nil
}

// String formats the range as the value of an HTTP Range header.
func (r Range) String() string {
	switch {
	case r.Start < 0:
		return fmt.Sprintf("bytes=%d", r.Start)
	case r.End < 0:
		return fmt.Sprintf("bytes=%d-", r.Start)
	}
	return fmt.Sprintf("bytes=%d-%d", r.Start, r.End)
}
