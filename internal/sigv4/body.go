package sigv4

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Body is the decoded, verifying body of an authenticated request. It
// decodes aws-chunked framing and checks, in one pass, the payload SHA-256,
// chunk and trailer signatures, checksums (sent up front or as trailers),
// Content-MD5 and the declared decoded length.
//
// Bytes returned by Read are not authenticated until Read has returned
// io.EOF: any failed check is returned as an *Error instead of io.EOF, so a
// caller must store the bytes only provisionally and commit them after a
// clean io.EOF. Body never holds more than one small line buffer; a chunk's
// bytes stream through.
type Body struct {
	src      io.ReadCloser
	r        io.Reader
	dec      *chunkDecoder
	ck       *bodyCheck // nil when only the length is checked (GET, HEAD...)
	declared int64
	n        int64
	err      error
	eof      bool
	encoding string
}

// bodyCheck is the digest state of a Body, kept apart so that a request
// without a body stays a small allocation.
type bodyCheck struct {
	sha     hash.Hash // literal x-amz-content-sha256, verified at EOF
	wantSHA [32]byte
	md5     hash.Hash
	wantMD5 []byte
	sums    []checksumState

	md5Hex    string
	checksums []Checksum
}

func (b *Body) check() *bodyCheck {
	if b.ck == nil {
		b.ck = new(bodyCheck)
	}
	return b.ck
}

var errBodyClosed = errors.New("sigv4: read from a closed body")

// Read implements io.Reader; see the type's documentation.
func (b *Body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.eof {
		return 0, io.EOF
	}
	n, err := b.r.Read(p)
	if n > 0 {
		data := p[:n]
		b.n += int64(n)
		if b.declared >= 0 && b.n > b.declared {
			b.err = newErr(CodeInvalidRequest, "The request body is longer than its declared length.")
			return 0, b.err
		}
		if ck := b.ck; ck != nil {
			if ck.sha != nil {
				ck.sha.Write(data)
			}
			if ck.md5 != nil {
				ck.md5.Write(data)
			}
			for i := range ck.sums {
				ck.sums[i].h.Write(data)
			}
		}
	}
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF:
		if e := b.finish(); e != nil {
			b.err = e
			return n, e
		}
		b.eof = true
		return n, io.EOF
	default:
		b.err = readErr(err, "the body ended early")
		return n, b.err
	}
}

// finish runs the end-of-body checks.
func (b *Body) finish() *Error {
	if b.declared >= 0 && b.n != b.declared {
		return newErr(CodeIncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	}
	ck := b.ck
	if ck == nil {
		return nil
	}
	if ck.sha != nil {
		var got [32]byte
		ck.sha.Sum(got[:0])
		if !equal32(&got, &ck.wantSHA) {
			return newErr(CodeXAmzContentSHA256Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
	}
	sums := make([]Checksum, 0, len(ck.sums))
	for i := range ck.sums {
		st := &ck.sums[i]
		if st.trailer && !st.received {
			return newErr(CodeIncompleteBody, "The trailer "+st.algo.header+" announced in x-amz-trailer was not sent.")
		}
		got := st.h.Sum(nil)
		if st.want != nil && !bytes.Equal(got, st.want) {
			return newErr(CodeBadDigest, "The "+st.algo.name+" you specified did not match the calculated checksum.")
		}
		sums = append(sums, Checksum{Algorithm: st.algo.name, Value: base64.StdEncoding.EncodeToString(got)})
	}
	if ck.md5 != nil {
		got := ck.md5.Sum(nil)
		if ck.wantMD5 != nil && !bytes.Equal(got, ck.wantMD5) {
			return newErr(CodeBadDigest, "The Content-MD5 you specified did not match what we received.")
		}
		ck.md5Hex = hex.EncodeToString(got)
	}
	ck.checksums = sums
	return nil
}

// Close closes the request body and releases the decoder's buffer.
func (b *Body) Close() error {
	if b.dec != nil {
		b.dec.release()
	}
	if b.err == nil {
		b.err = errBodyClosed
	}
	return b.src.Close()
}

// Complete reports whether the body was read to a clean io.EOF, i.e. every
// check passed.
func (b *Body) Complete() bool { return b.eof }

// Size returns the number of decoded bytes read so far (the object size once
// Complete).
func (b *Body) Size() int64 { return b.n }

// DecodedLength returns the length the client declared for the decoded body
// (Content-Length, or x-amz-decoded-content-length for aws-chunked), or -1
// if it declared none (HTTP chunked transfer without x-amz-decoded-content-length).
func (b *Body) DecodedLength() int64 { return b.declared }

// ContentEncoding returns the request's Content-Encoding with aws-chunked
// removed: what the object should be stored with ("" if nothing remains).
func (b *Body) ContentEncoding() string { return b.encoding }

// Checksums returns the checksums computed over the decoded body, as
// (algorithm, base64 value): every algorithm the client sent a value for (as
// a header or trailer) or named in x-amz-sdk-checksum-algorithm /
// x-amz-checksum-algorithm. Nil until Complete.
func (b *Body) Checksums() []Checksum {
	if !b.eof || b.ck == nil {
		return nil
	}
	return b.ck.checksums
}

// MD5 returns the hex MD5 of the decoded body if it was computed
// ([VerifyOptions.ComputeMD5] or a Content-MD5 header), "" otherwise or
// before Complete.
func (b *Body) MD5() string {
	if !b.eof || b.ck == nil {
		return ""
	}
	return b.ck.md5Hex
}

// newBody builds the verifying body of an authenticated request. buffered is
// the body already read for PayloadUnknown (else nil).
// checksumHeaders says whether the request has any x-amz-checksum-*,
// x-amz-sdk-checksum-algorithm or x-amz-trailer header.
func newBody(r *http.Request, a *Auth, opt *VerifyOptions, key *[32]byte, buffered []byte, checksumHeaders bool) (*Body, *Error) {
	src := r.Body
	if src == nil {
		src = http.NoBody
	}
	b := &Body{src: src, r: src, declared: r.ContentLength}
	if buffered != nil {
		b.r = bytes.NewReader(buffered)
		b.declared = int64(len(buffered))
	}
	if b.declared < 0 {
		b.declared = -1
	}

	// Content-Encoding: aws-chunked marks the framing; the rest is the
	// object's own encoding.
	ce := r.Header["Content-Encoding"]
	awsChunked := false
	if len(ce) > 0 {
		var rest []string
		for _, v := range ce {
			for e := range strings.SplitSeq(v, ",") {
				e = strings.TrimSpace(e)
				if strings.EqualFold(e, "aws-chunked") {
					awsChunked = true
				} else if e != "" {
					rest = append(rest, e)
				}
			}
		}
		b.encoding = strings.Join(rest, ",")
	}
	if awsChunked && !a.Payload.Streaming() {
		return nil, newErr(CodeInvalidRequest, "Content-Encoding aws-chunked requires a STREAMING-* x-amz-content-sha256.")
	}

	if checksumHeaders {
		sums, err := collectChecksums(r.Header, a.Payload == PayloadStreamingSignedTrailer || a.Payload == PayloadStreamingUnsignedTrailer)
		if err != nil {
			return nil, err
		}
		for i := range sums {
			sums[i].h = sums[i].algo.new()
		}
		b.check().sums = sums
	}

	if vs := r.Header["Content-Md5"]; len(vs) > 0 {
		want, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(vs[0]))
		if derr != nil || len(want) != md5.Size || len(vs) > 1 {
			return nil, newErr(CodeInvalidDigest, "The Content-MD5 you specified was invalid.")
		}
		b.check().wantMD5 = want
	}
	if b.ck != nil && b.ck.wantMD5 != nil || opt.ComputeMD5 {
		b.check().md5 = md5.New()
	}

	switch a.Payload {
	case PayloadSHA256:
		if b.declared == 0 && buffered == nil {
			// Nothing to stream: decide now (GET, HEAD, DELETE...).
			if a.ContentSHA256 != emptySHA256 && !strings.EqualFold(a.ContentSHA256, emptySHA256) {
				return nil, newErr(CodeXAmzContentSHA256Mismatch, "The provided 'x-amz-content-sha256' header does not match what was computed.")
			}
		} else {
			ck := b.check()
			decodeSig(a.ContentSHA256, &ck.wantSHA)
			ck.sha = sha256.New()
		}
	case PayloadStreamingSigned, PayloadStreamingSignedTrailer, PayloadStreamingUnsignedTrailer:
		b.declared = -1
		if vs := r.Header["X-Amz-Decoded-Content-Length"]; len(vs) > 0 {
			n, perr := strconv.ParseInt(vs[0], 10, 64)
			if perr != nil || n < 0 || len(vs) > 1 {
				return nil, &Error{Code: CodeInvalidArgument, Status: statusOf(CodeInvalidArgument),
					Message: "x-amz-decoded-content-length is not a valid length.", ArgumentName: "x-amz-decoded-content-length", ArgumentValue: clip(vs[0])}
			}
			b.declared = n
		}
		maxChunk := opt.MaxChunkSize
		if maxChunk <= 0 {
			maxChunk = DefaultMaxChunkSize
		}
		d := newChunkDecoder(src, a.Payload, maxChunk)
		if d.signed {
			d.key = *key
			d.amzDate, d.scope = a.amzDate, a.scope
			d.prev = a.sig
		}
		if b.ck != nil {
			d.sums = b.ck.sums
		}
		b.dec, b.r = d, d
	}
	return b, nil
}
