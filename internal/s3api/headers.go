package s3api

import (
	"crypto/md5"
	"encoding/base64"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hourglass-sts/hourglass/internal/blob"
	"github.com/hourglass-sts/hourglass/internal/s3err"
)

// metadataFromHeaders reads the content headers and x-amz-meta-* user metadata of a write.
// User metadata names are stored in lower case; their names and values together may not
// exceed MaxUserMetadata bytes (MetadataTooLarge).
func metadataFromHeaders(h http.Header) (blob.Metadata, error) {
	m := blob.Metadata{
		ContentType:        h.Get("Content-Type"),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		CacheControl:       h.Get("Cache-Control"),
		Expires:            h.Get("Expires"),
		ContentEncoding:    contentEncoding(h),
	}
	size := 0
	for name, vs := range h {
		if len(name) <= len("X-Amz-Meta-") || !strings.EqualFold(name[:len("X-Amz-Meta-")], "X-Amz-Meta-") {
			continue
		}
		k := strings.ToLower(name[len("X-Amz-Meta-"):])
		v := strings.Join(vs, ",")
		size += len(k) + len(v)
		if m.User == nil {
			m.User = make(map[string]string)
		}
		m.User[k] = v
	}
	if size > MaxUserMetadata {
		return blob.Metadata{}, s3err.Newf("MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size of 2 KB ("+strconv.Itoa(size)+" bytes).")
	}
	return m, nil
}

// contentEncoding is Content-Encoding without the aws-chunked transfer coding, which
// describes the request body, not the object.
func contentEncoding(h http.Header) string {
	v := h.Get("Content-Encoding")
	if v == "" {
		return ""
	}
	var keep []string
	for _, c := range strings.Split(v, ",") {
		c = strings.TrimSpace(c)
		if c != "" && !strings.EqualFold(c, "aws-chunked") {
			keep = append(keep, c)
		}
	}
	return strings.Join(keep, ",")
}

// setObjectHeaders writes the headers describing an object version.
func setObjectHeaders(h http.Header, info blob.ObjectInfo) {
	h.Set("ETag", `"`+info.ETag+`"`)
	h.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	m := info.Metadata
	ct := m.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	h.Set("Content-Type", ct)
	for name, v := range map[string]string{
		"Content-Encoding": m.ContentEncoding, "Content-Disposition": m.ContentDisposition,
		"Content-Language": m.ContentLanguage, "Cache-Control": m.CacheControl, "Expires": m.Expires,
	} {
		if v != "" {
			h.Set(name, v)
		}
	}
	for k, v := range m.User {
		h["X-Amz-Meta-"+k] = []string{v}
	}
	if info.PartsCount > 0 {
		h.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(info.PartsCount))
	}
}

// setChecksumHeaders writes x-amz-checksum-* and x-amz-checksum-type.
func setChecksumHeaders(h http.Header, sums blob.Checksums, typ blob.ChecksumType) {
	for a, v := range sums {
		h.Set(a.HeaderName(), v)
	}
	if len(sums) > 0 && typ != "" {
		h.Set("X-Amz-Checksum-Type", string(typ))
	}
}

// checksumsXML fills the Checksum* elements.
func checksumsXML(sums blob.Checksums, typ blob.ChecksumType) Checksums {
	c := Checksums{
		ChecksumCRC32: sums[blob.CRC32], ChecksumCRC32C: sums[blob.CRC32C], ChecksumCRC64NVME: sums[blob.CRC64NVME],
		ChecksumSHA1: sums[blob.SHA1], ChecksumSHA256: sums[blob.SHA256],
	}
	if len(sums) > 0 {
		c.ChecksumType = string(typ)
	}
	return c
}

// checksumsFromXML reads the Checksum* elements.
func checksumsFromXML(c Checksums) blob.Checksums {
	var out blob.Checksums
	for a, v := range map[blob.ChecksumAlgorithm]string{
		blob.CRC32: c.ChecksumCRC32, blob.CRC32C: c.ChecksumCRC32C, blob.CRC64NVME: c.ChecksumCRC64NVME,
		blob.SHA1: c.ChecksumSHA1, blob.SHA256: c.ChecksumSHA256,
	} {
		if v = strings.TrimSpace(v); v != "" {
			if out == nil {
				out = make(blob.Checksums)
			}
			out[a] = v
		}
	}
	return out
}

// headerChecksums returns the x-amz-checksum-<alg> values sent as headers.
func headerChecksums(h http.Header) blob.Checksums {
	var out blob.Checksums
	for _, a := range blob.ChecksumAlgorithms {
		if v := h.Get(a.HeaderName()); v != "" {
			if out == nil {
				out = make(blob.Checksums)
			}
			out[a] = v
		}
	}
	return out
}

// parseRange parses a Range header the way S3 does: "bytes=a-b", "bytes=a-" and "bytes=-n".
// A header S3 would ignore (another unit, several ranges, a syntax error, last < first)
// selects the whole object: ok is false.
func parseRange(v string) (r blob.Range, ok bool) {
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return blob.Range{}, false
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return blob.Range{}, false
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 || last == "" {
			return blob.Range{}, false
		}
		if n == 0 {
			// "bytes=-0" selects nothing: unsatisfiable, as S3 answers.
			return blob.Range{Start: 1 << 62, End: -1}, true
		}
		return blob.Range{Start: -n, End: -1}, true
	}
	a, err := strconv.ParseInt(first, 10, 64)
	if err != nil || a < 0 {
		return blob.Range{}, false
	}
	if last == "" {
		return blob.Range{Start: a, End: -1}, true
	}
	b, err := strconv.ParseInt(last, 10, 64)
	if err != nil || b < a {
		return blob.Range{}, false
	}
	return blob.Range{Start: a, End: b}, true
}

// conditions reads If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since (or,
// with prefix "X-Amz-Copy-Source-", their copy-source forms). Unparseable dates are ignored,
// as HTTP says.
func conditions(h http.Header, prefix string) blob.Conditions {
	c := blob.Conditions{
		IfMatch:     h.Get(prefix + "If-Match"),
		IfNoneMatch: h.Get(prefix + "If-None-Match"),
	}
	if t, err := http.ParseTime(h.Get(prefix + "If-Modified-Since")); err == nil {
		c.IfModifiedSince = t
	}
	if t, err := http.ParseTime(h.Get(prefix + "If-Unmodified-Since")); err == nil {
		c.IfUnmodifiedSince = t
	}
	return c
}

// contentMD5 decodes a Content-MD5 header (nil when absent).
func contentMD5(h http.Header) ([]byte, error) {
	v := h.Get("Content-Md5")
	if v == "" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil || len(b) != md5.Size {
		return nil, s3err.New("InvalidDigest")
	}
	return b, nil
}

// eofHook calls fn once, when r returns io.EOF, before passing the EOF on. The verifying body
// knows its trailing checksums only then.
type eofHook struct {
	r    io.Reader
	fn   func()
	done bool
}

func (e *eofHook) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF && !e.done {
		e.done = true
		e.fn()
	}
	return n, err
}

// anonBody verifies, for an unsigned (anonymous) request, the x-amz-checksum-* headers that a
// signed request's sigv4.Body would verify: a mismatch is returned in place of io.EOF.
type anonBody struct {
	r      io.Reader
	hashes map[blob.ChecksumAlgorithm]hash.Hash
	want   blob.Checksums
}

func newAnonBody(r io.Reader, want blob.Checksums) (io.Reader, error) {
	if len(want) == 0 {
		return r, nil
	}
	if err := want.Validate(); err != nil {
		return nil, blobError(err)
	}
	b := &anonBody{r: r, want: want, hashes: make(map[blob.ChecksumAlgorithm]hash.Hash, len(want))}
	for a := range want {
		b.hashes[a] = a.New()
	}
	return b, nil
}

func (b *anonBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	for _, h := range b.hashes {
		h.Write(p[:n])
	}
	if err == io.EOF {
		for a, h := range b.hashes {
			if base64.StdEncoding.EncodeToString(h.Sum(nil)) != b.want[a] {
				return n, s3err.Newf("BadDigest", "The "+string(a)+" you specified did not match the calculated checksum.")
			}
		}
	}
	return n, err
}

// httpDate parses an HTTP date header value (zero when absent or malformed).
func httpDate(v string) time.Time {
	t, _ := http.ParseTime(v)
	return t
}
