package s3blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/hourglass-sts/hourglass/internal/blob"
)

// errBare404 marks a 404 without an error code (HEAD answers have no body).
var errBare404 = errors.New("s3blob: upstream answered 404")

// current is an object version as Head found it.
type current struct {
	info         blob.ObjectInfo
	upstreamETag string
}

// missing tells a missing key from a missing bucket after a bare 404.
func (s *Store) missing(ctx context.Context, ub, key string) error {
	ok, err := s.bucketExists(ctx, ub)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %q", blob.ErrNoSuchBucket, ub)
	}
	return fmt.Errorf("%w: %q", blob.ErrNoSuchKey, key)
}

func (s *Store) head(ctx context.Context, ub, bucket, key string) (*current, error) {
	out, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(ub), Key: aws.String(key)})
	if err != nil {
		err = s.mapErr(ctx, err, errBare404)
		if errors.Is(err, errBare404) {
			return nil, s.missing(ctx, ub, key)
		}
		return nil, err
	}
	u := upstreamObject{
		etag:         normETag(out.ETag),
		size:         aws.ToInt64(out.ContentLength),
		lastModified: aws.ToTime(out.LastModified),
		headers:      contentHeaders{out.ContentType, out.ContentEncoding, out.ContentDisposition, out.ContentLanguage, out.CacheControl},
		expires:      out.ExpiresString,
		user:         out.Metadata,
	}
	info, inRecord, err := s.info(bucket, key, &u)
	if err != nil {
		return nil, err
	}
	if inRecord {
		if err := s.recordChecksums(ctx, &info); err != nil {
			return nil, err
		}
	}
	return &current{info: info, upstreamETag: u.etag}, nil
}

// maxCachedRecords bounds the in-memory cache of checksum records.
const maxCachedRecords = 16384

// recordChecksums fills info's checksums from its generation's record. A
// generation is written once, so its record never changes: records read
// are cached (a GET or HEAD of a hot object then costs one upstream request,
// not two).
func (s *Store) recordChecksums(ctx context.Context, info *blob.ObjectInfo) error {
	key := checksumRecordKey(info.Bucket, info.Generation)
	s.recordsMu.Lock()
	rec, ok := s.records[key]
	s.recordsMu.Unlock()
	if ok {
		if len(rec.Checksums) > 0 {
			info.Checksums, info.ChecksumType = rec.Checksums.Clone(), rec.Type
		}
		return nil
	}
	err := s.getStateJSON(ctx, key, &rec)
	if errors.Is(err, errNoRecord) {
		s.log.Warn("s3blob: the checksum record of an object is missing", "bucket", info.Bucket, "key", info.Key, "generation", info.Generation)
		return nil
	}
	if err != nil {
		return err
	}
	s.recordsMu.Lock()
	if len(s.records) >= maxCachedRecords {
		for k := range s.records { // evict an arbitrary entry
			delete(s.records, k)
			break
		}
	}
	s.records[key] = rec
	s.recordsMu.Unlock()
	if len(rec.Checksums) > 0 {
		info.Checksums, info.ChecksumType = rec.Checksums.Clone(), rec.Type
	}
	return nil
}

// Head implements blob.Store.
func (s *Store) Head(ctx context.Context, bucket, key string) (blob.ObjectInfo, error) {
	if err := blob.ValidateKey(key); err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("s3blob: head: %w", err)
	}
	ub, err := s.bucketName(bucket)
	if err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("s3blob: head: %w", err)
	}
	cur, err := s.head(ctx, ub, bucket, key)
	if err != nil {
		return blob.ObjectInfo{}, fmt.Errorf("s3blob: head %q: %w", key, err)
	}
	return cur.info, nil
}

// parseContentRange parses "bytes <start>-<end>/<size>".
func parseContentRange(v string) (start, end, size int64, ok bool) {
	v, found := strings.CutPrefix(v, "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	r, total, found := strings.Cut(v, "/")
	if !found {
		return 0, 0, 0, false
	}
	a, b, found := strings.Cut(r, "-")
	if !found {
		return 0, 0, 0, false
	}
	var err1, err2, err3 error
	start, err1 = strconv.ParseInt(a, 10, 64)
	end, err2 = strconv.ParseInt(b, 10, 64)
	size, err3 = strconv.ParseInt(total, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || start < 0 || end < start || end >= size {
		return 0, 0, 0, false
	}
	return start, end, size, true
}

// Get implements blob.Store. Ranges and part numbers go upstream; a range
// the upstream ignored (200 instead of 206) is applied here. The body reads
// the version the upstream opened.
func (s *Store) Get(ctx context.Context, bucket, key string, opts blob.GetOptions) (*blob.Object, error) {
	obj, err := s.get(ctx, bucket, key, opts)
	if err != nil {
		return nil, fmt.Errorf("s3blob: get %q: %w", key, err)
	}
	return obj, nil
}

func (s *Store) get(ctx context.Context, bucket, key string, opts blob.GetOptions) (*blob.Object, error) {
	if err := blob.ValidateKey(key); err != nil {
		return nil, err
	}
	if opts.Range != nil && opts.PartNumber != 0 {
		return nil, fmt.Errorf("%w: both a range and a part number", blob.ErrInvalidRange)
	}
	if opts.PartNumber < 0 || opts.PartNumber > blob.MaxParts {
		return nil, fmt.Errorf("%w: %d", blob.ErrInvalidPartNumber, opts.PartNumber)
	}
	if r := opts.Range; r != nil {
		// S3 ignores a syntactically invalid range; the contract refuses it.
		if (r.Start >= 0 && r.End >= 0 && r.Start > r.End) || (r.Start < 0 && r.End >= 0) {
			return nil, fmt.Errorf("%w: %s", blob.ErrInvalidRange, r)
		}
	}
	ub, err := s.bucketName(bucket)
	if err != nil {
		return nil, err
	}
	return s.open(ctx, ub, bucket, key, opts, "")
}

func (s *Store) open(ctx context.Context, ub, bucket, key string, opts blob.GetOptions, ifMatch string) (*blob.Object, error) {
	rctx, cancel := context.WithCancelCause(ctx)
	in := &s3.GetObjectInput{Bucket: aws.String(ub), Key: aws.String(key)}
	if opts.Range != nil {
		in.Range = aws.String(opts.Range.String())
	}
	if opts.PartNumber > 0 {
		in.PartNumber = aws.Int32(int32(opts.PartNumber))
	}
	if ifMatch != "" {
		in.IfMatch = quote(ifMatch)
	}
	var optFns []func(*s3.Options)
	if s.raw != nil {
		optFns = append(optFns, func(o *s3.Options) { o.HTTPClient = s.raw })
	}
	out, err := s.c.GetObject(rctx, in, optFns...)
	if err != nil {
		cancel(nil)
		err = s.mapErr(ctx, err, errBare404)
		if errors.Is(err, errBare404) {
			return nil, s.missing(ctx, ub, key)
		}
		if errors.Is(err, blob.ErrInvalidRange) && opts.PartNumber > 0 {
			// 416 for a part number (moto sends no InvalidPartNumber code).
			return nil, fmt.Errorf("%w: part %d (%v)", blob.ErrInvalidPartNumber, opts.PartNumber, err)
		}
		return nil, err
	}
	fail := func(err error) (*blob.Object, error) {
		out.Body.Close()
		cancel(nil)
		return nil, err
	}
	length := aws.ToInt64(out.ContentLength)
	start, end, size := int64(0), length-1, length
	ranged := false
	if cr := aws.ToString(out.ContentRange); cr != "" {
		var ok bool
		if start, end, size, ok = parseContentRange(cr); !ok || end-start+1 != length {
			return fail(fmt.Errorf("%w: Content-Range %q with %d bytes", ErrUpstream, cr, length))
		}
		ranged = true
	}
	u := upstreamObject{
		etag:         normETag(out.ETag),
		size:         size,
		lastModified: aws.ToTime(out.LastModified),
		headers:      contentHeaders{out.ContentType, out.ContentEncoding, out.ContentDisposition, out.ContentLanguage, out.CacheControl},
		expires:      out.ExpiresString,
		user:         out.Metadata,
	}
	info, inRecord, err := s.info(bucket, key, &u)
	if err != nil {
		return fail(err)
	}
	obj := &blob.Object{Info: info, Start: start, End: end, Partial: opts.Range != nil || opts.PartNumber > 0}
	var skip int64
	switch {
	case opts.Range != nil && !ranged:
		// The upstream sent the whole object: select the range here.
		if obj.Start, obj.End, err = opts.Range.Resolve(size); err != nil {
			return fail(err)
		}
		skip = obj.Start
	case opts.PartNumber > 0 && info.PartsCount == 0:
		// One part in Hourglass's eyes: part 1 is the whole object.
		if opts.PartNumber > 1 {
			return fail(fmt.Errorf("%w: the object has 1 part, not %d", blob.ErrInvalidPartNumber, opts.PartNumber))
		}
		if ranged && (start != 0 || end != size-1) {
			// The upstream keeps it in parts (a staged Put): read it whole.
			out.Body.Close()
			cancel(nil)
			obj, err := s.open(ctx, ub, bucket, key, blob.GetOptions{}, u.etag)
			if err != nil {
				return nil, err
			}
			obj.Partial = true
			return obj, nil
		}
	case opts.PartNumber > info.PartsCount:
		return fail(fmt.Errorf("%w: the object has %d parts, not %d", blob.ErrInvalidPartNumber, info.PartsCount, opts.PartNumber))
	case opts.PartNumber > 0 && !ranged:
		// The upstream sent the whole object (moto does): find the part's
		// bytes from the sizes of the parts up to it.
		var off int64
		for n := 1; n <= opts.PartNumber; n++ {
			h, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(ub), Key: aws.String(key), PartNumber: aws.Int32(int32(n))})
			if err != nil {
				return fail(s.mapErr(ctx, err, nil))
			}
			if n < opts.PartNumber {
				off += aws.ToInt64(h.ContentLength)
				continue
			}
			obj.Start, obj.End = off, off+aws.ToInt64(h.ContentLength)-1
		}
		if obj.End >= size || obj.End < obj.Start {
			return fail(fmt.Errorf("%w: the parts of %q do not fit its %d bytes", ErrUpstream, key, size))
		}
		skip = obj.Start
	}
	if inRecord {
		if err := s.recordChecksums(ctx, &obj.Info); err != nil {
			return fail(err)
		}
	}
	b := &getBody{rc: out.Body, ctx: ctx, rctx: rctx, cancel: cancel, timeout: s.timeout, remaining: skip + obj.End - obj.Start + 1}
	b.dog = newWatchdog(s.timeout, func() { cancel(errStalled) })
	if skip > 0 {
		if _, err := io.CopyN(io.Discard, b, skip); err != nil {
			return fail(err)
		}
	}
	obj.Body = b
	return obj, nil
}

// getBody is an upstream response body: reads arm a watchdog, so an
// upstream that stops sending fails the read with ErrUnavailable instead of
// hanging it; Close releases the request.
type getBody struct {
	rc        io.ReadCloser
	ctx       context.Context // the caller's
	rctx      context.Context
	cancel    context.CancelCauseFunc
	dog       *watchdog
	timeout   time.Duration
	remaining int64 // bytes the selection still holds (an ignored range is cut here)
}

func (b *getBody) Read(p []byte) (int, error) {
	if b.remaining <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.remaining {
		p = p[:b.remaining]
	}
	b.dog.arm()
	n, err := b.rc.Read(p)
	b.dog.disarm()
	b.remaining -= int64(n)
	if err != nil && err != io.EOF {
		err = b.upstreamErr(err)
	}
	if err == io.EOF && b.remaining > 0 {
		err = fmt.Errorf("%w: the upstream body ended %d bytes early", ErrUnavailable, b.remaining)
	}
	return n, err
}

// upstreamErr explains an error that stopped reading the upstream body.
func (b *getBody) upstreamErr(err error) error {
	switch {
	case b.ctx.Err() != nil:
		return fmt.Errorf("s3blob: reading the upstream body: %w", context.Cause(b.ctx))
	case context.Cause(b.rctx) == errStalled:
		return fmt.Errorf("%w: the upstream sent nothing for %v", ErrUnavailable, b.timeout)
	default:
		return fmt.Errorf("%w: reading the body: %v", ErrUnavailable, err)
	}
}

// copyBufPool holds the buffers of WriteTo's copies: larger than io.Copy's
// 32 KiB, for fewer system calls per byte.
var copyBufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// WriteTo sends the rest of the body to w. A body of the raw client goes
// from the upstream's socket to w's in the kernel when w can take it that
// way (a ResponseWriter on a plain-HTTP listener); other bodies are copied
// through a large buffer.
func (b *getBody) WriteTo(w io.Writer) (int64, error) {
	if rb, ok := b.rc.(*rawBody); ok && rb.spliceable && b.remaining > 0 && b.remaining <= rb.remaining {
		if rf, ok := w.(io.ReaderFrom); ok {
			n, err := rb.spliceTo(w, rf, b.remaining, b.watchSplice)
			b.remaining -= n
			if errors.Is(err, errNoWatch) && n == 0 {
				return b.copyTo(w)
			}
			if err != nil && b.ctx.Err() == nil && context.Cause(b.rctx) == nil && errors.Is(err, io.ErrUnexpectedEOF) {
				return n, fmt.Errorf("%w: the upstream body ended %d bytes early", ErrUnavailable, b.remaining)
			}
			switch {
			case err != nil && (b.ctx.Err() != nil || context.Cause(b.rctx) != nil):
				err = b.upstreamErr(err)
			case err != nil:
				// The upstream's socket or the writer's: splice cannot tell.
				err = fmt.Errorf("s3blob: moving the upstream body to the client: %w", err)
			}
			return n, err
		}
	}
	return b.copyTo(w)
}

// copyTo copies the rest of the body to w through a pooled buffer.
func (b *getBody) copyTo(w io.Writer) (int64, error) {
	bp := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(bp)
	buf := *bp
	var total int64
	for {
		n, err := b.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			total += int64(m)
			if werr != nil {
				return total, werr
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// watchSplice watches c while its next n bytes arrive and move on: every
// timeout, it checks that the upstream sent something meanwhile, or that
// bytes wait unread (the client is slow, not the upstream), or that every
// byte already arrived; otherwise the upstream is silent and the request is
// cancelled as stalled. It returns the function that stops it, or an error
// when c cannot be observed.
func (b *getBody) watchSplice(c *net.TCPConn, n int64) (func(), error) {
	start, unread0, err := tcpProgress(c)
	if err != nil {
		return nil, err
	}
	if start == 0 {
		// The response's headers came in on c: a counter still at zero is
		// not kept by this kernel (before Linux 4.1, some sandboxes).
		return nil, errors.New("the socket's received-bytes counter is not kept")
	}
	var mu sync.Mutex
	stopped, last := false, start
	var t *time.Timer
	t = time.AfterFunc(b.timeout, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		received, unread, err := tcpProgress(c)
		switch {
		case err == nil && int64(received-start)+int64(unread0) >= n:
			// Everything arrived: the rest is the client's pace.
		case err == nil && (received != last || unread > 0):
			last = received
			t.Reset(b.timeout)
		default:
			b.cancel(errStalled)
		}
	})
	return func() {
		mu.Lock()
		stopped = true
		mu.Unlock()
		t.Stop()
	}, nil
}

func (b *getBody) Close() error {
	b.dog.disarm()
	err := b.rc.Close()
	b.cancel(nil)
	return err
}

// Delete implements blob.Store.
func (s *Store) Delete(ctx context.Context, bucket, key string) error {
	if err := blob.ValidateKey(key); err != nil {
		return fmt.Errorf("s3blob: delete: %w", err)
	}
	ub, err := s.bucketName(bucket)
	if err != nil {
		return fmt.Errorf("s3blob: delete: %w", err)
	}
	_, err = s.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(ub), Key: aws.String(key)})
	if err != nil {
		err = s.mapErr(ctx, err, errBare404)
		if errors.Is(err, errBare404) {
			err = s.missing(ctx, ub, key)
		}
		if errors.Is(err, blob.ErrNoSuchKey) {
			return nil
		}
		return fmt.Errorf("s3blob: delete %q: %w", key, err)
	}
	return nil
}
