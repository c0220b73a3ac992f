package s3api

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/hourglass-sts/hourglass/internal/blob"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/s3action"
	"github.com/hourglass-sts/hourglass/internal/s3err"
)

// Tag limits (S3 User Guide, "Categorizing your storage using tags"; "Using cost allocation
// S3 bucket tags").
const (
	MaxObjectTags   = 10
	MaxBucketTags   = 50
	MaxTagKeyLen    = 128 // Unicode characters
	MaxTagValueLen  = 256 // Unicode characters
	maxTaggingBody  = 64 << 10
	taggingHeader   = "X-Amz-Tagging"
	taggingCountHdr = "X-Amz-Tagging-Count"
)

// tag is one key/value pair; a tagSet keeps the order the client gave.
type tag struct{ Key, Value string }

type tagSet []tag

// Map returns the tags as the policy package reads them (nil when empty).
func (ts tagSet) Map() map[string]string {
	if len(ts) == 0 {
		return nil
	}
	m := make(map[string]string, len(ts))
	for _, t := range ts {
		m[t.Key] = t.Value
	}
	return m
}

// encode is the stored form: the x-amz-tagging header syntax (URL query encoding, in the
// client's order). It is compact and decodes without an XML parser, which matters because
// policies with s3:ExistingObjectTag load an object's tags on every request they decide.
func (ts tagSet) encode() []byte {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(t.Key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(t.Value))
	}
	return []byte(b.String())
}

// decodeTags reads the stored form.
func decodeTags(v []byte) (tagSet, error) {
	if len(v) == 0 {
		return nil, nil
	}
	var ts tagSet
	for _, kv := range strings.Split(string(v), "&") {
		k, val, _ := strings.Cut(kv, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			return nil, err
		}
		dv, err := url.QueryUnescape(val)
		if err != nil {
			return nil, err
		}
		ts = append(ts, tag{dk, dv})
	}
	return ts, nil
}

// Tagging is the tag document of Get/PutObjectTagging, Get/PutBucketTagging and the tagging
// field of a POST upload.
type Tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	XMLNS   string   `xml:"xmlns,attr,omitempty"`
	TagSet  []xmlTag `xml:"TagSet>Tag"`
}

type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// taggingIn is Tagging as read: it tells a document with no TagSet element from an empty one.
type taggingIn struct {
	XMLName xml.Name `xml:"Tagging"`
	TagSet  *struct {
		Tags []struct {
			Key   *string `xml:"Key"`
			Value *string `xml:"Value"`
		} `xml:"Tag"`
	} `xml:"TagSet"`
}

func invalidTag(msg string) error { return s3err.Newf("InvalidTag", msg) }

// tagChar reports whether S3 allows r in a tag key or value: letters, numbers, spaces
// representable in UTF-8, and + - = . _ : / @.
func tagChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Z, r) || unicode.IsMark(r) ||
		strings.ContainsRune("+-=._:/@", r)
}

// validateTags checks a tag set against S3's rules: at most max tags, unique keys of 1–128
// characters, values of 0–256 characters, the allowed characters, and no "aws:" prefix.
func validateTags(ts tagSet, max int, what string) error {
	if len(ts) > max {
		return invalidTag(what + " tags cannot be greater than " + strconv.Itoa(max))
	}
	seen := make(map[string]bool, len(ts))
	for _, t := range ts {
		if !utf8.ValidString(t.Key) || !utf8.ValidString(t.Value) {
			return invalidTag("The TagKey or TagValue you have provided is not valid UTF-8.")
		}
		if n := utf8.RuneCountInString(t.Key); n < 1 || n > MaxTagKeyLen {
			return invalidTag("The TagKey you have provided is too long, max " + strconv.Itoa(MaxTagKeyLen))
		}
		if utf8.RuneCountInString(t.Value) > MaxTagValueLen {
			return invalidTag("The TagValue you have provided is too long, max " + strconv.Itoa(MaxTagValueLen))
		}
		for _, r := range t.Key {
			if !tagChar(r) {
				return invalidTag("The TagKey you have provided is invalid")
			}
		}
		for _, r := range t.Value {
			if !tagChar(r) {
				return invalidTag("The TagValue you have provided is invalid")
			}
		}
		if len(t.Key) >= 4 && strings.EqualFold(t.Key[:4], "aws:") {
			return invalidTag("Your TagKey cannot be prefixed with aws:")
		}
		if seen[t.Key] {
			return invalidTag("Cannot provide multiple Tags with the same key")
		}
		seen[t.Key] = true
	}
	return nil
}

// parseTaggingXML reads and validates a Tagging document.
func parseTaggingXML(body []byte, max int, what string) (tagSet, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, s3err.New("MissingRequestBodyError")
	}
	var doc taggingIn
	if err := xml.Unmarshal(body, &doc); err != nil {
		return nil, s3err.New("MalformedXML").With(err)
	}
	if doc.TagSet == nil {
		return nil, s3err.New("MalformedXML").With(errors.New("no TagSet"))
	}
	ts := make(tagSet, 0, len(doc.TagSet.Tags))
	for _, t := range doc.TagSet.Tags {
		if t.Key == nil || t.Value == nil {
			return nil, s3err.New("MalformedXML").With(errors.New("a Tag without Key or Value"))
		}
		ts = append(ts, tag{*t.Key, *t.Value})
	}
	if err := validateTags(ts, max, what); err != nil {
		return nil, err
	}
	return ts, nil
}

// parseTaggingHeader reads x-amz-tagging: URL query syntax ("k1=v1&k2=v2").
func parseTaggingHeader(v string) (tagSet, error) {
	bad := s3err.Newf("InvalidArgument", "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	if v == "" {
		return nil, nil
	}
	var ts tagSet
	seen := map[string]bool{}
	for _, kv := range strings.Split(v, "&") {
		if kv == "" {
			continue
		}
		k, val, _ := strings.Cut(kv, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			return nil, bad.With(err)
		}
		dv, err := url.QueryUnescape(val)
		if err != nil {
			return nil, bad.With(err)
		}
		if seen[dk] {
			return nil, bad
		}
		seen[dk] = true
		ts = append(ts, tag{dk, dv})
	}
	if err := validateTags(ts, MaxObjectTags, "Object"); err != nil {
		return nil, err
	}
	return ts, nil
}

func renderTagging(ts tagSet) Tagging {
	doc := Tagging{XMLNS: s3NS, TagSet: []xmlTag{}}
	for _, t := range ts {
		doc.TagSet = append(doc.TagSet, xmlTag{t.Key, t.Value})
	}
	return doc
}

// requestTags reads the tags a request sets, before it is authorized (they are the
// s3:RequestObjectTag/<key> and s3:RequestObjectTagKeys condition keys): x-amz-tagging of
// PutObject, CreateMultipartUpload and CopyObject with x-amz-tagging-directive REPLACE, and
// the body of PutObjectTagging.
func (s *Server) requestTags(rq *request) error {
	h := rq.r.Header
	switch rq.op {
	case s3action.OpPutObject, s3action.OpCreateMultipartUpload:
	case s3action.OpCopyObject:
		switch strings.ToUpper(h.Get("X-Amz-Tagging-Directive")) {
		case "", "COPY":
			return nil
		case "REPLACE":
		default:
			return s3err.Newf("InvalidArgument", "Unknown tagging directive.")
		}
	case s3action.OpPutObjectTagging:
		body, err := readBody(rq, maxTaggingBody)
		if err != nil {
			return err
		}
		ts, err := parseTaggingXML(body, MaxObjectTags, "Object")
		if err != nil {
			return err
		}
		rq.reqTags, rq.hasReqTags = ts, true
		return nil
	default:
		return nil
	}
	if _, ok := h[taggingHeader]; !ok {
		return nil
	}
	ts, err := parseTaggingHeader(h.Get(taggingHeader))
	if err != nil {
		return err
	}
	rq.reqTags, rq.hasReqTags = ts, true
	return nil
}

// objectTagMeta is the control-plane record of an object's tags, bound to its generation.
func objectTagMeta(bucket, key, gen string, ts tagSet) meta.ObjectMeta {
	return meta.ObjectMeta{Bucket: bucket, Key: key, Kind: meta.ObjectTagging, Generation: gen, Value: ts.encode()}
}

// pendingTags is where tags given to CreateMultipartUpload wait for the upload to complete
// (see pendingACL).
func pendingTags(bucket, uploadID string) meta.ObjectMeta {
	return meta.ObjectMeta{Bucket: bucket + "/", Key: uploadID, Kind: meta.ObjectTagging, Generation: uploadID}
}

func (s *Server) putTagMeta(rq *request, m meta.ObjectMeta) error {
	err := s.o.Config.PutObjectMeta(rq.ctx, m)
	s.tags.forget(m.Bucket, m.Key)
	if err != nil {
		return s3err.New("InternalError").With(err)
	}
	return nil
}

// loadObjectTags reads the tags stored for generation gen; tags of any other generation are
// ignored, so an overwrite drops the old tags as it drops the old ACL. Reads go through the
// node's tag cache.
func (s *Server) loadObjectTags(rq *request, bucket, key, gen string) (tagSet, error) {
	if ts, ok := s.tags.get(bucket, key, gen); ok {
		return ts, nil
	}
	epoch := s.tags.begin()
	m, err := s.o.Config.GetObjectMeta(rq.ctx, bucket, key, meta.ObjectTagging)
	var ts tagSet
	switch {
	case errors.Is(err, meta.ErrNotFound) || err == nil && m.Generation != gen:
	case err != nil:
		return nil, err
	default:
		if ts, err = decodeTags(m.Value); err != nil {
			return nil, err
		}
	}
	s.tags.put(bucket, key, gen, ts, epoch)
	return ts, nil
}

// DefaultTagCacheSize bounds the node's cache of object tags (entries).
const DefaultTagCacheSize = 1 << 16

// tagCache keeps the tags of recently read objects by their generation, so that
// x-amz-tagging-count and s3:ExistingObjectTag do not cost a control-plane read on every
// request. It is invalidated by the directory's change feed (every object metadata change on
// any node is a change-log entry), as the rest of the node's control-plane state is: another
// node's tag change is seen as soon as the feed delivers it, as bucket policies are. A fill
// that raced with an invalidation is dropped (epoch), so a stale read is never cached. An
// overwrite needs no invalidation: the new object has a new generation.
type tagCache struct {
	mu    sync.Mutex
	epoch uint64
	max   int
	m     map[string]tagEntry
}

type tagEntry struct {
	gen  string
	tags tagSet
}

func newTagCache(max int) *tagCache {
	return &tagCache{max: max, m: make(map[string]tagEntry)}
}

// cacheID is the object's ID in the change log (meta.ChangeObjectMeta): "<bucket>/<key>".
func cacheID(bucket, key string) string { return bucket + "/" + key }

func (c *tagCache) get(bucket, key, gen string) (tagSet, bool) {
	c.mu.Lock()
	e, ok := c.m[cacheID(bucket, key)]
	c.mu.Unlock()
	if !ok || e.gen != gen {
		return nil, false
	}
	return e.tags, true
}

// begin returns the epoch to pass to put after reading the store.
func (c *tagCache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

func (c *tagCache) put(bucket, key, gen string, ts tagSet, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.epoch || c.max <= 0 {
		return
	}
	if len(c.m) >= c.max {
		// Drop an arbitrary eighth: cheaper than LRU bookkeeping on every hit.
		n := c.max / 8
		for id := range c.m {
			if n--; n < 0 {
				break
			}
			delete(c.m, id)
		}
	}
	c.m[cacheID(bucket, key)] = tagEntry{gen: gen, tags: ts}
}

// invalidate applies a batch of the change feed (nil: everything may have changed).
func (c *tagCache) invalidate(chs []meta.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	if chs == nil {
		clear(c.m)
		return
	}
	for _, ch := range chs {
		if ch.Kind == meta.ChangeObjectMeta {
			delete(c.m, ch.ID)
		}
	}
}

// forget drops one object after this node changed its metadata (the feed follows).
func (c *tagCache) forget(bucket, key string) {
	c.invalidate([]meta.Change{{Kind: meta.ChangeObjectMeta, ID: cacheID(bucket, key)}})
}

// headForMeta is Head of the addressed object for the ACL and tagging handlers: NoSuchKey or
// AccessDenied as S3 answers, and the generation check of rq.aclGen.
func (s *Server) headForMeta(rq *request, action s3action.Action) (blob.ObjectInfo, error) {
	if err := checkVersion(rq); err != nil {
		return blob.ObjectInfo{}, err
	}
	info, err := s.o.Blobs.Head(rq.ctx, rq.bucket, rq.key)
	if errors.Is(err, blob.ErrNoSuchKey) {
		return info, s.noSuchKey(rq, rq.b, rq.key, err)
	}
	if err != nil {
		return info, blobError(err)
	}
	if rq.aclGen != "" && info.Generation != rq.aclGen {
		return info, s.deny(rq, action, resourceARN(rq.b, rq.key), "the object was replaced after its ACL or tags were checked")
	}
	return info, nil
}

func (s *Server) getObjectTagging(rq *request) error {
	info, err := s.headForMeta(rq, s3action.GetObjectTagging)
	if err != nil {
		return err
	}
	ts, err := s.loadObjectTags(rq, rq.bucket, rq.key, info.Generation)
	if err != nil {
		return s3err.New("InternalError").With(err)
	}
	return writeXML(rq, renderTagging(ts))
}

func (s *Server) putObjectTagging(rq *request) error {
	info, err := s.headForMeta(rq, s3action.PutObjectTagging)
	if err != nil {
		return err
	}
	// Bound to the generation read above: an overwrite meanwhile makes these tags describe the
	// old version only.
	if err := s.putTagMeta(rq, objectTagMeta(rq.bucket, rq.key, info.Generation, rq.reqTags)); err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) deleteObjectTagging(rq *request) error {
	info, err := s.headForMeta(rq, s3action.DeleteObjectTagging)
	if err != nil {
		return err
	}
	// An empty set for this generation (DeleteObjectMeta would drop the ACL too).
	if err := s.putTagMeta(rq, objectTagMeta(rq.bucket, rq.key, info.Generation, nil)); err != nil {
		return err
	}
	return noContent(rq)
}

func (s *Server) getBucketTagging(rq *request) error {
	v, ok := rq.b.Config[meta.BucketTagging]
	if !ok {
		return s3err.New("NoSuchTagSet").WithResource(rq.bucket)
	}
	ts, err := decodeTags(v)
	if err != nil {
		return s3err.New("InternalError").With(err)
	}
	return writeXML(rq, renderTagging(ts))
}

func (s *Server) putBucketTagging(rq *request) error {
	body, err := readBody(rq, maxTaggingBody)
	if err != nil {
		return err
	}
	ts, err := parseTaggingXML(body, MaxBucketTags, "Bucket")
	if err != nil {
		return err
	}
	stored := ts.encode()
	if err := s.o.Config.PutBucketConfig(rq.ctx, rq.bucket, meta.BucketTagging, stored); err != nil {
		return s.configError(rq, err)
	}
	s.await(rq, s.configIs(rq.bucket, meta.BucketTagging, stored))
	return noContent(rq)
}

func (s *Server) deleteBucketTagging(rq *request) error {
	if err := s.o.Config.DeleteBucketConfig(rq.ctx, rq.bucket, meta.BucketTagging); err != nil && !errors.Is(err, meta.ErrNotFound) {
		return s.configError(rq, err)
	}
	s.await(rq, s.configIs(rq.bucket, meta.BucketTagging, nil))
	return noContent(rq)
}
