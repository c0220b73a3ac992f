package blob

import (
	"encoding/base64"
	"errors"
	"math/rand/v2"
	"testing"
)

func digest(a ChecksumAlgorithm, b []byte) string {
	h := a.New()
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func TestCRC64NVMECheckValue(t *testing.T) {
	h := CRC64NVME.New()
	h.Write([]byte("123456789"))
	if got, want := base64.StdEncoding.EncodeToString(h.Sum(nil)), base64.StdEncoding.EncodeToString([]byte{0xae, 0x8b, 0x14, 0x86, 0x0a, 0x79, 0x98, 0x88}); got != want {
		t.Fatalf("CRC64NVME(123456789) = %s, want %s", got, want)
	}
}

func TestCombineCRCMatchesDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, a := range []ChecksumAlgorithm{CRC32, CRC32C, CRC64NVME} {
		for trial := 0; trial < 20; trial++ {
			var all []byte
			var parts []PartChecksum
			for n := 1 + r.IntN(4); n > 0; n-- {
				p := make([]byte, r.IntN(3000))
				for i := range p {
					p[i] = byte(r.Uint32())
				}
				all = append(all, p...)
				parts = append(parts, PartChecksum{Value: digest(a, p), Size: int64(len(p))})
			}
			got, err := CombineCRC(a, parts)
			if err != nil {
				t.Fatal(err)
			}
			if want := digest(a, all); got != want {
				t.Fatalf("%s trial %d: combined %s, direct %s", a, trial, got, want)
			}
		}
	}
	if _, err := CombineCRC(SHA256, nil); !errors.Is(err, ErrInvalidChecksum) {
		t.Fatalf("CombineCRC(SHA256) = %v, want ErrInvalidChecksum", err)
	}
}

func TestCompositeChecksum(t *testing.T) {
	p1, p2 := []byte("hello "), []byte("world")
	got, err := CompositeChecksum(SHA256, []string{digest(SHA256, p1), digest(SHA256, p2)})
	if err != nil {
		t.Fatal(err)
	}
	h := SHA256.New()
	for _, p := range [][]byte{p1, p2} {
		s := SHA256.New()
		s.Write(p)
		h.Write(s.Sum(nil))
	}
	if want := base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-2"; got != want {
		t.Fatalf("composite = %s, want %s", got, want)
	}
	if _, err := CompositeChecksum(CRC32, []string{"not base64!"}); !errors.Is(err, ErrInvalidChecksum) {
		t.Fatalf("bad value: %v, want ErrInvalidChecksum", err)
	}
}

func TestParseChecksumAlgorithm(t *testing.T) {
	if a, err := ParseChecksumAlgorithm("crc32c"); err != nil || a != CRC32C {
		t.Fatalf("crc32c → %q, %v", a, err)
	}
	if _, err := ParseChecksumAlgorithm("md5"); !errors.Is(err, ErrInvalidChecksum) {
		t.Fatalf("md5 → %v, want ErrInvalidChecksum", err)
	}
}
