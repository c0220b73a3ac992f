package sigv4

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"net/http"
	"strings"
	"sync"
)

// Checksum algorithms, named as S3 names them (x-amz-sdk-checksum-algorithm,
// x-amz-checksum-algorithm).
const (
	ChecksumCRC32     = "CRC32"
	ChecksumCRC32C    = "CRC32C"
	ChecksumCRC64NVME = "CRC64NVME"
	ChecksumSHA1      = "SHA1"
	ChecksumSHA256    = "SHA256"
)

// SupportedChecksums lists the algorithms this package verifies.
var SupportedChecksums = []string{ChecksumCRC32, ChecksumCRC32C, ChecksumCRC64NVME, ChecksumSHA1, ChecksumSHA256}

// crc64NVMEPoly is the NVMe CRC-64 polynomial 0xAD93D23594C93659 in the
// bit-reversed form hash/crc64 expects (as aws-sdk-go-v2 uses it).
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

var crc64NVMETable = sync.OnceValue(func() *crc64.Table { return crc64.MakeTable(crc64NVMEPoly) })

var crc32cTable = crc32.MakeTable(crc32.Castagnoli)

// checksumAlgo describes one algorithm.
type checksumAlgo struct {
	name   string // "CRC32"
	header string // "x-amz-checksum-crc32"
	size   int    // raw digest size
	new    func() hash.Hash
}

var checksumAlgos = [...]checksumAlgo{
	{ChecksumCRC32, "x-amz-checksum-crc32", 4, func() hash.Hash { return crc32.NewIEEE() }},
	{ChecksumCRC32C, "x-amz-checksum-crc32c", 4, func() hash.Hash { return crc32.New(crc32cTable) }},
	{ChecksumCRC64NVME, "x-amz-checksum-crc64nvme", 8, func() hash.Hash { return crc64.New(crc64NVMETable()) }},
	{ChecksumSHA1, "x-amz-checksum-sha1", 20, sha1.New},
	{ChecksumSHA256, "x-amz-checksum-sha256", 32, sha256.New},
}

// lookupChecksumName finds an algorithm by its S3 name (case-insensitive).
func lookupChecksumName(name string) *checksumAlgo {
	for i := range checksumAlgos {
		if strings.EqualFold(checksumAlgos[i].name, name) {
			return &checksumAlgos[i]
		}
	}
	return nil
}

// lookupChecksumHeader finds an algorithm by its lower-case header name.
func lookupChecksumHeader(name string) *checksumAlgo {
	for i := range checksumAlgos {
		if strings.EqualFold(checksumAlgos[i].header, name) {
			return &checksumAlgos[i]
		}
	}
	return nil
}

func errUnknownChecksum(what string) *Error {
	return newErr(CodeInvalidRequest, "The checksum algorithm \""+clip(what)+
		"\" is not supported; supported algorithms are CRC32, CRC32C, CRC64NVME, SHA1 and SHA256.")
}

// NewChecksum returns a hash for a supported algorithm name (case-insensitive),
// so that callers compute checksums exactly as they are verified here. It
// returns nil for an unsupported name.
func NewChecksum(algorithm string) hash.Hash {
	a := lookupChecksumName(algorithm)
	if a == nil {
		return nil
	}
	return a.new()
}

// checksumState is one checksum being computed over the decoded body.
type checksumState struct {
	algo     *checksumAlgo
	h        hash.Hash
	want     []byte // expected raw digest, nil when none was sent
	trailer  bool   // the expected value arrives in the trailer
	received bool   // the trailer carried it
}

// Checksum is one computed checksum of a body: the algorithm name and the
// base64 value, as S3 stores and returns it.
type Checksum struct {
	Algorithm string
	Value     string
}

// decodeChecksumValue decodes a base64 checksum value of the right size.
func decodeChecksumValue(a *checksumAlgo, v string) ([]byte, bool) {
	v = strings.TrimSpace(v)
	if base64.StdEncoding.EncodedLen(a.size) != len(v) {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) != a.size {
		return nil, false
	}
	return b, true
}

// checksumHeaderNames that start with x-amz-checksum- but carry no value.
func isChecksumMetaHeader(lower string) bool {
	switch lower {
	case "x-amz-checksum-type", "x-amz-checksum-algorithm", "x-amz-checksum-mode":
		return true
	}
	return false
}

// collectChecksums inspects the request's checksum headers: values sent up
// front, the trailer announced in x-amz-trailer and the algorithm named by
// x-amz-sdk-checksum-algorithm. Unknown algorithms are an InvalidRequest.
func collectChecksums(h http.Header, streaming bool) ([]checksumState, *Error) {
	var states []checksumState
	add := func(a *checksumAlgo) *checksumState {
		for i := range states {
			if states[i].algo == a {
				return &states[i]
			}
		}
		states = append(states, checksumState{algo: a})
		return &states[len(states)-1]
	}
	values := 0
	for k, vs := range h {
		if len(k) <= len("X-Amz-Checksum-") || !strings.EqualFold(k[:len("X-Amz-Checksum-")], "X-Amz-Checksum-") {
			continue
		}
		if isChecksumMetaHeader(strings.ToLower(k)) {
			continue
		}
		a := lookupChecksumHeader(k)
		if a == nil {
			return nil, errUnknownChecksum(k[len("X-Amz-Checksum-"):])
		}
		if len(vs) != 1 {
			return nil, newErr(CodeInvalidRequest, "Value for "+a.header+" header is invalid.")
		}
		want, ok := decodeChecksumValue(a, vs[0])
		if !ok {
			return nil, newErr(CodeInvalidRequest, "Value for "+a.header+" header is invalid.")
		}
		values++
		st := add(a)
		st.want = want
	}
	for _, name := range []string{"X-Amz-Sdk-Checksum-Algorithm", "X-Amz-Checksum-Algorithm"} {
		for _, v := range h[name] {
			a := lookupChecksumName(strings.TrimSpace(v))
			if a == nil {
				return nil, errUnknownChecksum(v)
			}
			add(a)
		}
	}
	for _, tv := range h["X-Amz-Trailer"] {
		for name := range strings.SplitSeq(tv, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			if !streaming {
				return nil, newErr(CodeInvalidRequest, "x-amz-trailer requires a STREAMING-*-TRAILER x-amz-content-sha256.")
			}
			lower := strings.ToLower(name)
			if !strings.HasPrefix(lower, "x-amz-checksum-") || isChecksumMetaHeader(lower) {
				return nil, newErr(CodeInvalidRequest, "The trailer \""+clip(name)+"\" is not supported; only x-amz-checksum-* trailers are.")
			}
			a := lookupChecksumHeader(lower)
			if a == nil {
				return nil, errUnknownChecksum(lower[len("x-amz-checksum-"):])
			}
			st := add(a)
			if st.want != nil || st.trailer {
				return nil, newErr(CodeInvalidRequest, "Expecting a single x-amz-checksum- header")
			}
			st.trailer = true
			values++
		}
	}
	if values > 1 {
		return nil, newErr(CodeInvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	}
	return states, nil
}
