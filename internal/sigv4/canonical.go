package sigv4

import (
	"net/http"
	"slices"
	"strings"
)

// The canonical request (AWS SigV4 "Create a canonical request"):
//
//	METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n PayloadHash
//
// Everything here appends into caller-owned buffers: no fmt, no maps, no
// per-request allocations on the common path.

const upperhex = "0123456789ABCDEF"

// unreserved reports the RFC 3986 unreserved characters, which SigV4 never
// percent-encodes.
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func appendEncoded(b []byte, c byte) []byte {
	if unreserved(c) {
		return append(b, c)
	}
	return append(b, '%', upperhex[c>>4], upperhex[c&15])
}

// appendCanonicalEscaped re-encodes an already percent-encoded string with
// SigV4's rules: every %XX is decoded and re-encoded (so %7e becomes ~ and
// %2f stays %2F), unreserved bytes stay, and everything else is encoded.
// keepSlash keeps a literal '/' (paths); plusSpace decodes '+' as a space
// (query strings, as Go's net/url does).
func appendCanonicalEscaped(b []byte, s string, keepSlash, plusSpace bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s):
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				b = appendEncoded(b, hi<<4|lo)
				i += 2
				continue
			}
			b = appendEncoded(b, c)
		case c == '/' && keepSlash:
			b = append(b, c)
		case c == '+' && plusSpace:
			b = append(b, "%20"...)
		default:
			b = appendEncoded(b, c)
		}
	}
	return b
}

// appendCanonicalURI appends the canonical URI of r. S3 signs the path as
// sent (keys may contain "//", ".", "..", spaces and any UTF-8), so the
// escaped path is only re-encoded. Other services sign the path with dot
// segments removed and repeated slashes collapsed (RFC 3986 section 5.2.4).
func appendCanonicalURI(b []byte, r *http.Request, normalize bool) []byte {
	if r.URL == nil {
		return append(b, '/')
	}
	if !normalize {
		p := r.URL.RawPath
		if p == "" {
			p = r.URL.Path
			if !needsEscape(p) {
				if p == "" {
					return append(b, '/')
				}
				return append(b, p...)
			}
			for i := 0; i < len(p); i++ {
				if c := p[i]; c == '/' {
					b = append(b, c)
				} else {
					b = appendEncoded(b, c)
				}
			}
			return b
		}
		// RawPath is set only when the wire encoding differs from Go's
		// default one (e.g. %2F inside a key); trust it if it is valid.
		p = r.URL.EscapedPath()
		if p == "" {
			return append(b, '/')
		}
		return appendCanonicalEscaped(b, p, true, false)
	}
	return appendNormalizedPath(b, r.URL.Path)
}

func needsEscape(p string) bool {
	for i := 0; i < len(p); i++ {
		if c := p[i]; c != '/' && !unreserved(c) {
			return true
		}
	}
	return false
}

// appendNormalizedPath removes "." and ".." segments and empty segments of a
// decoded path and appends it encoded; a trailing slash is kept.
func appendNormalizedPath(b []byte, p string) []byte {
	start := len(b)
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "", ".":
			continue
		case "..":
			j := len(b)
			for j > start && b[j-1] != '/' {
				j--
			}
			if j > start {
				j--
			}
			b = b[:j]
			continue
		}
		b = append(b, '/')
		for i := 0; i < len(seg); i++ {
			b = appendEncoded(b, seg[i])
		}
	}
	if len(b) == start || strings.HasSuffix(p, "/") {
		b = append(b, '/')
	}
	return b
}

// qpair locates one canonical "key=value" inside the scratch query buffer.
type qpair struct{ k0, k1, v1 int32 }

// appendCanonicalQuery appends the sorted, encoded query of a request. For
// presigned URLs X-Amz-Signature is left out, and with skipToken also
// X-Amz-Security-Token. qb and pairs are scratch
// buffers; the grown versions are returned for reuse.
func appendCanonicalQuery(b []byte, raw string, presigned, skipToken bool, qb []byte, pairs []qpair) ([]byte, []byte, []qpair) {
	if raw == "" {
		return b, qb, pairs
	}
	qb, pairs = qb[:0], pairs[:0]
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k0 := len(qb)
		qb = appendCanonicalEscaped(qb, k, false, true)
		k1 := len(qb)
		if presigned && string(qb[k0:k1]) == "X-Amz-Signature" || skipToken && string(qb[k0:k1]) == "X-Amz-Security-Token" {
			qb = qb[:k0]
			continue
		}
		qb = appendCanonicalEscaped(qb, v, false, true)
		pairs = append(pairs, qpair{int32(k0), int32(k1), int32(len(qb))})
	}
	cmp := func(x, y qpair) int {
		if c := strings.Compare(string(qb[x.k0:x.k1]), string(qb[y.k0:y.k1])); c != 0 {
			return c
		}
		return strings.Compare(string(qb[x.k1:x.v1]), string(qb[y.k1:y.v1]))
	}
	if len(pairs) <= 12 {
		for i := 1; i < len(pairs); i++ {
			for j := i; j > 0 && cmp(pairs[j-1], pairs[j]) > 0; j-- {
				pairs[j-1], pairs[j] = pairs[j], pairs[j-1]
			}
		}
	} else {
		slices.SortFunc(pairs, cmp)
	}
	for i, p := range pairs {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, qb[p.k0:p.k1]...)
		b = append(b, '=')
		b = append(b, qb[p.k1:p.v1]...)
	}
	return b, qb, pairs
}

// appendHeaderValue appends a header value with leading and trailing
// whitespace removed and runs of spaces collapsed to one.
func appendHeaderValue(b []byte, v string) []byte {
	if len(v) > 0 && v[0] != ' ' && v[0] != '\t' && v[len(v)-1] != ' ' && v[len(v)-1] != '\t' && !strings.Contains(v, "  ") {
		return append(b, v...) // the common case: nothing to trim or collapse
	}
	v = strings.Trim(v, " \t")
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			space = true
			continue
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		b = append(b, c)
	}
	return b
}

// headerValues returns the values of the lower-case header name without
// allocating: the canonical MIME form is built in a stack buffer and the map
// lookup on string(bytes) does not copy.
func headerValues(h http.Header, name string) []string {
	var kb [128]byte
	if len(name) > len(kb) {
		return h.Values(name)
	}
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		kb[i] = c
		upper = c == '-'
	}
	return h[string(kb[:len(name)])]
}

// appendCanonicalHeaders appends "name:value\n" for every signed header.
func appendCanonicalHeaders(b []byte, r *http.Request, signed []string) []byte {
	for _, name := range signed {
		b = append(b, name...)
		b = append(b, ':')
		switch name {
		case "host":
			host := r.Host
			if host == "" && r.URL != nil {
				host = r.URL.Host
			}
			b = appendHeaderValue(b, host)
		case "transfer-encoding":
			// net/http moves Transfer-Encoding out of the header map.
			if vs := r.Header["Transfer-Encoding"]; len(vs) > 0 {
				b = appendJoined(b, vs)
			} else {
				b = appendJoined(b, r.TransferEncoding)
			}
		default:
			b = appendJoined(b, headerValues(r.Header, name))
		}
		b = append(b, '\n')
	}
	return b
}

func appendJoined(b []byte, vs []string) []byte {
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendHeaderValue(b, v)
	}
	return b
}

// appendHex appends the lower-case hex form of src.
func appendHex(b []byte, src []byte) []byte {
	const lowerhex = "0123456789abcdef"
	for _, c := range src {
		b = append(b, lowerhex[c>>4], lowerhex[c&15])
	}
	return b
}
