package sigv4

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
	"strings"
	"sync"
)

// aws-chunked framing (S3 "Signature Calculations for the Authorization
// Header: Transferring Payload in Multiple Chunks"):
//
//	hex-size;chunk-signature=<64 hex>\r\n <data> \r\n     (signed modes)
//	hex-size\r\n <data> \r\n                              (unsigned trailer mode)
//	...
//	0[;chunk-signature=...]\r\n
//	[trailer-name:value\r\n ... x-amz-trailer-signature:<64 hex>\r\n]
//	\r\n
//
// Clients differ in the details after the final chunk: minio-go ends each
// trailer with "\n" and adds extra "\r\n" lines, so everything after the
// zero-size chunk is read as lines up to the end of the body, empty lines
// are ignored, and the body must end with an empty line.

const (
	// DefaultMaxChunkSize bounds one aws-chunked chunk. Clients use 8 KiB to
	// a few MiB; the bound only protects the parser.
	DefaultMaxChunkSize = 16 << 20

	chunkLineBuf    = 4 << 10  // longest chunk-size or trailer line
	maxTrailerBytes = 16 << 10 // everything after the final chunk
	maxTrailerLines = 64
)

var bufioPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, chunkLineBuf) }}

type chunkState uint8

const (
	stHeader chunkState = iota
	stData
	stDataEnd
	stTail
	stDone
)

// chunkDecoder decodes an aws-chunked body and checks the chunk and trailer
// signatures as it goes. Trailer values are handed to sums.
type chunkDecoder struct {
	br       *bufio.Reader
	signed   bool // chunk signatures present
	trailer  bool // a trailer section is allowed
	maxChunk int64

	// Signature chain (signed modes only).
	key     [32]byte
	amzDate string
	scope   string
	prev    [32]byte // previous signature: the seed, then each chunk's
	want    [32]byte // signature announced for the current chunk
	m       *macer
	ch      hash.Hash // SHA-256 of the current chunk
	sum     [32]byte
	sts     []byte
	tb      []byte // canonical trailer text for the trailer signature
	chunkNo int

	sums      []checksumState
	state     chunkState
	remaining int64
	err       error
}

func newChunkDecoder(src io.Reader, mode PayloadMode, maxChunk int64) *chunkDecoder {
	br := bufioPool.Get().(*bufio.Reader)
	br.Reset(src)
	d := &chunkDecoder{
		br:       br,
		signed:   mode == PayloadStreamingSigned || mode == PayloadStreamingSignedTrailer,
		trailer:  mode == PayloadStreamingSignedTrailer || mode == PayloadStreamingUnsignedTrailer,
		maxChunk: maxChunk,
	}
	if d.signed {
		d.m = newMacer()
		d.ch = sha256.New()
		d.sts = make([]byte, 0, 256)
	}
	return d
}

// release returns the line buffer to its pool; the decoder is unusable after.
func (d *chunkDecoder) release() {
	if d.br != nil {
		d.br.Reset(nil)
		bufioPool.Put(d.br)
		d.br = nil
	}
	if d.err == nil {
		d.err = errors.New("sigv4: read after close")
	}
}

func (d *chunkDecoder) fail(e *Error) error {
	d.err = e
	return e
}

// Read returns decoded bytes. A chunk's bytes are returned before its
// signature is checked (chunks may be megabytes); the check happens when the
// chunk ends, and any failure is returned before io.EOF.
func (d *chunkDecoder) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	for {
		switch d.state {
		case stHeader:
			if err := d.readHeader(); err != nil {
				return 0, d.fail(err)
			}
		case stData:
			if len(p) == 0 {
				return 0, nil
			}
			if int64(len(p)) > d.remaining {
				p = p[:d.remaining]
			}
			n, err := d.br.Read(p)
			if n > 0 {
				if d.signed {
					d.ch.Write(p[:n])
				}
				d.remaining -= int64(n)
				if d.remaining == 0 {
					d.state = stDataEnd
				}
				return n, nil
			}
			return 0, d.fail(readErr(err, "the body ended inside a chunk"))
		case stDataEnd:
			if err := d.expectCRLF(); err != nil {
				return 0, d.fail(err)
			}
			if d.signed {
				if err := d.checkChunk(); err != nil {
					return 0, d.fail(err)
				}
			}
			d.state = stHeader
		case stTail:
			if err := d.readTail(); err != nil {
				return 0, d.fail(err)
			}
			d.state = stDone
		case stDone:
			return 0, io.EOF
		}
	}
}

// readErr turns an error of the underlying body into an *Error.
func readErr(err error, what string) *Error {
	if err == nil || err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return newErr(CodeIncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header ("+what+").")
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeIncompleteBody, Status: statusOf(CodeIncompleteBody),
		Message: "The request body could not be read completely.", Err: err}
}

func errFraming(detail string) *Error {
	return newErr(CodeInvalidRequest, "Malformed aws-chunked body: "+detail+".")
}

// readLine returns the next line without its "\r\n" or "\n". ok is false at
// a clean end of the body (no bytes).
func (d *chunkDecoder) readLine() (line []byte, ok bool, e *Error) {
	line, err := d.br.ReadSlice('\n')
	switch {
	case err == nil:
	case errors.Is(err, bufio.ErrBufferFull):
		return nil, false, errFraming("line too long")
	case err == io.EOF && len(line) == 0:
		return nil, false, nil
	default:
		return nil, false, readErr(err, "the body ended inside a chunk header")
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, true, nil
}

func (d *chunkDecoder) readHeader() *Error {
	line, ok, err := d.readLine()
	if err != nil {
		return err
	}
	if !ok {
		return newErr(CodeIncompleteBody, "The aws-chunked body ended before its final chunk.")
	}
	sizeEnd := len(line)
	for i, c := range line {
		if c == ';' {
			sizeEnd = i
			break
		}
	}
	if sizeEnd == 0 {
		return errFraming("missing chunk size")
	}
	var size int64
	for _, c := range line[:sizeEnd] {
		v, ok := unhex(c)
		if !ok {
			return errFraming("bad chunk size")
		}
		size = size<<4 | int64(v)
		if size > d.maxChunk {
			return newErr(CodeInvalidRequest, "aws-chunked chunk exceeds the maximum chunk size.")
		}
	}
	ext := line[sizeEnd:]
	if d.signed {
		const prefix = ";chunk-signature="
		if len(ext) != len(prefix)+64 || string(ext[:len(prefix)]) != prefix {
			return newErr(CodeIncompleteSignature, "The aws-chunked chunk is missing its chunk-signature.")
		}
		if !decodeSig(ext[len(prefix):], &d.want) {
			return newErr(CodeIncompleteSignature, "The chunk-signature must be 64 hexadecimal characters.")
		}
	}
	d.chunkNo++
	if size == 0 {
		if d.signed {
			d.ch.Reset()
			if err := d.checkChunk(); err != nil {
				return err
			}
		}
		d.state = stTail
		return nil
	}
	if d.signed {
		d.ch.Reset()
	}
	d.remaining = size
	d.state = stData
	return nil
}

func (d *chunkDecoder) expectCRLF() *Error {
	c1, err := d.br.ReadByte()
	if err != nil {
		return readErr(err, "the body ended after a chunk")
	}
	c2, err := d.br.ReadByte()
	if err != nil {
		return readErr(err, "the body ended after a chunk")
	}
	if c1 != '\r' || c2 != '\n' {
		return errFraming("chunk data is not followed by CRLF (the chunk size is wrong)")
	}
	return nil
}

// checkChunk verifies the signature of the chunk just read:
// HMAC(key, "AWS4-HMAC-SHA256-PAYLOAD\n" + date + "\n" + scope + "\n" +
// previous signature + "\n" + hex(sha256("")) + "\n" + hex(sha256(chunk))).
func (d *chunkDecoder) checkChunk() *Error {
	sum := d.ch.Sum(d.sum[:0])
	b := append(d.sts[:0], "AWS4-HMAC-SHA256-PAYLOAD\n"...)
	b = append(b, d.amzDate...)
	b = append(b, '\n')
	b = append(b, d.scope...)
	b = append(b, '\n')
	b = appendHex(b, d.prev[:])
	b = append(b, '\n')
	b = append(b, emptySHA256...)
	b = append(b, '\n')
	b = appendHex(b, sum)
	d.sts = b
	got := d.m.mac(d.key[:], b)
	if !equal32(&got, &d.want) {
		return &Error{Code: CodeSignatureDoesNotMatch, Status: statusOf(CodeSignatureDoesNotMatch),
			Message:      "The chunk signature we calculated does not match the signature you provided (chunk " + itoa(d.chunkNo) + ").",
			StringToSign: string(b), SignatureProvided: string(appendHex(nil, d.want[:]))}
	}
	d.prev = d.want
	return nil
}

// readTail reads what follows the final chunk: trailers (in trailer modes),
// the trailer signature (signed trailer mode) and the closing empty line.
func (d *chunkDecoder) readTail() *Error {
	var (
		total     int
		lines     int
		lastEmpty bool
		sigSeen   bool
		sig       [32]byte
	)
	d.tb = d.tb[:0]
	for {
		line, ok, err := d.readLine()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		total += len(line) + 2
		lines++
		if total > maxTrailerBytes || lines > maxTrailerLines {
			return newErr(CodeInvalidRequest, "The aws-chunked trailer is too large.")
		}
		if len(line) == 0 {
			lastEmpty = true
			continue
		}
		lastEmpty = false
		if !d.trailer {
			return errFraming("unexpected data after the final chunk")
		}
		name, value, found := strings.Cut(string(line), ":")
		if !found {
			return errFraming("a trailer line has no ':'")
		}
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		if name == "x-amz-trailer-signature" {
			if !d.signed || sigSeen {
				return errFraming("unexpected x-amz-trailer-signature")
			}
			if !decodeSig(value, &sig) {
				return newErr(CodeIncompleteSignature, "The x-amz-trailer-signature must be 64 hexadecimal characters.")
			}
			sigSeen = true
			continue
		}
		if sigSeen {
			return errFraming("a trailer follows x-amz-trailer-signature")
		}
		if d.signed {
			d.tb = append(d.tb, name...)
			d.tb = append(d.tb, ':')
			d.tb = append(d.tb, value...)
			d.tb = append(d.tb, '\n')
		}
		if err := d.takeTrailer(name, value); err != nil {
			return err
		}
	}
	if !lastEmpty {
		return newErr(CodeIncompleteBody, "The aws-chunked body ended without its final CRLF.")
	}
	if d.signed && d.trailer {
		if !sigSeen {
			return newErr(CodeIncompleteSignature, "The aws-chunked body is missing x-amz-trailer-signature.")
		}
		// HMAC(key, "AWS4-HMAC-SHA256-TRAILER\n" + date + "\n" + scope + "\n" +
		// previous signature + "\n" + hex(sha256(trailer lines "name:value\n"))).
		th := d.m.sum256(d.tb)
		b := append(d.sts[:0], "AWS4-HMAC-SHA256-TRAILER\n"...)
		b = append(b, d.amzDate...)
		b = append(b, '\n')
		b = append(b, d.scope...)
		b = append(b, '\n')
		b = appendHex(b, d.prev[:])
		b = append(b, '\n')
		b = appendHex(b, th[:])
		d.sts = b
		got := d.m.mac(d.key[:], b)
		if !equal32(&got, &sig) {
			return &Error{Code: CodeSignatureDoesNotMatch, Status: statusOf(CodeSignatureDoesNotMatch),
				Message:      "The trailer signature we calculated does not match the signature you provided.",
				StringToSign: string(b), SignatureProvided: string(appendHex(nil, sig[:]))}
		}
	}
	return nil
}

func (d *chunkDecoder) takeTrailer(name, value string) *Error {
	for i := range d.sums {
		st := &d.sums[i]
		if st.algo.header != name || !st.trailer {
			continue
		}
		if st.received {
			return errFraming("the trailer " + name + " appears twice")
		}
		want, ok := decodeChecksumValue(st.algo, value)
		if !ok {
			return newErr(CodeInvalidRequest, "Value for "+name+" trailing header is invalid.")
		}
		st.want, st.received = want, true
		return nil
	}
	if strings.HasPrefix(name, "x-amz-checksum-") && lookupChecksumHeader(name) == nil {
		return errUnknownChecksum(name[len("x-amz-checksum-"):])
	}
	return newErr(CodeInvalidRequest, "The trailer \""+clip(name)+"\" was not declared in x-amz-trailer.")
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
