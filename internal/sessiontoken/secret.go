package sessiontoken

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

const redacted = "[REDACTED]"

// SecretRawLen is the number of random bytes in a temporary secret; their
// standard base64 form is exactly SecretLen characters with no padding.
const (
	SecretRawLen = 30
	SecretLen    = 40
)

var errSecretShape = errors.New("sessiontoken: secret must be 40 characters of [A-Za-z0-9+/]")

// Secret is the secret access key of a temporary key: 30 random bytes whose
// standard base64 form (40 characters of [A-Za-z0-9+/]) is what clients sign
// with. It never prints: String, GoString, Format, LogValue and MarshalText
// redact or refuse. Use Reveal or AppendTo where the secret must leave the
// process (the STS response) or enter a signing-key derivation.
type Secret struct {
	b [SecretRawLen]byte
}

// NewSecret reads a fresh secret from r (crypto/rand.Reader in production).
func NewSecret(r io.Reader) (Secret, error) {
	var s Secret
	if _, err := io.ReadFull(r, s.b[:]); err != nil {
		return Secret{}, fmt.Errorf("sessiontoken: generating secret: %w", err)
	}
	return s, nil
}

// ParseSecret parses the 40-character form returned by Reveal.
func ParseSecret(text string) (Secret, error) {
	var s Secret
	if len(text) != SecretLen {
		return Secret{}, errSecretShape
	}
	for i := 0; i < len(text); i++ {
		if !isStdBase64(text[i]) {
			return Secret{}, errSecretShape
		}
	}
	n, err := base64.StdEncoding.Strict().Decode(s.b[:], []byte(text))
	if err != nil || n != SecretRawLen {
		return Secret{}, errSecretShape
	}
	return s, nil
}

func isStdBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

// Reveal returns the 40-character secret access key.
func (s Secret) Reveal() string {
	var buf [SecretLen]byte
	base64.StdEncoding.Encode(buf[:], s.b[:])
	return string(buf[:])
}

// AppendTo appends the 40-character secret access key to dst, so that a
// signing-key derivation can use it without an extra string allocation.
func (s Secret) AppendTo(dst []byte) []byte {
	return base64.StdEncoding.AppendEncode(dst, s.b[:])
}

// Equal reports whether s and o are the same secret, in constant time.
func (s Secret) Equal(o Secret) bool {
	return subtle.ConstantTimeCompare(s.b[:], o.b[:]) == 1
}

// IsZero reports whether s was never set.
func (s Secret) IsZero() bool {
	var zero Secret
	return s.Equal(zero)
}

func (Secret) String() string                { return redacted }
func (Secret) GoString() string              { return redacted }
func (Secret) LogValue() slog.Value          { return slog.StringValue(redacted) }
func (Secret) Format(f fmt.State, _ rune)    { _, _ = io.WriteString(f, redacted) }
func (Secret) MarshalText() ([]byte, error)  { return nil, errNoMarshal }
func (*Secret) UnmarshalText(_ []byte) error { return errNoMarshal }

var errNoMarshal = errors.New("sessiontoken: secrets are not serialised implicitly; use Reveal/ParseSecret or KeyMaterial.Reveal/NewKeyMaterial")

// KeyMaterialLen is the size of a token key (both algorithms take 256 bits).
const KeyMaterialLen = 32

// KeyMaterial is the 256-bit secret of a token key. Like Secret it never
// prints or serialises by accident; the store encrypts Reveal's bytes under
// the master key and rebuilds the value with NewKeyMaterial.
type KeyMaterial struct {
	b [KeyMaterialLen]byte
}

// GenerateKeyMaterial reads 32 fresh bytes from r.
func GenerateKeyMaterial(r io.Reader) (KeyMaterial, error) {
	var m KeyMaterial
	if _, err := io.ReadFull(r, m.b[:]); err != nil {
		return KeyMaterial{}, fmt.Errorf("sessiontoken: generating key material: %w", err)
	}
	return m, nil
}

// NewKeyMaterial copies exactly 32 bytes of key material.
func NewKeyMaterial(b []byte) (KeyMaterial, error) {
	var m KeyMaterial
	if len(b) != KeyMaterialLen {
		return KeyMaterial{}, fmt.Errorf("%w: key material must be %d bytes, got %d", ErrBadKey, KeyMaterialLen, len(b))
	}
	copy(m.b[:], b)
	return m, nil
}

// Reveal returns a copy of the raw key material, for encryption at rest.
func (m KeyMaterial) Reveal() []byte {
	out := make([]byte, KeyMaterialLen)
	copy(out, m.b[:])
	return out
}

// Equal compares in constant time.
func (m KeyMaterial) Equal(o KeyMaterial) bool {
	return subtle.ConstantTimeCompare(m.b[:], o.b[:]) == 1
}

// IsZero reports whether m was never set.
func (m KeyMaterial) IsZero() bool {
	var zero KeyMaterial
	return m.Equal(zero)
}

func (KeyMaterial) String() string                { return redacted }
func (KeyMaterial) GoString() string              { return redacted }
func (KeyMaterial) LogValue() slog.Value          { return slog.StringValue(redacted) }
func (KeyMaterial) Format(f fmt.State, _ rune)    { _, _ = io.WriteString(f, redacted) }
func (KeyMaterial) MarshalText() ([]byte, error)  { return nil, errNoMarshal }
func (*KeyMaterial) UnmarshalText(_ []byte) error { return errNoMarshal }

// SessionIDLen is the size of a session ID (128 random bits).
const SessionIDLen = 16

// SessionID identifies one issuance; revocation by session uses it. It is
// not secret: it appears in GetCallerIdentity's UserId and in audit events.
type SessionID [SessionIDLen]byte

// NewSessionID reads a fresh random session ID from r.
func NewSessionID(r io.Reader) (SessionID, error) {
	var id SessionID
	if _, err := io.ReadFull(r, id[:]); err != nil {
		return SessionID{}, fmt.Errorf("sessiontoken: generating session ID: %w", err)
	}
	return id, nil
}

// ParseSessionID parses the 32-character lower-case hex form of String.
func ParseSessionID(s string) (SessionID, error) {
	var id SessionID
	if len(s) != 2*SessionIDLen {
		return SessionID{}, errors.New("sessiontoken: session ID must be 32 hex characters")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return SessionID{}, errors.New("sessiontoken: session ID must be 32 lower-case hex characters")
		}
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return SessionID{}, errors.New("sessiontoken: session ID must be 32 hex characters")
	}
	return id, nil
}

// String returns 32 lower-case hex characters.
func (id SessionID) String() string { return hex.EncodeToString(id[:]) }

// IsZero reports whether id was never set.
func (id SessionID) IsZero() bool { return id == SessionID{} }

var (
	_ slog.LogValuer = Secret{}
	_ fmt.Formatter  = Secret{}
	_ slog.LogValuer = KeyMaterial{}
	_ fmt.Formatter  = KeyMaterial{}
)
