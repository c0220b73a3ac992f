package policy

import (
	"strings"
	"unicode/utf8"

	"github.com/hourglass-sts/hourglass/internal/s3action"
)

// A pattern is a compiled Resource, NotResource or condition value: a sequence of literal runs,
// wildcards and policy variables. Matching walks the tokens against the candidate string and
// reads variable values straight from the Request, so nothing is concatenated or allocated
// unless a variable's value is not already a string.

type tokKind uint8

const (
	tokLit  tokKind = iota // literal text
	tokStar                // * : any run of characters, possibly empty
	tokOne                 // ? : exactly one character
	tokVar                 // ${key} or ${key, 'default'}
)

type token struct {
	kind   tokKind
	lit    string // tokLit
	key    s3action.Key
	suffix string // for prefix keys: the tag key
	def    string
	hasDef bool
}

type pattern struct {
	raw  string // as written in the policy, for explanations and ValidateForBucket
	toks []token
	// literal is set when the pattern has no wildcard and no variable: compare directly.
	literal bool
}

// parsePattern compiles s. wild says whether * and ? are wildcards (Resource, StringLike,
// ArnLike) or literal characters (StringEquals). vars says whether ${...} is a policy variable
// (Version 2012-10-17) or literal text (Version 2008-10-17 or absent). The returned message is
// empty on success.
func parsePattern(s string, wild, vars bool) (pattern, string) {
	p := pattern{raw: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.toks = append(p.toks, token{kind: tokLit, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case wild && c == '*':
			flush()
			if n := len(p.toks); n == 0 || p.toks[n-1].kind != tokStar { // ** is *
				p.toks = append(p.toks, token{kind: tokStar})
			}
			i++
		case wild && c == '?':
			flush()
			p.toks = append(p.toks, token{kind: tokOne})
			i++
		case vars && c == '$' && i+1 < len(s) && s[i+1] == '{':
			t, n, msg := parseVar(s[i:])
			if msg != "" {
				return p, msg
			}
			if t.kind == tokLit {
				lit.WriteString(t.lit)
			} else {
				flush()
				p.toks = append(p.toks, t)
			}
			i += n
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	p.literal = len(p.toks) == 0 || (len(p.toks) == 1 && p.toks[0].kind == tokLit)
	return p, ""
}

// parseVar parses "${...}" at the start of s: the escapes ${*} ${?} ${$} (literal characters)
// or a variable with an optional default, "${aws:username, 'nobody'}" (” inside the quotes is
// one quote). It returns the token, the number of bytes consumed and an error message.
func parseVar(s string) (token, int, string) {
	i := 2
	// The name runs to ',' or '}'.
	j := i
	for j < len(s) && s[j] != '}' && s[j] != ',' {
		j++
	}
	if j == len(s) {
		return token{}, 0, "unterminated policy variable in " + quote(s)
	}
	name := strings.TrimSpace(s[i:j])
	if s[j] == '}' {
		switch name {
		case "*", "?", "$":
			return token{kind: tokLit, lit: name}, j + 1, ""
		}
	}
	if name == "" {
		return token{}, 0, "empty policy variable"
	}
	k, suffix, ok := s3action.LookupKey(name)
	if !ok {
		return token{}, 0, "unknown policy variable " + quote(name)
	}
	if k.MultiValued() {
		return token{}, 0, "multivalued key " + quote(name) + " cannot be a policy variable"
	}
	t := token{kind: tokVar, key: k, suffix: suffix}
	if s[j] == '}' {
		return t, j + 1, ""
	}
	// Default value.
	j++
	for j < len(s) && s[j] == ' ' {
		j++
	}
	if j == len(s) || s[j] != '\'' {
		return token{}, 0, "policy variable default must be quoted with ' in " + quote(s)
	}
	j++
	var def strings.Builder
	for {
		if j >= len(s) {
			return token{}, 0, "unterminated policy variable default in " + quote(s)
		}
		if s[j] == '\'' {
			if j+1 < len(s) && s[j+1] == '\'' {
				def.WriteByte('\'')
				j += 2
				continue
			}
			j++
			break
		}
		def.WriteByte(s[j])
		j++
	}
	for j < len(s) && s[j] == ' ' {
		j++
	}
	if j == len(s) || s[j] != '}' {
		return token{}, 0, "unterminated policy variable in " + quote(s)
	}
	t.def, t.hasDef = def.String(), true
	return t, j + 1, ""
}

func (p *pattern) hasVars() bool {
	for _, t := range p.toks {
		if t.kind == tokVar {
			return true
		}
	}
	return false
}

// match reports whether s matches the pattern, fold says whether letters compare ignoring case.
// A variable that has no value in the request and no default makes the pattern match nothing,
// as in IAM ("the statement element evaluates as not matching").
func (p *pattern) match(s string, fold bool, req *Request) bool {
	if p.literal {
		lit := ""
		if len(p.toks) == 1 {
			lit = p.toks[0].lit
		}
		if fold {
			return strings.EqualFold(lit, s)
		}
		return lit == s
	}
	return matchToks(p.toks, s, fold, req)
}

// matchToks is a glob matcher with one backtracking point (the last star), linear in practice.
// Literal and variable tokens are matched as whole runs.
func matchToks(toks []token, s string, fold bool, req *Request) bool {
	ti, si := 0, 0
	starT, starS := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tokStar:
				if ti == len(toks)-1 {
					return true // a trailing star matches whatever is left
				}
				starT, starS = ti, si
				ti++
				continue
			case tokOne:
				if si < len(s) {
					_, size := decodeRune(s[si:])
					si += size
					ti++
					continue
				}
			case tokLit:
				if hasPrefix(s[si:], t.lit, fold) {
					si += len(t.lit)
					ti++
					continue
				}
			case tokVar:
				v, ok := req.varValue(t)
				if !ok {
					return false
				}
				if hasPrefix(s[si:], v, fold) {
					si += len(v)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		// Mismatch: let the last star absorb one more character, or fail.
		if starT < 0 || starS >= len(s) {
			return false
		}
		_, size := decodeRune(s[starS:])
		starS += size
		// Skip straight to the next place where the literal after the star can start.
		if next := &toks[starT+1]; next.kind == tokLit && !fold {
			j := strings.Index(s[starS:], next.lit)
			if j < 0 {
				return false
			}
			starS += j
		}
		ti, si = starT+1, starS
	}
}

func hasPrefix(s, prefix string, fold bool) bool {
	if len(s) < len(prefix) {
		return false
	}
	if fold {
		return strings.EqualFold(s[:len(prefix)], prefix)
	}
	return s[:len(prefix)] == prefix
}

// decodeRune returns the size of the first UTF-8 sequence so that ? matches one character, not
// one byte. Invalid bytes count as one character each.
func decodeRune(s string) (rune, int) { return utf8.DecodeRuneInString(s) }
