package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
)

// The document is decoded into a small ordered tree rather than into structs: it lets the
// parser reject duplicate keys (encoding/json keeps the last one silently, which would let two
// readers of one policy disagree), name elements precisely, and accept the loose shapes IAM
// allows (a string or a list, a number where a string is expected).

type nodeKind uint8

const (
	kindString nodeKind = iota + 1
	kindNumber
	kindBool
	kindNull
	kindArray
	kindObject
)

type member struct {
	key string
	val *node
}

type node struct {
	kind nodeKind
	str  string // string value, or the literal text of a number
	b    bool
	arr  []*node
	obj  []member
}

func (n *node) get(key string) *node {
	for _, m := range n.obj {
		if m.key == key {
			return m.val
		}
	}
	return nil
}

func (n *node) kindName() string {
	switch n.kind {
	case kindString:
		return "a string"
	case kindNumber:
		return "a number"
	case kindBool:
		return "a boolean"
	case kindNull:
		return "null"
	case kindArray:
		return "a list"
	case kindObject:
		return "an object"
	}
	return "a value"
}

const maxDepth = 32 // a policy is at most 5 levels deep; anything deeper is not a policy

func decodeTree(doc []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	root, err := decodeValue(dec, 0, "")
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, newErr("", ErrSyntax, "unexpected data after the policy document")
	}
	return root, nil
}

func syntaxErr(elem string, err error) *Error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return newErr(elem, ErrSyntax, "malformed JSON at offset "+strconv.FormatInt(se.Offset, 10))
	}
	return newErr(elem, ErrSyntax, "malformed JSON (truncated document?)")
}

func decodeValue(dec *json.Decoder, depth int, path string) (*node, error) {
	if depth > maxDepth {
		return nil, newErr(path, ErrSyntax, "document nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, syntaxErr(path, err)
	}
	switch t := tok.(type) {
	case string:
		return &node{kind: kindString, str: t}, nil
	case json.Number:
		return &node{kind: kindNumber, str: t.String()}, nil
	case bool:
		return &node{kind: kindBool, b: t}, nil
	case nil:
		return &node{kind: kindNull}, nil
	case json.Delim:
		switch t {
		case '[':
			n := &node{kind: kindArray}
			for dec.More() {
				v, err := decodeValue(dec, depth+1, path+"["+strconv.Itoa(len(n.arr))+"]")
				if err != nil {
					return nil, err
				}
				n.arr = append(n.arr, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntaxErr(path, err)
			}
			return n, nil
		case '{':
			n := &node{kind: kindObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, syntaxErr(path, err)
				}
				key, ok := kt.(string)
				if !ok {
					return nil, newErr(path, ErrSyntax, "object key is not a string")
				}
				sub := joinPath(path, key)
				if n.get(key) != nil {
					return nil, newErr(sub, ErrDuplicateKey, "duplicate key "+quote(key))
				}
				v, err := decodeValue(dec, depth+1, sub)
				if err != nil {
					return nil, err
				}
				n.obj = append(n.obj, member{key, v})
			}
			if _, err := dec.Token(); err != nil {
				return nil, syntaxErr(path, err)
			}
			return n, nil
		}
	}
	return nil, newErr(path, ErrSyntax, "unexpected token")
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// quote quotes s for an error message, shortened so a hostile document cannot make errors huge.
func quote(s string) string {
	const max = 100
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}
