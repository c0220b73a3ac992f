package s3blob

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// Upstream user-metadata keys (x-amz-meta-<key>) that belong to Hourglass.
// A client's own key that starts with metaPrefix is stored under
// metaUserEscape + the rest, so a client can neither read nor forge these.
const (
	metaPrefix     = "hourglass-"
	metaGeneration = "hourglass-gen"  // the generation ID (32 hex)
	metaChecksums  = "hourglass-ck"   // inline checksums, or checksumsInRecord
	metaETag       = "hourglass-etag" // the Hourglass ETag where the upstream's differs
	metaExpires    = "hourglass-expires"
	metaHeader     = "hourglass-h-" // + header name: a content header unsafe to send as is
	metaUserEscape = "hourglass-u-"

	// checksumsInRecord says the checksums live in the state bucket record
	// of the object's generation (written before the object became visible).
	checksumsInRecord = "@"
)

func newGeneration() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// foreignGeneration names the version of an object that Hourglass did not
// write (an adopted bucket): derived from what identifies it upstream, and
// marked so that it never collides with an assigned one.
func foreignGeneration(etag string, size int64, mtime time.Time) string {
	h := sha256.Sum256([]byte(etag + "|" + strconv.FormatInt(size, 10) + "|" + strconv.FormatInt(mtime.Unix(), 10)))
	return "u" + hex.EncodeToString(h[:15])
}

// safeHeaderValue reports whether v survives an HTTP header round trip
// unchanged through any upstream: printable ASCII without surrounding
// spaces, and not looking like an encoded word.
func safeHeaderValue(v string) bool {
	if v == "" {
		return true
	}
	if v[0] == ' ' || v[len(v)-1] == ' ' || strings.HasPrefix(v, "=?") {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

const (
	wordPrefix = "=?UTF-8?B?"
	wordSuffix = "?="
)

// encodeValue makes v header-safe as an RFC 2047 encoded word (the form AWS
// itself returns for non-ASCII metadata).
func encodeValue(v string) string {
	if safeHeaderValue(v) {
		return v
	}
	return wordPrefix + base64.StdEncoding.EncodeToString([]byte(v)) + wordSuffix
}

func decodeValue(v string) string {
	if len(v) >= len(wordPrefix)+len(wordSuffix) && strings.EqualFold(v[:len(wordPrefix)], wordPrefix) && strings.HasSuffix(v, wordSuffix) {
		if b, err := base64.StdEncoding.DecodeString(v[len(wordPrefix) : len(v)-len(wordSuffix)]); err == nil {
			return string(b)
		}
	}
	return v
}

// contentHeaders are the Metadata fields S3 keeps as headers of their own.
type contentHeaders struct {
	ContentType, ContentEncoding, ContentDisposition, ContentLanguage, CacheControl *string
}

// writeMeta is what a write sends upstream besides the bytes.
type writeMeta struct {
	headers contentHeaders
	user    map[string]string
}

// objectMeta describes the internal fields of a version being written.
type objectMeta struct {
	generation string
	checksums  string // encodeChecksums or checksumsInRecord; "" for none
	etag       string // Hourglass ETag when the upstream's will differ
}

// toUpstream encodes m and the internal fields for an upstream write.
func toUpstream(m blob.Metadata, om objectMeta) writeMeta {
	w := writeMeta{user: make(map[string]string, len(m.User)+3)}
	for k, v := range m.User {
		if strings.HasPrefix(k, metaPrefix) {
			k = metaUserEscape + k[len(metaPrefix):]
		}
		w.user[k] = encodeValue(v)
	}
	header := func(name, v string) *string {
		if v == "" {
			return nil
		}
		if safeHeaderValue(v) {
			return &v
		}
		w.user[metaHeader+name] = encodeValue(v)
		return nil
	}
	if m.ContentType == "" {
		// Upstreams default the type (binary/octet-stream); remember that
		// the client set none.
		w.user[metaHeader+"ct"] = wordPrefix + wordSuffix
	}
	w.headers = contentHeaders{
		ContentType:        header("ct", m.ContentType),
		ContentEncoding:    header("ce", m.ContentEncoding),
		ContentDisposition: header("cd", m.ContentDisposition),
		ContentLanguage:    header("cl", m.ContentLanguage),
		CacheControl:       header("cc", m.CacheControl),
	}
	if m.Expires != "" {
		// Kept verbatim in metadata: the upstream could reformat or refuse
		// an Expires header it cannot parse.
		w.user[metaExpires] = encodeValue(m.Expires)
	}
	w.user[metaGeneration] = om.generation
	if om.checksums != "" {
		w.user[metaChecksums] = om.checksums
	}
	if om.etag != "" {
		w.user[metaETag] = om.etag
	}
	return w
}

// upstreamObject is what an upstream answer says about an object version.
type upstreamObject struct {
	etag         string // normalized upstream ETag
	size         int64
	lastModified time.Time
	headers      contentHeaders
	expires      *string
	user         map[string]string // raw x-amz-meta-*
	partsCount   int32
}

// decoded is the Hourglass view of an upstream object's metadata.
type decoded struct {
	meta       blob.Metadata
	generation string
	checksums  string // raw metaChecksums
	etag       string // metaETag
}

func decodeMeta(u map[string]string, h contentHeaders) decoded {
	var d decoded
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	d.meta.ContentType = str(h.ContentType)
	d.meta.ContentEncoding = str(h.ContentEncoding)
	d.meta.ContentDisposition = str(h.ContentDisposition)
	d.meta.ContentLanguage = str(h.ContentLanguage)
	d.meta.CacheControl = str(h.CacheControl)
	for k, v := range u {
		k = strings.ToLower(k)
		switch {
		case k == metaGeneration:
			d.generation = v
		case k == metaChecksums:
			d.checksums = v
		case k == metaETag:
			d.etag = v
		case k == metaExpires:
			d.meta.Expires = decodeValue(v)
		case strings.HasPrefix(k, metaHeader):
			v = decodeValue(v)
			switch k[len(metaHeader):] {
			case "ct":
				d.meta.ContentType = v
			case "ce":
				d.meta.ContentEncoding = v
			case "cd":
				d.meta.ContentDisposition = v
			case "cl":
				d.meta.ContentLanguage = v
			case "cc":
				d.meta.CacheControl = v
			}
		case strings.HasPrefix(k, metaUserEscape):
			d.user(metaPrefix+k[len(metaUserEscape):], v)
		case strings.HasPrefix(k, metaPrefix):
			// internal key of a later version of this backend: not the user's
		default:
			d.user(k, v)
		}
	}
	return d
}

func (d *decoded) user(k, v string) {
	if d.meta.User == nil {
		d.meta.User = make(map[string]string)
	}
	d.meta.User[k] = decodeValue(v)
}

// encodeChecksums is the inline form: "<type>;<ALG>=<value>;…".
func encodeChecksums(sums blob.Checksums, typ blob.ChecksumType) string {
	if len(sums) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(string(typ))
	for _, a := range sums.Algorithms() {
		b.WriteByte(';')
		b.WriteString(string(a))
		b.WriteByte('=')
		b.WriteString(sums[a])
	}
	return b.String()
}

func decodeChecksums(v string) (blob.Checksums, blob.ChecksumType, error) {
	if v == "" {
		return nil, "", nil
	}
	fields := strings.Split(v, ";")
	typ := blob.ChecksumType(fields[0])
	if typ != blob.ChecksumFullObject && typ != blob.ChecksumComposite {
		return nil, "", fmt.Errorf("%w: checksum metadata %q has an unknown type", ErrUpstream, v)
	}
	sums := make(blob.Checksums, len(fields)-1)
	for _, f := range fields[1:] {
		a, val, ok := strings.Cut(f, "=")
		if !ok || !blob.ChecksumAlgorithm(a).Valid() {
			return nil, "", fmt.Errorf("%w: checksum metadata %q is malformed", ErrUpstream, v)
		}
		sums[blob.ChecksumAlgorithm(a)] = val
	}
	if len(sums) == 0 {
		return nil, "", nil
	}
	return sums, typ, nil
}

// normETag strips quotes and lower-cases an upstream ETag.
func normETag(p *string) string {
	if p == nil {
		return ""
	}
	return blob.NormalizeETag(*p)
}

// partsOf returns N of a multipart ETag "<hex>-N", else 0.
func partsOf(etag string) int {
	_, n, ok := strings.Cut(etag, "-")
	if !ok {
		return 0
	}
	v, err := strconv.Atoi(n)
	if err != nil || v < 1 {
		return 0
	}
	return v
}

// info builds the ObjectInfo of an upstream version; checksums held in a
// record are filled in by the caller (needsRecord).
func (s *Store) info(bucket, key string, u *upstreamObject) (blob.ObjectInfo, bool, error) {
	d := decodeMeta(u.user, u.headers)
	if u.expires != nil && d.meta.Expires == "" {
		d.meta.Expires = *u.expires
	}
	info := blob.ObjectInfo{
		Bucket:       bucket,
		Key:          key,
		Size:         u.size,
		ETag:         u.etag,
		LastModified: u.lastModified.UTC().Truncate(time.Second),
		Generation:   d.generation,
		Metadata:     d.meta,
	}
	if d.etag != "" {
		info.ETag = d.etag
	}
	info.PartsCount = partsOf(info.ETag)
	if info.Generation == "" {
		info.Generation = foreignGeneration(u.etag, u.size, u.lastModified)
	}
	if d.checksums == checksumsInRecord {
		return info, true, nil
	}
	var err error
	info.Checksums, info.ChecksumType, err = decodeChecksums(d.checksums)
	return info, false, err
}
