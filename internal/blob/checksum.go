package blob

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"sort"
	"strings"
	"sync"
)

// ChecksumAlgorithm names an additional checksum S3 supports
// (x-amz-checksum-<algorithm>).
type ChecksumAlgorithm string

// The supported algorithms (DESIGN.md §10 "Checksums").
const (
	CRC32     ChecksumAlgorithm = "CRC32"
	CRC32C    ChecksumAlgorithm = "CRC32C"
	CRC64NVME ChecksumAlgorithm = "CRC64NVME"
	SHA1      ChecksumAlgorithm = "SHA1"
	SHA256    ChecksumAlgorithm = "SHA256"
)

// ChecksumAlgorithms lists the supported algorithms.
var ChecksumAlgorithms = []ChecksumAlgorithm{CRC32, CRC32C, CRC64NVME, SHA1, SHA256}

// ChecksumType says how an object checksum covers the object.
type ChecksumType string

const (
	// ChecksumFullObject: the checksum of the object's bytes (single PUT, or a
	// multipart upload declared FULL_OBJECT with a CRC algorithm).
	ChecksumFullObject ChecksumType = "FULL_OBJECT"
	// ChecksumComposite: the checksum of the parts' checksums, "<base64>-<N>".
	ChecksumComposite ChecksumType = "COMPOSITE"
)

// Checksums maps an algorithm to its value: the base64 of the big-endian digest,
// or for a composite checksum "<base64>-<parts>".
type Checksums map[ChecksumAlgorithm]string

// ParseChecksumAlgorithm accepts an algorithm name in any case
// ("crc32c", "SHA256"); an unsupported name is ErrInvalidChecksum with the list
// of supported ones.
func ParseChecksumAlgorithm(name string) (ChecksumAlgorithm, error) {
	a := ChecksumAlgorithm(strings.ToUpper(strings.TrimSpace(name)))
	if a.Valid() {
		return a, nil
	}
	return "", fmt.Errorf("%w: unsupported algorithm %q (supported: CRC32, CRC32C, CRC64NVME, SHA1, SHA256)", ErrInvalidChecksum, name)
}

// Valid reports whether a is a supported algorithm.
func (a ChecksumAlgorithm) Valid() bool {
	switch a {
	case CRC32, CRC32C, CRC64NVME, SHA1, SHA256:
		return true
	}
	return false
}

// IsCRC reports whether a is a CRC, the only kind a full-object multipart
// checksum can use (CRCs of parts combine; cryptographic hashes do not).
func (a ChecksumAlgorithm) IsCRC() bool { return a == CRC32 || a == CRC32C || a == CRC64NVME }

// Size is the digest length in bytes (0 for an unknown algorithm).
func (a ChecksumAlgorithm) Size() int {
	switch a {
	case CRC32, CRC32C:
		return 4
	case CRC64NVME:
		return 8
	case SHA1:
		return sha1.Size
	case SHA256:
		return sha256.Size
	}
	return 0
}

// HeaderName is the HTTP header carrying this checksum ("x-amz-checksum-crc32c").
func (a ChecksumAlgorithm) HeaderName() string { return "x-amz-checksum-" + strings.ToLower(string(a)) }

var (
	crc32cTable    = crc32.MakeTable(crc32.Castagnoli)
	crc64nvmeOnce  sync.Once
	crc64nvmeTable *crc64.Table
)

// crc64NVMEPoly is the reflected CRC-64/NVME polynomial (check value of
// "123456789": 0xae8b14860a799888).
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

// New returns a hash computing the algorithm; its Sum is the big-endian digest
// whose base64 is the checksum value. It panics for an invalid algorithm
// (check Valid first).
func (a ChecksumAlgorithm) New() hash.Hash {
	switch a {
	case CRC32:
		return crc32.NewIEEE()
	case CRC32C:
		return crc32.New(crc32cTable)
	case CRC64NVME:
		crc64nvmeOnce.Do(func() { crc64nvmeTable = crc64.MakeTable(crc64NVMEPoly) })
		return crc64.New(crc64nvmeTable)
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	}
	panic("blob: New of invalid checksum algorithm " + string(a))
}

// Validate checks that every algorithm is supported and every value is the
// base64 of a digest of the right length.
func (c Checksums) Validate() error {
	for a, v := range c {
		if _, err := decodeChecksum(a, v); err != nil {
			return err
		}
	}
	return nil
}

// Equal reports whether both hold the same algorithms and values.
func (c Checksums) Equal(o Checksums) bool {
	if len(c) != len(o) {
		return false
	}
	for a, v := range c {
		if w, ok := o[a]; !ok || w != v {
			return false
		}
	}
	return true
}

// Algorithms returns the algorithms present, sorted.
func (c Checksums) Algorithms() []ChecksumAlgorithm {
	out := make([]ChecksumAlgorithm, 0, len(c))
	for a := range c {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Clone returns a copy (nil for an empty map).
func (c Checksums) Clone() Checksums {
	if len(c) == 0 {
		return nil
	}
	out := make(Checksums, len(c))
	for a, v := range c {
		out[a] = v
	}
	return out
}

func decodeChecksum(a ChecksumAlgorithm, v string) ([]byte, error) {
	if !a.Valid() {
		return nil, fmt.Errorf("%w: unsupported algorithm %q", ErrInvalidChecksum, a)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(v)
	if err != nil || len(b) != a.Size() {
		return nil, fmt.Errorf("%w: %s value %q is not the base64 of %d bytes", ErrInvalidChecksum, a, v, a.Size())
	}
	return b, nil
}

// CompositeChecksum returns the S3 composite checksum of a multipart object:
// base64(alg(digest(part1)‖…‖digest(partN))) + "-N", from the parts' base64
// values in part order.
func CompositeChecksum(a ChecksumAlgorithm, parts []string) (string, error) {
	if !a.Valid() {
		return "", fmt.Errorf("%w: unsupported algorithm %q", ErrInvalidChecksum, a)
	}
	h := a.New()
	for i, v := range parts {
		b, err := decodeChecksum(a, v)
		if err != nil {
			return "", fmt.Errorf("part %d: %w", i+1, err)
		}
		h.Write(b)
	}
	return fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(h.Sum(nil)), len(parts)), nil
}

// PartChecksum is one part's checksum value and length, for CombineCRC.
type PartChecksum struct {
	Value string // base64
	Size  int64
}

// CombineCRC returns the full-object CRC of the concatenation of parts from the
// parts' CRCs and lengths, without reading the bytes (the zlib crc32_combine
// method, which holds for every reflected CRC with all-ones init and xorout:
// CRC32, CRC32C and CRC64NVME).
func CombineCRC(a ChecksumAlgorithm, parts []PartChecksum) (string, error) {
	var poly uint64
	width := 32
	switch a {
	case CRC32:
		poly = crc32.IEEE
	case CRC32C:
		poly = crc32.Castagnoli
	case CRC64NVME:
		poly, width = crc64NVMEPoly, 64
	default:
		return "", fmt.Errorf("%w: %s cannot be combined into a full-object checksum", ErrInvalidChecksum, a)
	}
	g := newGF2(poly, width)
	var crc uint64
	for i, p := range parts {
		b, err := decodeChecksum(a, p.Value)
		if err != nil {
			return "", fmt.Errorf("part %d: %w", i+1, err)
		}
		var c uint64
		if width == 32 {
			c = uint64(binary.BigEndian.Uint32(b))
		} else {
			c = binary.BigEndian.Uint64(b)
		}
		if i == 0 {
			crc = c
			continue
		}
		crc = g.mul(g.xPow8n(uint64(p.Size)), crc) ^ c
	}
	out := make([]byte, width/8)
	if width == 32 {
		binary.BigEndian.PutUint32(out, uint32(crc))
	} else {
		binary.BigEndian.PutUint64(out, crc)
	}
	return base64.StdEncoding.EncodeToString(out), nil
}

// gf2 is arithmetic modulo a reflected CRC polynomial (bit width-1 is x^0).
type gf2 struct {
	poly, top uint64
	x2n       [64]uint64 // x^(2^k) mod poly
}

func newGF2(poly uint64, width int) *gf2 {
	g := &gf2{poly: poly, top: 1 << (width - 1)}
	p := g.top >> 1 // x^1
	for k := range g.x2n {
		g.x2n[k] = p
		p = g.mul(p, p)
	}
	return g
}

// mul returns a(x)·b(x) mod poly.
func (g *gf2) mul(a, b uint64) uint64 {
	var p uint64
	for m := g.top; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		if b&1 != 0 {
			b = b>>1 ^ g.poly
		} else {
			b >>= 1
		}
	}
	return p
}

// xPow8n returns x^(8n) mod poly: the operator that appends n zero bytes.
func (g *gf2) xPow8n(n uint64) uint64 {
	p := g.top // x^0
	k := 3     // 8n = n·2^3
	for ; n != 0; n >>= 1 {
		if n&1 != 0 {
			p = g.mul(g.x2n[k&63], p)
		}
		k++
	}
	return p
}
