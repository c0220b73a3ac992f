package sessiontoken

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"log/slog"
	"time"
)

// Limits of the claims. They follow DESIGN.md §3 and §10.
const (
	// MaxTokenLifetime bounds ExpiresAt - IssuedAt (DurationSeconds ≤ 43200).
	// The keyring relies on it: a key may be dropped once every token it
	// sealed is past this lifetime.
	MaxTokenLifetime = 12 * time.Hour
	// MaxAccessKeyIDLen bounds the parent static key ID ([A-Z0-9]).
	MaxAccessKeyIDLen = 32
	// MaxIDLen bounds the service-account and folder IDs.
	MaxIDLen = 32
	// MaxSessionNameLen bounds RoleSessionName ([\w+=,.@-]).
	MaxSessionNameLen = 64
)

// claimsVersion is the first byte of every encoded claims set. A node that
// meets a newer version refuses the token as malformed instead of guessing.
const claimsVersion = 1

// maxUnixSeconds bounds IssuedAt (year 36812); it keeps the uvarint at most
// six bytes, which the size budget counts on.
const maxUnixSeconds = 1 << 40

// Kind says which STS action issued the token.
type Kind uint8

const (
	KindAssumeRole      Kind = 1
	KindGetSessionToken Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindAssumeRole:
		return "AssumeRole"
	case KindGetSessionToken:
		return "GetSessionToken"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// PolicyMode says how a token carries its session policy.
type PolicyMode uint8

const (
	// PolicyNone: no session policy; the SA's full permissions apply.
	PolicyNone PolicyMode = 0
	// PolicyInline: the token carries the raw-DEFLATE-compressed policy
	// document (see CompressPolicy).
	PolicyInline PolicyMode = 1
	// PolicyHash: the token carries the SHA-256 under which the policy is
	// stored in the control-plane store.
	PolicyHash PolicyMode = 2
)

func (m PolicyMode) String() string {
	switch m {
	case PolicyNone:
		return "none"
	case PolicyInline:
		return "inline"
	case PolicyHash:
		return "hash"
	}
	return fmt.Sprintf("PolicyMode(%d)", uint8(m))
}

// Policy is the session policy reference inside a token.
type Policy struct {
	Mode PolicyMode
	// Inline holds the compressed policy when Mode is PolicyInline. The
	// bytes are opaque to the codec; DecompressPolicy inflates them.
	Inline []byte
	// Hash holds the SHA-256 reference when Mode is PolicyHash.
	Hash [sha256.Size]byte
}

// Claims is everything a temporary key is. Nothing about it is stored: the
// token is the only copy.
type Claims struct {
	Kind Kind
	// AccessKeyID is the parent static key's ID, which is also the
	// temporary key's ID. It is not inside the sealed plaintext: it is bound
	// as AEAD associated data, so Open can only succeed when the request's
	// key ID is this one, and Open fills the field from its argument. This
	// saves up to 33 bytes of the token's budget.
	AccessKeyID string
	SAID        string
	FolderID    string
	SessionID   SessionID
	// IssuedAt and ExpiresAt are kept to the second; sub-second parts are
	// truncated. ExpiresAt - IssuedAt must be in (0, MaxTokenLifetime].
	IssuedAt  time.Time
	ExpiresAt time.Time
	// SessionName is RoleSessionName; empty for GetSessionToken.
	SessionName string
	Secret      Secret
	Policy      Policy
}

// Expired reports whether the token is no longer valid at now
// (now ≥ ExpiresAt).
func (c *Claims) Expired(now time.Time) bool {
	return !now.Before(c.ExpiresAt)
}

// CheckExpiry returns ErrExpired if the token is no longer valid at now.
func (c *Claims) CheckExpiry(now time.Time) error {
	if c.Expired(now) {
		return ErrExpired
	}
	return nil
}

// LogValue lists the claims for logs and audit without the secret. It has
// a value receiver so that both Claims and *Claims log this way.
func (c Claims) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("kind", c.Kind.String()),
		slog.String("access_key_id", c.AccessKeyID),
		slog.String("sa_id", c.SAID),
		slog.String("folder_id", c.FolderID),
		slog.String("session_id", c.SessionID.String()),
		slog.String("session_name", c.SessionName),
		slog.Time("issued_at", c.IssuedAt),
		slog.Time("expires_at", c.ExpiresAt),
		slog.String("policy", c.Policy.Mode.String()),
	}
	return slog.GroupValue(attrs...)
}

// validate checks every limit. It allocates only when it fails.
func (c *Claims) validate() error {
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrBadClaims, what) }
	if c.Kind != KindAssumeRole && c.Kind != KindGetSessionToken {
		return bad("unknown kind")
	}
	if !validAccessKeyID(c.AccessKeyID) {
		return bad("access key ID must be 1-32 characters of [A-Z0-9]")
	}
	if !validID(c.SAID) {
		return bad("SA ID must be 1-32 printable ASCII characters")
	}
	if !validID(c.FolderID) {
		return bad("folder ID must be 1-32 printable ASCII characters")
	}
	if !validSessionName(c.SessionName) {
		return bad(`session name must be at most 64 characters of [\w+=,.@-]`)
	}
	if c.SessionID.IsZero() {
		return bad("session ID not set")
	}
	if c.Secret.IsZero() {
		return bad("secret not set")
	}
	iss := c.IssuedAt.Unix()
	if iss < 0 || iss >= maxUnixSeconds {
		return bad("issued-at out of range")
	}
	if life := c.ExpiresAt.Unix() - iss; life <= 0 || life > int64(MaxTokenLifetime/time.Second) {
		return bad("lifetime must be between 1 second and 12 hours")
	}
	switch c.Policy.Mode {
	case PolicyNone, PolicyHash:
	case PolicyInline:
		if len(c.Policy.Inline) == 0 {
			return bad("inline policy is empty")
		}
	default:
		return bad("unknown policy mode")
	}
	return nil
}

func validAccessKeyID(s string) bool {
	if len(s) == 0 || len(s) > MaxAccessKeyIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func validID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen {
		return false
	}
	return printableASCII(s)
}

func printableASCII[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

func validSessionName[T string | []byte](s T) bool {
	if len(s) > MaxSessionNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '_', c == '+', c == '=', c == ',', c == '.', c == '@', c == '-':
		default:
			return false
		}
	}
	return true
}

// Encoding (claims version 1), all integers unsigned LEB128 (uvarint,
// minimal form), strings as uvarint length + bytes:
//
//	version    1 byte  (1)
//	kind       1 byte
//	session ID 16 bytes
//	issued-at  uvarint Unix seconds (< 2^40: ≤ 6 bytes)
//	lifetime   uvarint seconds (1..43200: ≤ 3 bytes)
//	secret     30 bytes
//	SA ID      uvarint len + 1..32 bytes
//	folder ID  uvarint len + 1..32 bytes
//	name       uvarint len + 0..64 bytes
//	policy     1 byte mode; inline: uvarint len + bytes; hash: 32 bytes
//
// The access key ID is not encoded (see Claims.AccessKeyID).

// claimsMaxFixedLen is everything but the policy payload, at its maximum.
const claimsMaxFixedLen = 1 + 1 + SessionIDLen + 6 + 3 + SecretRawLen + (1 + MaxIDLen) + (1 + MaxIDLen) + (1 + MaxSessionNameLen) + 1

// encodedLen returns the exact encoded length of valid claims.
func (c *Claims) encodedLen() int {
	n := c.lenWithoutPolicy()
	switch c.Policy.Mode {
	case PolicyInline:
		n += uvarintLen(uint64(len(c.Policy.Inline))) + len(c.Policy.Inline)
	case PolicyHash:
		n += sha256.Size
	}
	return n
}

// lenWithoutPolicy is encodedLen with PolicyNone.
func (c *Claims) lenWithoutPolicy() int {
	iss := uint64(c.IssuedAt.Unix())
	life := uint64(c.ExpiresAt.Unix()) - iss
	return 1 + 1 + SessionIDLen + uvarintLen(iss) + uvarintLen(life) + SecretRawLen +
		1 + len(c.SAID) + 1 + len(c.FolderID) + 1 + len(c.SessionName) + 1
}

// appendClaims appends the encoding of validated claims.
func appendClaims(dst []byte, c *Claims) []byte {
	iss := uint64(c.IssuedAt.Unix())
	life := uint64(c.ExpiresAt.Unix()) - iss
	dst = append(dst, claimsVersion, byte(c.Kind))
	dst = append(dst, c.SessionID[:]...)
	dst = binary.AppendUvarint(dst, iss)
	dst = binary.AppendUvarint(dst, life)
	dst = append(dst, c.Secret.b[:]...)
	dst = appendString(dst, c.SAID)
	dst = appendString(dst, c.FolderID)
	dst = appendString(dst, c.SessionName)
	dst = append(dst, byte(c.Policy.Mode))
	switch c.Policy.Mode {
	case PolicyInline:
		dst = binary.AppendUvarint(dst, uint64(len(c.Policy.Inline)))
		dst = append(dst, c.Policy.Inline...)
	case PolicyHash:
		dst = append(dst, c.Policy.Hash[:]...)
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// decoder reads the claims encoding strictly: minimal uvarints, bounded
// lengths, valid character sets, no trailing bytes.
type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.bad = true
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bytes(n int) []byte {
	if n < 0 || len(d.b) < n {
		d.bad = true
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

// uvarint reads a minimal uvarint of at most max.
func (d *decoder) uvarint(max uint64) uint64 {
	var v uint64
	for i := 0; i < 10; i++ {
		if len(d.b) == 0 {
			d.bad = true
			return 0
		}
		c := d.b[0]
		d.b = d.b[1:]
		if i == 9 && c > 1 {
			d.bad = true // overflows 64 bits
			return 0
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			if i > 0 && c == 0 {
				d.bad = true // non-minimal
				return 0
			}
			if v > max {
				d.bad = true
				return 0
			}
			return v
		}
	}
	d.bad = true
	return 0
}

func (d *decoder) str(min, max int) []byte {
	n := d.uvarint(uint64(max))
	if d.bad || int(n) < min {
		d.bad = true
		return nil
	}
	return d.bytes(int(n))
}

// decodeClaims decodes plain into c, except AccessKeyID. Strings and the
// inline policy are copied, so plain may be reused afterwards.
func decodeClaims(plain []byte, c *Claims) error {
	d := decoder{b: plain}
	if v := d.byte(); d.bad || v != claimsVersion {
		if d.bad {
			return errClaims
		}
		return errClaimsVersion
	}
	c.Kind = Kind(d.byte())
	if c.Kind != KindAssumeRole && c.Kind != KindGetSessionToken {
		return errClaims
	}
	copy(c.SessionID[:], d.bytes(SessionIDLen))
	iss := d.uvarint(maxUnixSeconds - 1)
	life := d.uvarint(uint64(MaxTokenLifetime / time.Second))
	if d.bad || life == 0 {
		return errClaims
	}
	c.IssuedAt = time.Unix(int64(iss), 0).UTC()
	c.ExpiresAt = time.Unix(int64(iss+life), 0).UTC()
	copy(c.Secret.b[:], d.bytes(SecretRawLen))
	sa := d.str(1, MaxIDLen)
	folder := d.str(1, MaxIDLen)
	name := d.str(0, MaxSessionNameLen)
	mode := PolicyMode(d.byte())
	if d.bad || !printableASCII(sa) || !printableASCII(folder) || !validSessionName(name) {
		return errClaims
	}
	var inline []byte
	var hash []byte
	switch mode {
	case PolicyNone:
	case PolicyInline:
		inline = d.str(1, MaxTokenLen)
	case PolicyHash:
		hash = d.bytes(sha256.Size)
	default:
		return errClaims
	}
	if d.bad || len(d.b) != 0 {
		return errClaims
	}
	// One allocation for the three strings (at most 128 bytes).
	var sbuf [2*MaxIDLen + MaxSessionNameLen]byte
	all := string(append(append(append(sbuf[:0], sa...), folder...), name...))
	c.SAID = all[:len(sa)]
	c.FolderID = all[len(sa) : len(sa)+len(folder)]
	c.SessionName = all[len(sa)+len(folder):]
	c.Policy = Policy{Mode: mode}
	if inline != nil {
		c.Policy.Inline = append([]byte(nil), inline...)
	}
	copy(c.Policy.Hash[:], hash)
	return nil
}
