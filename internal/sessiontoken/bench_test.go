package sessiontoken

import (
	"math/rand/v2"
	"testing"
	"time"
)

// policy1K is a realistic session policy of 1,024 characters.
func policy1K(b *testing.B) []byte {
	doc := randomPolicy(rand.New(rand.NewPCG(1, 1)), 1024, false)
	if len(doc) != 1024 {
		b.Fatalf("policy of %d bytes", len(doc))
	}
	return doc
}

// benchClaims: maximal-ish claims with the 1 KB policy inline, compressed
// beforehand (compression is measured by BenchmarkCompressPolicy).
func benchClaims(b *testing.B, r *Keyring) Claims {
	cl := testClaims(b, detRand(1))
	cl.SessionName = "session-name-of-moderate-length-for-benchmarks"
	comp := CompressPolicy(policy1K(b))
	inline, err := r.FitPolicy(&cl, comp, policySum(comp))
	if err != nil || !inline {
		b.Fatalf("1 KB policy (%d compressed) not inline: %v", len(comp), err)
	}
	return cl
}

func BenchmarkSeal(b *testing.B) {
	for _, alg := range algs {
		b.Run(alg.String(), func(b *testing.B) {
			r, err := NewKeyring([]Key{testKey(b, 1, alg, t0.Add(-time.Hour))}) // crypto/rand nonces, as in production
			if err != nil {
				b.Fatal(err)
			}
			cl := benchClaims(b, r)
			tok, err := r.Seal(&cl)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Seal(&cl); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(tok)), "chars")
		})
	}
}

func BenchmarkOpen(b *testing.B) {
	for _, alg := range algs {
		b.Run(alg.String(), func(b *testing.B) {
			r, err := NewKeyring([]Key{testKey(b, 1, alg, t0.Add(-time.Hour)), testKey(b, 2, alg, t0.Add(time.Hour))})
			if err != nil {
				b.Fatal(err)
			}
			cl := benchClaims(b, r)
			tok, err := r.Seal(&cl)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Open(tok, cl.AccessKeyID); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(tok)), "chars")
		})
	}
}

func BenchmarkCompressPolicy(b *testing.B) {
	doc := policy1K(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		CompressPolicy(doc)
	}
	b.ReportMetric(float64(len(CompressPolicy(doc))), "compressed-bytes")
}

func BenchmarkDecompressPolicy(b *testing.B) {
	doc := policy1K(b)
	comp := CompressPolicy(doc)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecompressPolicy(comp, MaxPolicyBytes); err != nil {
			b.Fatal(err)
		}
	}
}
