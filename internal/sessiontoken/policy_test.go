package sessiontoken

import (
	"bytes"
	"compress/flate"
	"errors"
	"math/rand/v2"
	"testing"
)

func TestPolicyCompression(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 2, 100, 1024, MaxPolicyChars} {
		for _, incompressible := range []bool{false, true} {
			doc := randomPolicy(rnd, n, incompressible)
			c := CompressPolicy(doc)
			back, err := DecompressPolicy(c, MaxPolicyBytes)
			if err != nil || !bytes.Equal(back, doc) {
				t.Fatalf("n=%d: round trip failed: %v", n, err)
			}
			if _, err := DecompressPolicy(c, len(doc)-1); len(doc) > 0 && !errors.Is(err, ErrPolicyTooLarge) {
				t.Fatalf("n=%d: limit one below the size: %v", n, err)
			}
			if back, err := DecompressPolicy(c, len(doc)); err != nil || !bytes.Equal(back, doc) {
				t.Fatalf("n=%d: limit equal to the size: %v", n, err)
			}
		}
	}
	if back, err := DecompressPolicy(CompressPolicy(nil), 0); err != nil || len(back) != 0 {
		t.Fatalf("empty: %q, %v", back, err)
	}
}

// TestDecompressBomb: a small input that inflates to megabytes stops at the
// limit.
func TestDecompressBomb(t *testing.T) {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 16 {
		w.Write(zeros)
	}
	w.Close()
	if b.Len() > 20000 {
		t.Fatalf("test bug: bomb is %d bytes", b.Len())
	}
	if _, err := DecompressPolicy(b.Bytes(), MaxPolicyBytes); !errors.Is(err, ErrPolicyTooLarge) {
		t.Fatalf("bomb: %v, want ErrPolicyTooLarge", err)
	}
}

func TestDecompressCorrupt(t *testing.T) {
	good := CompressPolicy([]byte(`{"Version":"2012-10-17","Statement":[]}`))
	cases := map[string][]byte{
		"empty":         nil,
		"garbage":       []byte("not deflate at all"),
		"truncated":     good[:len(good)/2],
		"trailing byte": append(bytes.Clone(good), 0),
		"reserved type": {0x07},
	}
	for name, in := range cases {
		if _, err := DecompressPolicy(in, MaxPolicyBytes); !errors.Is(err, ErrBadPolicy) {
			t.Errorf("%s: %v, want ErrBadPolicy", name, err)
		}
	}
}
