package sessiontoken

import (
	"bytes"
	"compress/flate"
	"errors"
	"io"
	"sync"
)

// MaxPolicyChars is the session-policy limit in characters (the Yandex
// limit; DESIGN.md §3).
const MaxPolicyChars = 10240

// MaxPolicyBytes bounds an inflated policy: 10,240 characters of UTF-8 are
// at most 4 bytes each. Pass it to DecompressPolicy unless the caller has a
// tighter bound.
const MaxPolicyBytes = 4 * MaxPolicyChars

var (
	deflaters = sync.Pool{New: func() any {
		w, _ := flate.NewWriter(io.Discard, flate.BestCompression) // level is valid: no error
		return w
	}}
	inflaters = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}
)

// CompressPolicy compresses a policy document with raw DEFLATE (RFC 1951,
// no zlib or gzip header: every byte counts in a 1,024-character token) at
// the best compression level.
func CompressPolicy(doc []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(doc)/3 + 16)
	w := deflaters.Get().(*flate.Writer)
	w.Reset(&out)
	// Writes to a bytes.Buffer cannot fail.
	_, _ = w.Write(doc)
	_ = w.Close()
	w.Reset(io.Discard) // do not keep out alive in the pool
	deflaters.Put(w)
	return out.Bytes()
}

// DecompressPolicy inflates what CompressPolicy produced, reading at most
// maxLen bytes of output: a larger result is ErrPolicyTooLarge, whatever
// the input claims, so a hostile (even if authenticated) token cannot make
// a node allocate more. Trailing bytes after the final block are an error.
func DecompressPolicy(compressed []byte, maxLen int) ([]byte, error) {
	if maxLen < 0 {
		maxLen = 0
	}
	src := bytes.NewReader(compressed)
	r := inflaters.Get().(io.ReadCloser)
	defer inflaters.Put(r)
	if err := r.(flate.Resetter).Reset(src, nil); err != nil {
		return nil, ErrBadPolicy
	}
	out := make([]byte, 0, min(maxLen, 4*len(compressed)+64)+1)
	for {
		if len(out) == cap(out) {
			if len(out) > maxLen {
				return nil, ErrPolicyTooLarge
			}
			out = append(out, 0)[:len(out)] // grow
		}
		n, err := r.Read(out[len(out):min(cap(out), maxLen+1)])
		out = out[:len(out)+n]
		if len(out) > maxLen {
			return nil, ErrPolicyTooLarge
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, ErrBadPolicy
		}
	}
	if src.Len() != 0 {
		return nil, ErrBadPolicy
	}
	return out, nil
}
