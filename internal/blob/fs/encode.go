package fs

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

func encodeDigest(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// encodeChecksums stores checksums as "ALG:value" lines, sorted.
func encodeChecksums(c blob.Checksums) string {
	if len(c) == 0 {
		return ""
	}
	var sb strings.Builder
	for i, a := range c.Algorithms() {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(string(a))
		sb.WriteByte(':')
		sb.WriteString(c[a])
	}
	return sb.String()
}

func decodeChecksums(s string) blob.Checksums {
	if s == "" {
		return nil
	}
	c := make(blob.Checksums, 2)
	for _, line := range strings.Split(s, "\n") {
		if a, v, ok := strings.Cut(line, ":"); ok {
			c[blob.ChecksumAlgorithm(a)] = v
		}
	}
	return c
}

// metaJSON is the stored form of blob.Metadata.
type metaJSON struct {
	ContentType        string            `json:"ct,omitempty"`
	ContentEncoding    string            `json:"ce,omitempty"`
	ContentDisposition string            `json:"cd,omitempty"`
	ContentLanguage    string            `json:"cl,omitempty"`
	CacheControl       string            `json:"cc,omitempty"`
	Expires            string            `json:"ex,omitempty"`
	User               map[string]string `json:"u,omitempty"`
}

func encodeMeta(m blob.Metadata) string {
	j := metaJSON(m)
	if j.ContentType == "" && j.ContentEncoding == "" && j.ContentDisposition == "" && j.ContentLanguage == "" &&
		j.CacheControl == "" && j.Expires == "" && len(j.User) == 0 {
		return ""
	}
	b, _ := json.Marshal(j) // strings and a map of strings cannot fail
	return string(b)
}

func decodeMeta(s string) (blob.Metadata, error) {
	if s == "" {
		return blob.Metadata{}, nil
	}
	var j metaJSON
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		return blob.Metadata{}, fmt.Errorf("fs: index: corrupt metadata: %w", err)
	}
	return blob.Metadata(j), nil
}

// segment is one file blob of a multipart object.
type segment struct {
	id   blobID
	size int64
}

func encodeManifest(segs []segment) []byte {
	out := make([]byte, 0, len(segs)*(16+5))
	for _, sg := range segs {
		out = append(out, sg.id[:]...)
		out = binary.AppendUvarint(out, uint64(sg.size))
	}
	return out
}

var errCorruptManifest = errors.New("fs: index: corrupt manifest")

func decodeManifest(b []byte) ([]segment, error) {
	var segs []segment
	for len(b) > 0 {
		if len(b) < 17 {
			return nil, errCorruptManifest
		}
		var sg segment
		copy(sg.id[:], b[:16])
		n, k := binary.Uvarint(b[16:])
		if k <= 0 {
			return nil, errCorruptManifest
		}
		sg.size = int64(n)
		segs = append(segs, sg)
		b = b[16+k:]
	}
	return segs, nil
}
