package sts

import (
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// Namespace is the XML namespace of every STS response.
const Namespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// expirationLayout is how Credentials/Expiration is written: RFC 3339, UTC, whole seconds.
const expirationLayout = "2006-01-02T15:04:05Z"

// xmlBuf builds a response body. The documents are small and fixed in shape, so they are written
// directly rather than through encoding/xml's reflection (AssumeRole is a hot path).
type xmlBuf []byte

func (b *xmlBuf) raw(s string) { *b = append(*b, s...) }

// elem writes <name>escaped text</name>.
func (b *xmlBuf) elem(name, text string) {
	*b = append(*b, '<')
	*b = append(*b, name...)
	*b = append(*b, '>')
	b.text(text)
	*b = append(*b, "</"...)
	*b = append(*b, name...)
	*b = append(*b, '>')
}

// text appends s escaped for XML character data. Characters XML 1.0 cannot carry are replaced
// with U+FFFD, as encoding/xml does.
func (b *xmlBuf) text(s string) {
	i := 0
	for i < len(s) && plain(s[i]) { // most text (keys, tokens, ARNs) needs no escaping
		i++
	}
	*b = append(*b, s[:i]...)
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '<':
				b.raw("&lt;")
			case c == '>':
				b.raw("&gt;")
			case c == '&':
				b.raw("&amp;")
			case c == '"':
				b.raw("&#34;")
			case c == '\'':
				b.raw("&#39;")
			case c == '\r':
				b.raw("&#xD;")
			case c == '\n' || c == '\t' || c >= 0x20:
				*b = append(*b, c)
			default:
				*b = append(*b, "\uFFFD"...)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 || r == 0xFFFE || r == 0xFFFF {
			*b = append(*b, "\uFFFD"...)
		} else {
			*b = append(*b, s[i:i+n]...)
		}
		i += n
	}
}

// plain reports whether c is copied as is: printable ASCII other than the escaped characters.
func plain(c byte) bool {
	return c >= 0x20 && c < utf8.RuneSelf && c != '<' && c != '>' && c != '&' && c != '"' && c != '\''
}

func (b *xmlBuf) open(action string) {
	if cap(*b) == 0 {
		*b = make([]byte, 0, 2048) // a token answer is about 1.5 KB
	}
	b.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<")
	b.raw(action)
	b.raw(`Response xmlns="` + Namespace + `"><`)
	b.raw(action)
	b.raw("Result>")
}

func (b *xmlBuf) close(action, requestID string) {
	b.raw("</")
	b.raw(action)
	b.raw("Result><ResponseMetadata>")
	b.elem("RequestId", requestID)
	b.raw("</ResponseMetadata></")
	b.raw(action)
	b.raw("Response>\n")
}

func (b *xmlBuf) credentials(keyID, secret, token string, exp time.Time) {
	b.raw("<Credentials>")
	b.elem("AccessKeyId", keyID)
	b.elem("SecretAccessKey", secret)
	b.elem("SessionToken", token)
	b.elem("Expiration", exp.UTC().Format(expirationLayout))
	b.raw("</Credentials>")
}

func writeXML(w http.ResponseWriter, status int, requestID string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("x-amzn-RequestId", requestID)
	// Credentials must not be cached by anything between the client and us.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError writes the STS error envelope:
// <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>.
func writeError(w http.ResponseWriter, e *Error, requestID string) {
	var b xmlBuf
	b.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ErrorResponse xmlns="` + Namespace + `"><Error>`)
	if e.Receiver {
		b.elem("Type", "Receiver")
	} else {
		b.elem("Type", "Sender")
	}
	b.elem("Code", e.Code)
	b.elem("Message", e.Message)
	b.raw("</Error>")
	b.elem("RequestId", requestID)
	b.raw("</ErrorResponse>\n")
	if e.Status == http.StatusServiceUnavailable || e.Code == CodeThrottling {
		w.Header().Set("Retry-After", "1")
	}
	writeXML(w, e.Status, requestID, b)
}
