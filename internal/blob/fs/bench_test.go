package fs

import (
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"sync/atomic"
	"testing"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// Run with: go test -run '^$' -bench . -benchtime 2s ./internal/blob/fs/
// Results and the machine they were measured on: README.md.

func benchStore(b *testing.B, opts Options) *Store {
	b.Helper()
	s := openTest(b, b.TempDir(), opts)
	if err := s.CreateBucket(context.Background(), "bench"); err != nil {
		b.Fatal(err)
	}
	return s
}

var storageVariants = []struct {
	name string
	opts Options
}{
	{"inline", Options{}},
	{"file", Options{InlineSize: -1}},
}

// BenchmarkPut4K measures durable 4 KiB PUTs of distinct keys, one writer at
// a time and with 32 concurrent writers (where group commit shares fsyncs).
func BenchmarkPut4K(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 4096)
	ctx := context.Background()
	for _, v := range storageVariants {
		b.Run(v.name+"/serial", func(b *testing.B) {
			s := benchStore(b, v.opts)
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Put(ctx, "bench", fmt.Sprintf("k%09d", i), bytes.NewReader(body), blob.PutOptions{Size: int64(len(body))}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(v.name+"/parallel32", func(b *testing.B) {
			s := benchStore(b, v.opts)
			var seq atomic.Int64
			b.SetBytes(int64(len(body)))
			b.SetParallelism(16) // 16 × GOMAXPROCS goroutines
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					key := fmt.Sprintf("k%09d", seq.Add(1))
					if _, err := s.Put(ctx, "bench", key, bytes.NewReader(body), blob.PutOptions{Size: int64(len(body))}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkGet4K measures opening and reading a 4 KiB object.
func BenchmarkGet4K(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 4096)
	ctx := context.Background()
	for _, v := range storageVariants {
		b.Run(v.name, func(b *testing.B) {
			s := benchStore(b, v.opts)
			const keys = 1000
			for i := 0; i < keys; i++ {
				if _, err := s.Put(ctx, "bench", fmt.Sprintf("k%04d", i), bytes.NewReader(body), blob.PutOptions{Size: -1}); err != nil {
					b.Fatal(err)
				}
			}
			var seq atomic.Int64
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					obj, err := s.Get(ctx, "bench", fmt.Sprintf("k%04d", seq.Add(1)%keys), blob.GetOptions{})
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, obj.Body)
					obj.Body.Close()
				}
			})
		})
	}
}

// BenchmarkList10000 lists pages of 1,000 keys out of a 10,000-object
// bucket, without and with a delimiter that rolls up 100 keys per prefix.
func BenchmarkList10000(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b, Options{})
	for i := 0; i < 10000; i++ {
		key := fmt.Sprintf("dir%03d/obj%05d", i/100, i)
		if _, err := s.Put(ctx, "bench", key, bytes.NewReader(nil), blob.PutOptions{Size: 0}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("flat", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			start := fmt.Sprintf("dir%03d/", (i*10)%90)
			res, err := s.List(ctx, "bench", blob.ListOptions{StartAfter: start, MaxKeys: 1000})
			if err != nil || len(res.Objects) != 1000 {
				b.Fatalf("%d objects, %v", len(res.Objects), err)
			}
		}
	})
	b.Run("delimiter", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			res, err := s.List(ctx, "bench", blob.ListOptions{Delimiter: "/", MaxKeys: 1000})
			if err != nil || len(res.CommonPrefixes) != 100 {
				b.Fatalf("%d prefixes, %v", len(res.CommonPrefixes), err)
			}
		}
	})
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// BenchmarkPutLarge measures streaming a 64 MiB object durably (MB/s);
// BenchmarkMD5 is the ceiling the ETag imposes on one core.
func BenchmarkPutLarge(b *testing.B) {
	const size = 64 << 20
	ctx := context.Background()
	s := benchStore(b, Options{})
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Put(ctx, "bench", "large", io.LimitReader(zeroReader{}, size), blob.PutOptions{Size: size}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetLarge(b *testing.B) {
	const size = 64 << 20
	ctx := context.Background()
	s := benchStore(b, Options{})
	if _, err := s.Put(ctx, "bench", "large", io.LimitReader(zeroReader{}, size), blob.PutOptions{Size: size}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		obj, err := s.Get(ctx, "bench", "large", blob.GetOptions{})
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, obj.Body)
		obj.Body.Close()
	}
}

func BenchmarkMD5(b *testing.B) {
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	for i := 0; i < b.N; i++ {
		md5.Sum(buf)
	}
}
