package acl

import (
	"net/http"
	"strings"
)

// Request headers that carry an ACL.
const (
	HeaderACL              = "X-Amz-Acl"
	HeaderGrantRead        = "X-Amz-Grant-Read"
	HeaderGrantWrite       = "X-Amz-Grant-Write"
	HeaderGrantReadACP     = "X-Amz-Grant-Read-Acp"
	HeaderGrantWriteACP    = "X-Amz-Grant-Write-Acp"
	HeaderGrantFullControl = "X-Amz-Grant-Full-Control"
)

// grantHeaders lists the grant headers in the order their grants are added.
var grantHeaders = [...]struct {
	name string
	perm Permission
}{
	{HeaderGrantRead, Read},
	{HeaderGrantWrite, Write},
	{HeaderGrantReadACP, ReadACP},
	{HeaderGrantWriteACP, WriteACP},
	{HeaderGrantFullControl, FullControl},
}

// FromHeaders reads an ACL from x-amz-acl or the x-amz-grant-* headers.
// present is false (and acl is zero) when none of them is in h; the caller
// then keeps its default (an empty ACL for a new bucket or object).
//
// A grant header is a comma-separated list of type=value pairs, type one of
// id, uri, emailAddress (case-insensitive), value quoted or not:
//
//	x-amz-grant-read: id="sa123", uri="http://acs.amazonaws.com/groups/global/AllUsers"
//
// Errors: both x-amz-acl and a grant header → InvalidRequest; an unknown
// canned ACL, a malformed list, an unknown group URI, an ID that is not well
// formed or that CheckID rejects, or more than MaxGrants grants →
// InvalidArgument; emailAddress → NotImplemented.
func FromHeaders(h http.Header, owner Owner, opts ...Option) (acl ACL, present bool, err error) {
	canned := h.Values(HeaderACL)
	hasGrants := false
	for _, gh := range grantHeaders {
		if len(h.Values(gh.name)) > 0 {
			hasGrants = true
			break
		}
	}
	switch {
	case len(canned) == 0 && !hasGrants:
		return ACL{}, false, nil
	case len(canned) > 0 && hasGrants:
		return ACL{}, true, errorf(CodeInvalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed")
	case len(canned) > 1:
		return ACL{}, true, errorf(CodeInvalidArgument, "Only one canned ACL may be given in x-amz-acl")
	case len(canned) == 1:
		a, err := FromCanned(strings.TrimSpace(canned[0]), owner)
		return a, true, err
	}

	o := collect(opts)
	a := ACL{Owner: owner}
	for _, gh := range grantHeaders {
		for _, v := range h.Values(gh.name) {
			var err error
			a.Grants, err = appendHeaderGrants(a.Grants, v, gh.perm, &o)
			if err != nil {
				return ACL{}, true, err
			}
		}
	}
	return a, true, nil
}

// appendHeaderGrants parses one grant header value.
func appendHeaderGrants(dst []Grant, v string, p Permission, o *options) ([]Grant, error) {
	rest := v
	for {
		// key
		eq := strings.IndexByte(rest, '=')
		if eq < 0 {
			return nil, errFormat()
		}
		key := strings.TrimSpace(rest[:eq])
		rest = strings.TrimLeft(rest[eq+1:], " \t")
		// value
		var val string
		if strings.HasPrefix(rest, `"`) {
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, errFormat()
			}
			val, rest = rest[1:1+end], strings.TrimLeft(rest[2+end:], " \t")
			if rest != "" && rest[0] != ',' {
				return nil, errFormat()
			}
		} else {
			comma := strings.IndexByte(rest, ',')
			if comma < 0 {
				comma = len(rest)
			}
			val, rest = strings.TrimSpace(rest[:comma]), rest[comma:]
			if strings.ContainsAny(val, "\"=") {
				return nil, errFormat()
			}
		}

		var g Grantee
		switch strings.ToLower(key) {
		case "id":
			if err := o.checkID(val); err != nil {
				return nil, err
			}
			g = User(val)
		case "uri":
			uri, ok := ParseGroupURI(val)
			if !ok {
				return nil, errorf(CodeInvalidArgument, "Invalid group uri")
			}
			g = Grantee{Type: Group, URI: uri}
		case "emailaddress":
			return nil, errEmail()
		default:
			return nil, errFormat()
		}
		if len(dst) == MaxGrants {
			return nil, errTooManyGrants(CodeInvalidArgument)
		}
		dst = append(dst, Grant{Grantee: g, Permission: p})

		if rest == "" {
			return dst, nil
		}
		rest = rest[1:] // the comma
		if strings.TrimSpace(rest) == "" {
			return nil, errFormat() // trailing comma
		}
	}
}

func errFormat() *Error { return errorf(CodeInvalidArgument, "Argument format not recognized") }

func errEmail() *Error {
	return errorf(CodeNotImplemented, "Grants to e-mail addresses (AmazonCustomerByEmail) are not supported; grant to a canonical user ID instead")
}
