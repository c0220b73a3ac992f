package s3api

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/hourglass-sts/hourglass/internal/blob"
	"github.com/hourglass-sts/hourglass/internal/s3action"
	"github.com/hourglass-sts/hourglass/internal/s3err"
)

// maxKeys parses a max-keys style parameter: absent is def, larger than the cap is the cap,
// anything else but a non-negative integer is InvalidArgument.
func maxKeys(q map[string][]string, name string, def int) (int, error) {
	vs, ok := q[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(vs[0])
	if err != nil || n < 0 {
		return 0, s3err.Newf("InvalidArgument", "Provided "+name+" not an integer or within integer range.")
	}
	if n > blob.MaxListKeys {
		n = blob.MaxListKeys
	}
	return n, nil
}

// encodingType reads encoding-type: "" or "url".
func encodingType(q map[string][]string) (string, error) {
	vs, ok := q["encoding-type"]
	if !ok {
		return "", nil
	}
	if !strings.EqualFold(vs[0], "url") {
		return "", s3err.Newf("InvalidArgument", "Invalid Encoding Method specified in Request.")
	}
	return "url", nil
}

// urlEncode percent-encodes everything but unreserved characters and "/", which decodes the
// same with unquote and unquote_plus (botocore) and url.QueryUnescape; S3 writes "%20" for a
// space, never "+".
func urlEncode(s string) string {
	const hex = "0123456789ABCDEF"
	clean := true
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) * 3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '/'
}

// continuation tokens are opaque to clients: the base64url of the last key or prefix returned.
func encodeToken(marker string) string { return base64.RawURLEncoding.EncodeToString([]byte(marker)) }

func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.Strict().DecodeString(tok)
	if err != nil || tok == "" {
		return "", s3err.Newf("InvalidArgument", "The continuation token provided is incorrect.")
	}
	return string(b), nil
}

func (s *Server) listObjects(rq *request) error {
	q := rq.query
	v2 := rq.op == s3action.OpListObjectsV2
	n, err := maxKeys(q, "max-keys", blob.DefaultMaxKeys)
	if err != nil {
		return err
	}
	enc, err := encodingType(q)
	if err != nil {
		return err
	}
	opts := blob.ListOptions{Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), MaxKeys: n}
	res := ListBucketResult{XMLNS: s3NS, Name: rq.bucket, MaxKeys: n, EncodingType: enc}
	fetchOwner := !v2
	if v2 {
		res.StartAfter = q.Get("start-after")
		opts.StartAfter = res.StartAfter
		if vs, ok := q["continuation-token"]; ok {
			m, err := decodeToken(vs[0])
			if err != nil {
				return err
			}
			res.ContinuationToken = vs[0]
			if m > opts.StartAfter {
				opts.StartAfter = m
			}
		}
		fetchOwner = q.Get("fetch-owner") == "true"
	} else {
		marker := q.Get("marker")
		opts.StartAfter = marker
		res.Marker = &marker
	}
	if n == 0 {
		opts.MaxKeys = 0
	}
	page, err := s.o.Blobs.List(rq.ctx, rq.bucket, opts)
	if err != nil {
		return blobError(err)
	}
	var owner *Owner
	if fetchOwner {
		o := s.folderOwner(rq.b.FolderID)
		owner = &o
	}
	encode := func(v string) string {
		if enc == "url" {
			return urlEncode(v)
		}
		return v
	}
	res.Prefix, res.Delimiter = encode(opts.Prefix), encode(opts.Delimiter)
	if res.Marker != nil {
		m := encode(*res.Marker)
		res.Marker = &m
	}
	res.StartAfter = encode(res.StartAfter)
	res.IsTruncated = page.IsTruncated
	res.Contents = make([]ObjectEntry, 0, len(page.Objects))
	for _, o := range page.Objects {
		e := ObjectEntry{Key: encode(o.Key), LastModified: xmlTime(o.LastModified), ETag: `"` + o.ETag + `"`,
			Size: o.Size, Owner: owner, StorageClass: "STANDARD"}
		for _, a := range o.Checksums.Algorithms() {
			e.ChecksumAlgorithm = append(e.ChecksumAlgorithm, string(a))
		}
		if len(o.Checksums) > 0 {
			e.ChecksumType = string(o.ChecksumType)
		}
		res.Contents = append(res.Contents, e)
	}
	for _, p := range page.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, CommonPrefix{Prefix: encode(p)})
	}
	if page.IsTruncated {
		if v2 {
			res.NextContinuationToken = encodeToken(page.NextMarker)
		} else if opts.Delimiter != "" {
			// S3 returns NextMarker only with a delimiter; clients use the last key otherwise.
			res.NextMarker = encode(page.NextMarker)
		}
	}
	if v2 {
		kc := len(page.Objects) + len(page.CommonPrefixes)
		res.KeyCount = &kc
	}
	return writeXML(rq, res)
}
