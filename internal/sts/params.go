package sts

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxBodyBytes caps an STS request body (DESIGN.md §10): a maximal 10,240-character policy
// URL-encoded is about 30 KB. A larger body is refused with RequestEntityTooLarge (413) as soon
// as its Content-Length says so, or after reading MaxBodyBytes+1 bytes when it does not.
const MaxBodyBytes = 64 << 10

// APIVersion is the only Version the Query API accepts.
const APIVersion = "2011-06-15"

// The operations this package serves.
const (
	ActionAssumeRole        = "AssumeRole"
	ActionGetCallerIdentity = "GetCallerIdentity"
	ActionGetSessionToken   = "GetSessionToken"
	ActionGetAccessKeyInfo  = "GetAccessKeyInfo"
)

func knownAction(a string) bool {
	switch a {
	case ActionAssumeRole, ActionGetCallerIdentity, ActionGetSessionToken, ActionGetAccessKeyInfo:
		return true
	}
	return false
}

// params are a request's Query API parameters, each present at most once.
type params map[string]string

func (p params) get(name string) (string, bool) {
	v, ok := p[name]
	return v, ok
}

// parseParams collects the parameters from the query string and, for a form POST, the body.
// SigV4 query parameters (X-Amz-*) are authentication, not input. A name given twice, in one
// place or across both, is a ValidationError: AWS would take one of them, and which one a
// client meant is a guess we decline to make.
func parseParams(r *http.Request, body []byte) (params, *Error) {
	p := make(params, 8)
	if err := addForm(p, r.URL.RawQuery, true); err != nil {
		return nil, err
	}
	if len(body) > 0 {
		if r.Method != http.MethodPost {
			return nil, errValidation("A " + r.Method + " request carries its parameters in the query string, not in a body.")
		}
		if ct := r.Header.Get("Content-Type"); ct != "" {
			mt, _, _ := strings.Cut(ct, ";")
			if !strings.EqualFold(strings.TrimSpace(mt), "application/x-www-form-urlencoded") {
				return nil, errValidation("The request body must be application/x-www-form-urlencoded, not " + quote(mt) + ".")
			}
		}
		if err := addForm(p, string(body), false); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func quote(s string) string { return "'" + echo(s) + "'" }

func addForm(p params, s string, query bool) *Error {
	for s != "" {
		var part string
		part, s, _ = strings.Cut(s, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return errValidation("The parameter " + quote(k) + " is not correctly URL-encoded.")
		}
		if query && len(key) > 6 && strings.EqualFold(key[:6], "X-Amz-") {
			continue
		}
		if _, dup := p[key]; dup {
			return errValidation("1 validation error detected: Parameter " + quote(key) + " was supplied more than once; each parameter may appear only once.")
		}
		p[key] = val
	}
	return nil
}

// Constraint texts, as AWS words them.
func minLen(n int) string {
	return "Member must have length greater than or equal to " + strconv.Itoa(n)
}
func maxLen(n int) string { return "Member must have length less than or equal to " + strconv.Itoa(n) }
func minVal(n int) string {
	return "Member must have value greater than or equal to " + strconv.Itoa(n)
}
func maxVal(n int) string     { return "Member must have value less than or equal to " + strconv.Itoa(n) }
func pattern(p string) string { return "Member must satisfy regular expression pattern: " + p }

// Patterns of the STS API model, quoted in messages exactly as AWS does.
const (
	patText        = `[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`
	patSessionName = `[\w+=,.@-]*`
	patExternalID  = `[\w+=,.@:\/-]*`
	patSerial      = `[\w+=/:,.@-]*`
	patTokenCode   = `[\d]*`
	patTagKey      = `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`
	patTagValue    = `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
	patKeyID       = `[\w]*`
)

func isWord(c rune) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// allRunes reports whether s is valid UTF-8 made only of runes ok accepts.
func allRunes(s string, ok func(rune) bool) bool {
	for i := 0; i < len(s); {
		c, n := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && n == 1 || !ok(c) {
			return false
		}
		i += n
	}
	return true
}

func textRune(c rune) bool {
	return c == '\t' || c == '\n' || c == '\r' || c >= 0x20 && c <= 0x7E || c == 0x85 ||
		c >= 0xA0 && c <= 0xD7FF || c >= 0xE000 && c <= 0xFFFD || c >= 0x10000 && c <= 0x10FFFF
}

func sessionNameRune(c rune) bool { return isWord(c) || strings.ContainsRune("+=,.@-", c) }
func externalIDRune(c rune) bool  { return isWord(c) || strings.ContainsRune("+=,.@:/-", c) }
func serialRune(c rune) bool      { return isWord(c) || strings.ContainsRune("+=/:,.@-", c) }
func digitRune(c rune) bool       { return c >= '0' && c <= '9' }
func tagRune(c rune) bool {
	return unicode.IsLetter(c) || unicode.In(c, unicode.Z) || unicode.IsNumber(c) || strings.ContainsRune("_.:/=+-@", c)
}

// str checks an optional string parameter against length bounds and a character rule. It
// returns the value and whether it was present.
func (v *validation) str(p params, name, member string, min, max int, ok func(rune) bool, pat string) (string, bool) {
	s, present := p.get(name)
	if !present {
		return "", false
	}
	v.check(s, member, min, max, ok, pat)
	return s, true
}

func (v *validation) check(s, member string, min, max int, ok func(rune) bool, pat string) {
	n := utf8.RuneCountInString(s)
	switch {
	case n < min:
		v.add(member, s, minLen(min))
	case n > max:
		v.add(member, s, maxLen(max))
	}
	if s != "" && !allRunes(s, ok) {
		v.add(member, s, pattern(pat))
	}
}

// required is str for a parameter that must be present.
func (v *validation) required(p params, name, member string, min, max int, ok func(rune) bool, pat string) string {
	s, present := v.str(p, name, member, min, max, ok, pat)
	if !present {
		v.null(member)
	}
	return s
}

// integer parses an optional integer parameter within [min, max].
func (v *validation) integer(p params, name, member string, min, max int) (int, bool) {
	s, present := p.get(name)
	if !present {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || strings.HasPrefix(s, "+") {
		v.add(member, s, "Member must be an integer")
		return 0, false
	}
	switch {
	case n < min:
		v.add(member, s, minVal(min))
	case n > max:
		v.add(member, s, maxVal(max))
	}
	return n, true
}

// list returns how many members of the list "<prefix>.member.N…" are present, checking that
// indexes are decimal from 1 and the highest is at most limit. Callers walk 1..N and report a
// missing member as null.
func (v *validation) list(p params, prefix, member string, limit int) int {
	pre := prefix + ".member."
	highest := 0
	for k := range p {
		rest, ok := strings.CutPrefix(k, pre)
		if !ok {
			continue
		}
		idx, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(idx)
		if err != nil || n < 1 || strings.HasPrefix(idx, "+") || strings.HasPrefix(idx, "0") {
			v.add(member, k, "Member must be a list index of the form "+pre+"N with N from 1")
			return 0
		}
		highest = max(highest, n)
	}
	if highest > limit {
		v.add(member, "list of "+strconv.Itoa(highest)+" members", maxLen(limit))
		return 0
	}
	return highest
}
