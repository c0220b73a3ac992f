package acl

import "unicode/utf8"

// MaxGrants is the most grants one ACL may hold, as in S3 and Yandex Object
// Storage ("an ACL can have up to 100 grants").
const MaxGrants = 100

// MaxIDLength bounds a canonical user ID. Service-account and folder IDs are
// short; AWS canonical IDs are 64 hex digits. The bound keeps a hostile ACL
// small in memory and in the store.
const MaxIDLength = 128

// MaxDisplayNameLength bounds a DisplayName in bytes.
const MaxDisplayNameLength = 256

// Group URIs in their canonical spelling: the one this package renders and
// stores. ParseGroupURI accepts the other spellings.
const (
	AllUsersURI           = "http://acs.amazonaws.com/groups/global/AllUsers"
	AuthenticatedUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	LogDeliveryURI        = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

// ParseGroupURI returns the canonical spelling of a known group URI.
//
// AllUsers and AuthenticatedUsers are accepted under both "global/" (what AWS
// renders) and "s3/" (what Yandex's documentation shows in header examples).
// LogDelivery is known so that log-delivery-write and pasted AWS ACLs are
// accepted, but no Subject ever belongs to it.
func ParseGroupURI(uri string) (string, bool) {
	switch uri {
	case AllUsersURI, "http://acs.amazonaws.com/groups/s3/AllUsers":
		return AllUsersURI, true
	case AuthenticatedUsersURI, "http://acs.amazonaws.com/groups/s3/AuthenticatedUsers":
		return AuthenticatedUsersURI, true
	case LogDeliveryURI:
		return LogDeliveryURI, true
	}
	return "", false
}

// Permission is an S3 ACL permission.
type Permission uint8

// The S3 permissions. The zero Permission is invalid.
const (
	Read Permission = iota + 1
	Write
	ReadACP
	WriteACP
	FullControl
)

var permissionNames = [...]string{
	Read:        "READ",
	Write:       "WRITE",
	ReadACP:     "READ_ACP",
	WriteACP:    "WRITE_ACP",
	FullControl: "FULL_CONTROL",
}

// String returns the S3 spelling ("READ_ACP"), or "" for an invalid value.
func (p Permission) String() string {
	if p.Valid() {
		return permissionNames[p]
	}
	return ""
}

// Valid reports whether p is one of the five S3 permissions.
func (p Permission) Valid() bool { return p >= Read && p <= FullControl }

// Implies reports whether holding p grants q: equal, or p is FULL_CONTROL.
func (p Permission) Implies(q Permission) bool {
	return q.Valid() && (p == q || p == FullControl)
}

// ParsePermission parses the S3 spelling of a permission (case-sensitive, as
// S3's schema is).
func ParsePermission(s string) (Permission, bool) {
	switch s {
	case "READ":
		return Read, true
	case "WRITE":
		return Write, true
	case "READ_ACP":
		return ReadACP, true
	case "WRITE_ACP":
		return WriteACP, true
	case "FULL_CONTROL":
		return FullControl, true
	}
	return 0, false
}

// MarshalText makes JSON and other text encodings use the S3 spelling.
func (p Permission) MarshalText() ([]byte, error) {
	if !p.Valid() {
		return nil, errorf(CodeMalformedACL, "invalid permission")
	}
	return []byte(permissionNames[p]), nil
}

// UnmarshalText parses the S3 spelling.
func (p *Permission) UnmarshalText(b []byte) error {
	v, ok := ParsePermission(string(b))
	if !ok {
		return malformed("unknown permission")
	}
	*p = v
	return nil
}

// GranteeType says what a Grantee names.
type GranteeType uint8

// Grantee types. AmazonCustomerByEmail exists in S3 but is refused here
// (NotImplemented): there are no e-mail identities in this service.
const (
	CanonicalUser GranteeType = iota + 1
	Group
)

// String returns the xsi:type spelling ("CanonicalUser", "Group").
func (t GranteeType) String() string {
	switch t {
	case CanonicalUser:
		return "CanonicalUser"
	case Group:
		return "Group"
	}
	return ""
}

// MarshalText makes JSON use the xsi:type spelling.
func (t GranteeType) MarshalText() ([]byte, error) {
	s := t.String()
	if s == "" {
		return nil, errorf(CodeMalformedACL, "invalid grantee type")
	}
	return []byte(s), nil
}

// UnmarshalText parses the xsi:type spelling.
func (t *GranteeType) UnmarshalText(b []byte) error {
	switch string(b) {
	case "CanonicalUser":
		*t = CanonicalUser
	case "Group":
		*t = Group
	default:
		return malformed("unknown grantee type")
	}
	return nil
}

// Grantee is who a grant is for: a canonical user (a service-account ID) or
// a group (one of the canonical group URIs).
type Grantee struct {
	Type        GranteeType `json:"type"`
	ID          string      `json:"id,omitempty"`          // CanonicalUser only
	DisplayName string      `json:"displayName,omitempty"` // CanonicalUser only, informational
	URI         string      `json:"uri,omitempty"`         // Group only, canonical spelling
}

// User returns a CanonicalUser grantee.
func User(id string) Grantee { return Grantee{Type: CanonicalUser, ID: id} }

// AllUsers returns the AllUsers group grantee: everyone, anonymous included.
func AllUsers() Grantee { return Grantee{Type: Group, URI: AllUsersURI} }

// AuthenticatedUsers returns the AuthenticatedUsers group grantee: every
// request signed with a valid key of any folder.
func AuthenticatedUsers() Grantee { return Grantee{Type: Group, URI: AuthenticatedUsersURI} }

// Grant gives one permission to one grantee.
type Grant struct {
	Grantee    Grantee    `json:"grantee"`
	Permission Permission `json:"permission"`
}

// Owner is the owner recorded in an ACL. Here the owner of a bucket or an
// object is its folder; ownership grants nothing by itself (see the package
// documentation).
type Owner struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName,omitempty"`
}

// ACL is an access control list. Values returned by this package are never
// modified by it afterwards and share no slice with their input; callers
// should treat an ACL as immutable (use Clone before changing one) because
// evaluated ACLs are typically shared between goroutines through a cache.
type ACL struct {
	Owner  Owner   `json:"owner"`
	Grants []Grant `json:"grants,omitempty"`
}

// Clone returns a copy that shares no memory with a.
func (a ACL) Clone() ACL {
	if a.Grants != nil {
		a.Grants = append([]Grant(nil), a.Grants...)
	}
	return a
}

// Subject is who a request acts for, as far as ACLs care.
//
// Authenticated is true for every request signed with a valid key (static or
// temporary) of any folder; ID is then the service-account ID behind the key
// (for a temporary key, the ID of the SA whose static key issued it, not
// aws:userid's "<sa-id>:<session>").
type Subject struct {
	Authenticated bool
	ID            string
}

// matches reports whether g covers who. It must stay allocation-free: it is
// on the per-request path.
func (g *Grantee) matches(who Subject) bool {
	switch g.Type {
	case CanonicalUser:
		return who.Authenticated && who.ID != "" && g.ID == who.ID
	case Group:
		switch g.URI {
		case AllUsersURI:
			return true
		case AuthenticatedUsersURI:
			return who.Authenticated
		}
	}
	return false
}

// Allows reports whether a gives permission p to who, directly or through a
// group, with FULL_CONTROL implying every permission. It does not allocate.
// (It is not called Grants because that is the field.)
func (a ACL) Allows(p Permission, who Subject) bool {
	for i := range a.Grants {
		g := &a.Grants[i]
		if g.Permission.Implies(p) && g.Grantee.matches(who) {
			return true
		}
	}
	return false
}

// Match is Allows that also returns the grant that decided, for decision
// reasons and audit. A direct grant to the subject's ID is preferred over a
// group grant, so that "allowed by your own grant" and "allowed because the
// bucket is public" can be told apart.
func (a ACL) Match(p Permission, who Subject) (Grant, bool) {
	group := -1
	for i := range a.Grants {
		g := &a.Grants[i]
		if !g.Permission.Implies(p) || !g.Grantee.matches(who) {
			continue
		}
		if g.Grantee.Type == CanonicalUser {
			return *g, true
		}
		if group < 0 {
			group = i
		}
	}
	if group >= 0 {
		return a.Grants[group], true
	}
	return Grant{}, false
}

// Public reports whether any grant goes to AllUsers or AuthenticatedUsers.
func (a ACL) Public() bool {
	for i := range a.Grants {
		g := &a.Grants[i].Grantee
		if g.Type == Group && (g.URI == AllUsersURI || g.URI == AuthenticatedUsersURI) {
			return true
		}
	}
	return false
}

// Validate checks an ACL that did not come from this package's parsers (for
// example one decoded from JSON by the admin API or read from the store):
// grant count, grantee shape, ID syntax, canonical group URIs, permissions.
// The options apply as for ParseXML (CheckID); ExpectOwner is ignored.
func (a ACL) Validate(opts ...Option) error {
	o := collect(opts)
	if len(a.Grants) > MaxGrants {
		return errTooManyGrants(CodeMalformedACL)
	}
	if a.Owner.ID != "" && !validID(a.Owner.ID) {
		return errorf(CodeInvalidArgument, "Invalid id")
	}
	if !validDisplayName(a.Owner.DisplayName) {
		return errorf(CodeInvalidArgument, "Invalid display name")
	}
	for _, g := range a.Grants {
		if !g.Permission.Valid() {
			return malformed("unknown permission")
		}
		switch g.Grantee.Type {
		case CanonicalUser:
			if g.Grantee.URI != "" {
				return malformed("a CanonicalUser grantee has no URI")
			}
			if err := o.checkID(g.Grantee.ID); err != nil {
				return err
			}
			if !validDisplayName(g.Grantee.DisplayName) {
				return errorf(CodeInvalidArgument, "Invalid display name")
			}
		case Group:
			if g.Grantee.ID != "" || g.Grantee.DisplayName != "" {
				return malformed("a Group grantee has only a URI")
			}
			if c, ok := ParseGroupURI(g.Grantee.URI); !ok || c != g.Grantee.URI {
				return errorf(CodeInvalidArgument, "Invalid group uri")
			}
		default:
			return malformed("unknown grantee type")
		}
	}
	return nil
}

// validID reports whether id is a syntactically acceptable canonical user ID:
// 1..MaxIDLength bytes of [A-Za-z0-9._~:@+=-]. Service-account and folder IDs,
// Yandex IDs and AWS's 64-hex canonical IDs all fit; quotes, commas, spaces
// and markup do not, so an ID never needs quoting in a header.
func validID(id string) bool {
	if len(id) == 0 || len(id) > MaxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '@' || c == '+' || c == '=':
		default:
			return false
		}
	}
	return true
}

func validDisplayName(s string) bool {
	return len(s) <= MaxDisplayNameLength && utf8.ValidString(s)
}

func errTooManyGrants(code string) *Error {
	const detail = "an ACL may hold at most 100 grants"
	if code == CodeMalformedACL {
		return malformed(detail)
	}
	return errorf(code, detail)
}

// Option adjusts parsing and validation.
type Option func(*options)

type options struct {
	known      func(id string) bool
	owner      Owner
	checkOwner bool
}

func collect(opts []Option) options {
	var o options
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	return o
}

// CheckID makes parsing reject a canonical user ID for which known returns
// false, with InvalidArgument "Invalid id" as S3 does for an unknown
// canonical ID. known is called once per CanonicalUser grant, after the
// syntax check; it must be safe to call concurrently if the caller parses
// concurrently.
func CheckID(known func(id string) bool) Option {
	return func(o *options) { o.known = known }
}

// ExpectOwner makes ParseXML compare the document's Owner/ID, when present,
// with the real owner (AccessDenied on a mismatch, as Yandex and S3 answer)
// and put owner into the result in place of the document's Owner, whose
// DisplayName S3 ignores on input.
func ExpectOwner(owner Owner) Option {
	return func(o *options) { o.owner, o.checkOwner = owner, true }
}

func (o *options) checkID(id string) error {
	if !validID(id) || (o.known != nil && !o.known(id)) {
		return errorf(CodeInvalidArgument, "Invalid id")
	}
	return nil
}
