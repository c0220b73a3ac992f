package policy

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hourglass-sts/hourglass/internal/s3action"
)

// Kind says which rules a document is validated against.
type Kind uint8

const (
	// Session: a session policy passed to AssumeRole. Principal is optional and, when present,
	// must be "*"; NotPrincipal is not allowed.
	Session Kind = iota + 1
	// Bucket: a bucket policy. Every statement needs Principal or NotPrincipal.
	Bucket
)

func (k Kind) String() string {
	switch k {
	case Session:
		return "session"
	case Bucket:
		return "bucket"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Size limits: a session policy is at most 10,240 characters (Yandex's limit; AWS allows
// 2,048), a bucket policy at most 20 KiB (AWS's limit).
const (
	MaxSessionPolicyChars = 10240
	MaxBucketPolicyBytes  = 20 * 1024
)

// The Version values IAM knows. An absent Version means 2008-10-17: no policy variables.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Effect is a statement's effect and the outcome of an evaluation.
type Effect uint8

const (
	NoMatch Effect = iota // no statement applies
	Allow
	Deny
)

func (e Effect) String() string {
	switch e {
	case NoMatch:
		return "NoMatch"
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "Effect(" + strconv.Itoa(int(e)) + ")"
}

// Policy is a compiled, validated policy document. It is immutable and safe for concurrent use.
type Policy struct {
	kind    Kind
	version string
	id      string
	stmts   []statement
	// denyFirst lists statement indexes, Deny statements first, so that Evaluate can stop at
	// the first matching Deny and skip Allow statements once one has matched.
	order []int
	// keys marks every condition key the policy reads, in a condition or a policy variable.
	keys [4]uint64
}

// UsesKey reports whether the policy reads condition key k anywhere (a Condition, or a policy
// variable in a Resource or a condition value), so that callers can skip gathering costly
// context — such as an object's tags for s3:ExistingObjectTag — that no statement looks at.
func (p *Policy) UsesKey(k s3action.Key) bool {
	return int(k)/64 < len(p.keys) && p.keys[int(k)/64]&(1<<(uint(k)%64)) != 0
}

func (p *Policy) markKeys() {
	mark := func(k s3action.Key) {
		if int(k)/64 < len(p.keys) {
			p.keys[int(k)/64] |= 1 << (uint(k) % 64)
		}
	}
	markPattern := func(pt pattern) {
		for _, t := range pt.toks {
			if t.kind == tokVar {
				mark(t.key)
			}
		}
	}
	for _, st := range p.stmts {
		for _, r := range st.resources {
			markPattern(r)
		}
		for _, c := range st.conds {
			mark(c.key)
			for _, v := range c.strs {
				markPattern(v)
			}
		}
	}
}

// Kind returns the kind the policy was validated as.
func (p *Policy) Kind() Kind { return p.kind }

// Version returns the document's Version ("" when absent).
func (p *Policy) Version() string { return p.version }

// ID returns the document's Id ("" when absent).
func (p *Policy) ID() string { return p.id }

// Len returns the number of statements.
func (p *Policy) Len() int { return len(p.stmts) }

// Sid returns the Sid of statement i ("" when it has none).
func (p *Policy) Sid(i int) string { return p.stmts[i].sid }

type statement struct {
	elem   string // "Statement[i]" or "Statement", for errors
	sid    string
	effect Effect

	// Principal / NotPrincipal. hasPrincipal false means the statement names no principal
	// (session policies), which applies to every caller.
	hasPrincipal bool
	notPrincipal bool
	principal    principalMatcher

	notAction bool
	actions   s3action.ActionSet

	notResource bool
	resources   []pattern
	resElems    []string // element path of each resource, for ValidateForBucket

	conds []condition
}

// Parse validates and compiles a policy document of the given kind. maxSize ≤ 0 selects the
// default limit of the kind (MaxSessionPolicyChars characters for Session, MaxBucketPolicyBytes
// bytes for Bucket); a session limit counts characters, a bucket limit bytes. Every error is an
// *Error naming the offending element.
func Parse(doc []byte, kind Kind, maxSize int) (*Policy, error) {
	if kind != Session && kind != Bucket {
		return nil, newErr("", ErrInvalidValue, "unknown policy kind "+kind.String())
	}
	if maxSize <= 0 {
		maxSize = MaxSessionPolicyChars
		if kind == Bucket {
			maxSize = MaxBucketPolicyBytes
		}
	}
	size := len(doc)
	unit := "bytes"
	if kind == Session {
		size, unit = utf8.RuneCount(doc), "characters"
	}
	if size > maxSize {
		return nil, newErr("", ErrTooLarge, "policy has "+strconv.Itoa(size)+" "+unit+", the limit is "+strconv.Itoa(maxSize))
	}
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, newErr("", ErrEmpty, "empty policy document")
	}
	root, err := decodeTree(doc)
	if err != nil {
		return nil, err
	}
	if root.kind != kindObject {
		return nil, newErr("", ErrSyntax, "policy document must be a JSON object, not "+root.kindName())
	}
	if len(root.obj) == 0 {
		return nil, newErr("", ErrEmpty, "empty policy document")
	}
	p := &Policy{kind: kind}
	var stmtNode *node
	for _, m := range root.obj {
		switch m.key {
		case "Version":
			if m.val.kind != kindString {
				return nil, newErr("Version", ErrVersion, "Version must be a string")
			}
			if m.val.str != Version2012 && m.val.str != Version2008 {
				return nil, newErr("Version", ErrVersion, "Version must be "+Version2012+" or "+Version2008+", not "+quote(m.val.str))
			}
			p.version = m.val.str
		case "Id":
			if m.val.kind != kindString {
				return nil, newErr("Id", ErrInvalidValue, "Id must be a string")
			}
			p.id = m.val.str
		case "Statement":
			stmtNode = m.val
		default:
			return nil, newErr(m.key, ErrUnknownElement, "unknown element "+quote(m.key))
		}
	}
	if stmtNode == nil {
		return nil, newErr("Statement", ErrMissingElement, "missing Statement")
	}
	vars := p.version == Version2012
	switch stmtNode.kind {
	case kindObject:
		st, err := parseStatement(stmtNode, "Statement", kind, vars)
		if err != nil {
			return nil, err
		}
		p.stmts = append(p.stmts, st)
	case kindArray:
		for i, n := range stmtNode.arr {
			elem := "Statement[" + strconv.Itoa(i) + "]"
			if n.kind != kindObject {
				return nil, newErr(elem, ErrInvalidValue, "a statement must be an object, not "+n.kindName())
			}
			st, err := parseStatement(n, elem, kind, vars)
			if err != nil {
				return nil, err
			}
			p.stmts = append(p.stmts, st)
		}
	default:
		return nil, newErr("Statement", ErrInvalidValue, "Statement must be an object or a list, not "+stmtNode.kindName())
	}
	sids := map[string]int{}
	for i, st := range p.stmts {
		if st.sid == "" {
			continue
		}
		if j, dup := sids[st.sid]; dup {
			return nil, newErr(stmtElem(stmtNode, i)+".Sid", ErrInvalidValue, "Sid "+quote(st.sid)+" repeats statement "+strconv.Itoa(j))
		}
		sids[st.sid] = i
	}
	for i, st := range p.stmts {
		if st.effect == Deny {
			p.order = append(p.order, i)
		}
	}
	for i, st := range p.stmts {
		if st.effect == Allow {
			p.order = append(p.order, i)
		}
	}
	p.markKeys()
	return p, nil
}

func stmtElem(stmtNode *node, i int) string {
	if stmtNode.kind == kindObject {
		return "Statement"
	}
	return "Statement[" + strconv.Itoa(i) + "]"
}

func parseStatement(n *node, elem string, kind Kind, vars bool) (statement, error) {
	st := statement{elem: elem}
	var haveEffect, haveAction, haveResource bool
	for _, m := range n.obj {
		sub := elem + "." + m.key
		var err error
		switch m.key {
		case "Sid":
			if m.val.kind != kindString {
				return st, newErr(sub, ErrInvalidValue, "Sid must be a string")
			}
			st.sid = m.val.str
		case "Effect":
			if m.val.kind != kindString || (m.val.str != "Allow" && m.val.str != "Deny") {
				return st, newErr(sub, ErrInvalidValue, "Effect must be \"Allow\" or \"Deny\"")
			}
			st.effect = Allow
			if m.val.str == "Deny" {
				st.effect = Deny
			}
			haveEffect = true
		case "Principal", "NotPrincipal":
			if st.hasPrincipal {
				return st, newErr(sub, ErrInvalidValue, "a statement takes Principal or NotPrincipal, not both")
			}
			st.hasPrincipal, st.notPrincipal = true, m.key == "NotPrincipal"
			st.principal, err = parsePrincipal(m.val, sub, kind, st.notPrincipal)
		case "Action", "NotAction":
			if haveAction {
				return st, newErr(sub, ErrInvalidValue, "a statement takes Action or NotAction, not both")
			}
			haveAction, st.notAction = true, m.key == "NotAction"
			st.actions, err = parseActions(m.val, sub)
		case "Resource", "NotResource":
			if haveResource {
				return st, newErr(sub, ErrInvalidValue, "a statement takes Resource or NotResource, not both")
			}
			haveResource, st.notResource = true, m.key == "NotResource"
			st.resources, st.resElems, err = parseResources(m.val, sub, vars)
		case "Condition":
			st.conds, err = parseConditions(m.val, sub, vars)
		default:
			return st, newErr(sub, ErrUnknownElement, "unknown element "+quote(m.key))
		}
		if err != nil {
			return st, err
		}
	}
	switch {
	case !haveEffect:
		return st, newErr(elem+".Effect", ErrMissingElement, "missing Effect")
	case !haveAction:
		return st, newErr(elem+".Action", ErrMissingElement, "missing Action or NotAction")
	case !haveResource:
		return st, newErr(elem+".Resource", ErrMissingElement, "missing Resource or NotResource")
	case kind == Bucket && !st.hasPrincipal:
		return st, newErr(elem+".Principal", ErrMissingElement, "a bucket policy statement needs Principal or NotPrincipal")
	}
	return st, nil
}

// stringList accepts a string or a non-empty list of strings and calls fn with each one and its
// element path.
func stringList(n *node, elem string, fn func(s, elem string) error) error {
	switch n.kind {
	case kindString:
		return fn(n.str, elem)
	case kindArray:
		if len(n.arr) == 0 {
			return newErr(elem, ErrInvalidValue, "empty list")
		}
		for i, v := range n.arr {
			sub := elem + "[" + strconv.Itoa(i) + "]"
			if v.kind != kindString {
				return newErr(sub, ErrInvalidValue, "expected a string, not "+v.kindName())
			}
			if err := fn(v.str, sub); err != nil {
				return err
			}
		}
		return nil
	}
	return newErr(elem, ErrInvalidValue, "expected a string or a list of strings, not "+n.kindName())
}

func parseActions(n *node, elem string) (s3action.ActionSet, error) {
	var set s3action.ActionSet
	err := stringList(n, elem, func(s, sub string) error {
		as, err := s3action.MatchPattern(s)
		switch {
		case errors.Is(err, s3action.ErrUnknownAction):
			return newErr(sub, ErrUnknownAction, "unknown action "+quote(s))
		case errors.Is(err, s3action.ErrUnsupportedService):
			return newErr(sub, ErrUnknownAction, "unsupported action "+quote(s)+": only s3: actions and \"*\" are allowed")
		case err != nil:
			return newErr(sub, ErrUnknownAction, "malformed action "+quote(s))
		}
		set.Union(as)
		return nil
	})
	return set, err
}

const s3ArnPrefix = "arn:aws:s3:::"

func parseResources(n *node, elem string, vars bool) ([]pattern, []string, error) {
	var out []pattern
	var elems []string
	err := stringList(n, elem, func(s, sub string) error {
		if s != "*" && !strings.HasPrefix(s, s3ArnPrefix) {
			return newErr(sub, ErrInvalidResource, "resource must be \"*\" or start with "+quote(s3ArnPrefix)+": "+quote(s))
		}
		p, msg := parsePattern(s, true, vars)
		if msg != "" {
			return newErr(sub, ErrInvalidResource, msg)
		}
		out = append(out, p)
		elems = append(elems, sub)
		return nil
	})
	return out, elems, err
}

func parseConditions(n *node, elem string, vars bool) ([]condition, error) {
	if n.kind != kindObject {
		return nil, newErr(elem, ErrInvalidValue, "Condition must be an object, not "+n.kindName())
	}
	var out []condition
	for _, om := range n.obj {
		opElem := elem + "." + om.key
		code, negated, ifExists, set, ok := parseOperator(om.key)
		if !ok {
			return nil, newErr(opElem, ErrUnknownOperator, "unknown condition operator "+quote(om.key))
		}
		if om.val.kind != kindObject || len(om.val.obj) == 0 {
			return nil, newErr(opElem, ErrInvalidValue, "a condition operator takes a non-empty object of keys")
		}
		for _, km := range om.val.obj {
			keyElem := opElem + "." + km.key
			k, suffix, ok := s3action.LookupKey(km.key)
			if !ok {
				return nil, newErr(keyElem, ErrUnknownKey, "unknown condition key "+quote(km.key))
			}
			c := condition{op: om.key, code: code, negated: negated, ifExists: ifExists, set: set,
				key: k, suffix: suffix, keyName: km.key}
			add := func(v *node, sub string) error {
				var text string
				switch v.kind {
				case kindString, kindNumber:
					text = v.str
				case kindBool:
					text = strconv.FormatBool(v.b)
				default:
					return newErr(sub, ErrInvalidValue, "a condition value must be a string, number or boolean, not "+v.kindName())
				}
				if msg := c.compileValue(text, vars); msg != "" {
					return newErr(sub, ErrInvalidValue, msg)
				}
				return nil
			}
			if km.val.kind == kindArray {
				if len(km.val.arr) == 0 {
					return nil, newErr(keyElem, ErrInvalidValue, "empty list of values")
				}
				for i, v := range km.val.arr {
					if err := add(v, keyElem+"["+strconv.Itoa(i)+"]"); err != nil {
						return nil, err
					}
				}
			} else if err := add(km.val, keyElem); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// ValidateForBucket checks that every Resource and NotResource of a bucket policy refers to the
// bucket it is attached to: "arn:aws:s3:::<bucket>" or "arn:aws:s3:::<bucket>/<key pattern>".
// "*", other buckets and wildcards in the bucket name are rejected, as AWS answers
// MalformedPolicy "Policy has invalid resource". The error is an *Error wrapping
// ErrInvalidResource.
func ValidateForBucket(p *Policy, bucket string) error {
	base := s3ArnPrefix + bucket
	for _, st := range p.stmts {
		for j, r := range st.resources {
			if r.raw == base || strings.HasPrefix(r.raw, base+"/") {
				continue
			}
			return newErr(st.resElems[j], ErrInvalidResource, "Policy has invalid resource: "+quote(r.raw)+" is not in bucket "+quote(bucket))
		}
	}
	return nil
}
