package s3action

import (
	"errors"
	"math/bits"
	"sort"
)

// Action is one s3: action of the IAM policy language, such as s3:GetObject. The zero value is
// None. Values are small integers and cheap to compare; they are stable within one build only,
// so store and transmit Name(), never the number.
type Action uint16

// ResourceKind says what kind of resource an action or a requirement applies to.
type ResourceKind uint8

const (
	// ResourceService: the account as a whole, written "*" in a policy (s3:ListAllMyBuckets).
	ResourceService ResourceKind = iota + 1
	// ResourceBucket: arn:aws:s3:::bucket.
	ResourceBucket
	// ResourceObject: arn:aws:s3:::bucket/key.
	ResourceObject
	// ResourceOther: S3 Control resources Hourglass does not serve (access points, batch jobs,
	// Storage Lens, Access Grants, Multi-Region Access Points, account settings).
	ResourceOther
)

func (k ResourceKind) String() string {
	switch k {
	case ResourceService:
		return "service"
	case ResourceBucket:
		return "bucket"
	case ResourceObject:
		return "object"
	case ResourceOther:
		return "other"
	}
	return "unknown"
}

type actionInfo struct {
	name string // without the "s3:" prefix, in AWS's spelling
	kind ResourceKind
}

// NumActions is the number of actions in the vocabulary (None excluded).
const NumActions = int(numActions) - 1

// Valid reports whether a is an action of the vocabulary (not None, not out of range).
func (a Action) Valid() bool { return a > None && a < numActions }

// Name returns the action's full name with its service prefix, e.g. "s3:GetObject", or "" for
// None and invalid values.
func (a Action) Name() string {
	if !a.Valid() {
		return ""
	}
	return fullNames[a]
}

// String returns Name(), or "s3action.Action(N)" for values outside the vocabulary.
func (a Action) String() string {
	if !a.Valid() {
		return "s3action.Action(" + itoa(int(a)) + ")"
	}
	return fullNames[a]
}

// Resource returns the kind of resource the action applies to.
func (a Action) Resource() ResourceKind {
	if !a.Valid() {
		return 0
	}
	return actionTable[a].kind
}

// All returns every action of the vocabulary in table order.
func All() []Action {
	out := make([]Action, 0, NumActions)
	for a := None + 1; a < numActions; a++ {
		out = append(out, a)
	}
	return out
}

var fullNames = func() (n [numActions]string) {
	for a := None + 1; a < numActions; a++ {
		n[a] = "s3:" + actionTable[a].name
	}
	return n
}()

// sorted holds the actions ordered by case-folded name, for Lookup's binary search.
var sorted = func() []Action {
	s := All()
	sort.Slice(s, func(i, j int) bool { return compareFold(actionTable[s[i]].name, actionTable[s[j]].name) < 0 })
	return s
}()

// Lookup finds an action by its full name ("s3:GetObject"). As in IAM, the match ignores case
// ("S3:getobject" is s3:GetObject). Wildcards are not expanded here: see MatchPattern.
// Lookup does not allocate.
func Lookup(name string) (Action, bool) {
	svc, rest, ok := cutColon(name)
	if !ok || !equalFold(svc, "s3") {
		return None, false
	}
	i := sort.Search(len(sorted), func(i int) bool { return compareFold(actionTable[sorted[i]].name, rest) >= 0 })
	if i < len(sorted) && compareFold(actionTable[sorted[i]].name, rest) == 0 {
		return sorted[i], true
	}
	return None, false
}

// Errors returned by MatchPattern. The policy package wraps them with the element they came from.
var (
	// ErrUnknownAction: the pattern is an s3: action pattern that matches no action.
	ErrUnknownAction = errors.New("s3action: unknown action")
	// ErrUnsupportedService: the pattern names a service other than s3. Hourglass accepts, as
	// Yandex Object Storage does, only s3: actions and the bare "*" in policies.
	ErrUnsupportedService = errors.New("s3action: unsupported service prefix")
	// ErrMalformedAction: the pattern is not of the form "service:name" or "*".
	ErrMalformedAction = errors.New("s3action: malformed action")
)

// ActionSet is a set of actions as a fixed-size bitset. The zero value is the empty set. It is
// a value type: copy it freely; Has does not allocate.
type ActionSet [(int(numActions) + 63) / 64]uint64

// Has reports whether a is in the set.
func (s *ActionSet) Has(a Action) bool {
	if a >= numActions {
		return false
	}
	return s[a/64]&(1<<(a%64)) != 0
}

// Add puts a in the set; None and invalid actions are ignored.
func (s *ActionSet) Add(a Action) {
	if a.Valid() {
		s[a/64] |= 1 << (a % 64)
	}
}

// Union adds every action of o to s.
func (s *ActionSet) Union(o ActionSet) {
	for i := range s {
		s[i] |= o[i]
	}
}

// Len returns the number of actions in the set.
func (s *ActionSet) Len() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// Actions returns the members of the set in table order.
func (s *ActionSet) Actions() []Action {
	var out []Action
	for a := None + 1; a < numActions; a++ {
		if s.Has(a) {
			out = append(out, a)
		}
	}
	return out
}

// AllActions returns the set of every action of the vocabulary.
func AllActions() ActionSet { return allSet }

var allSet = func() (s ActionSet) {
	for a := None + 1; a < numActions; a++ {
		s.Add(a)
	}
	return s
}()

// MatchPattern expands an Action element value of a policy into the set of actions it names.
// "*" and "s3:*" name every action; otherwise the part after "s3:" is matched, ignoring case,
// against every action name with "*" (any run of characters) and "?" (one character), so
// "s3:Get*", "s3:?etObject" and "s3:getobject" all work.
//
// Errors: ErrMalformedAction when the pattern has no "service:" part; ErrUnsupportedService
// when the service part does not match "s3" (iam:*, sts:AssumeRole — Hourglass, like Yandex
// Object Storage, accepts only S3 actions); ErrUnknownAction when an s3: pattern matches
// nothing. Errors are wrapped with the pattern (fmt-free to keep the leaf small).
func MatchPattern(pattern string) (ActionSet, error) {
	if pattern == "*" {
		return allSet, nil
	}
	svc, rest, ok := cutColon(pattern)
	if !ok || svc == "" || rest == "" {
		return ActionSet{}, &patternError{pattern, ErrMalformedAction}
	}
	if !globFold(svc, "s3") {
		return ActionSet{}, &patternError{pattern, ErrUnsupportedService}
	}
	var s ActionSet
	for a := None + 1; a < numActions; a++ {
		if globFold(rest, actionTable[a].name) {
			s.Add(a)
		}
	}
	if s == (ActionSet{}) {
		return s, &patternError{pattern, ErrUnknownAction}
	}
	return s, nil
}

type patternError struct {
	pattern string
	err     error
}

func (e *patternError) Error() string { return e.err.Error() + ": " + quote(e.pattern) }
func (e *patternError) Unwrap() error { return e.err }

func cutColon(s string) (before, after string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == ':' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func equalFold(a, b string) bool { return len(a) == len(b) && compareFold(a, b) == 0 }

// compareFold compares ASCII strings ignoring case; action names are ASCII.
func compareFold(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := lower(a[i]), lower(b[i])
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// globFold matches name against pattern with "*" and "?" wildcards, ignoring ASCII case. It is
// the classic linear-time algorithm with one backtrack point.
func globFold(pattern, name string) bool {
	p, n := 0, 0
	starP, starN := -1, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			starP, starN = p, n
			p++
		case p < len(pattern) && (pattern[p] == '?' || lower(pattern[p]) == lower(name[n])):
			p++
			n++
		case starP >= 0:
			starN++
			p, n = starP+1, starN
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	pos := len(b)
	neg := i < 0
	if neg {
		i = -i
	}
	for i > 0 {
		pos--
		b[pos] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		pos--
		b[pos] = '-'
	}
	return string(b[pos:])
}

func quote(s string) string {
	const max = 128
	if len(s) > max {
		s = s[:max] + "…"
	}
	return "\"" + s + "\""
}
