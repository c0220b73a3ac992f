package sessiontoken

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
)

// Token format (DESIGN.md §3, §10):
//
//	token   = "v1." base64url-raw(payload)        ≤ 1024 characters
//	payload = kid(4, big-endian) | nonce(24 XChaCha / 12 GCM) | AEAD(claims) (claims + 16-byte tag)
//	aad     = "hourglass-sts-token-v1" | kid | len(accessKeyID) | accessKeyID
const (
	// MaxTokenLen bounds every token Seal produces and Open accepts.
	MaxTokenLen = 1024
	// Prefix starts every token of format version 1.
	Prefix = "v1."

	kidLen   = 4
	tagLen   = 16
	aadLabel = "hourglass-sts-token-v1"

	// maxPayloadLen is the largest payload whose raw base64url form fits
	// in MaxTokenLen-len(Prefix) = 1021 characters: 1021*6/8 = 765 bytes
	// (765 bytes encode to exactly 1020 characters).
	maxPayloadLen = (MaxTokenLen - len(Prefix)) * 6 / 8
	maxAADLen     = len(aadLabel) + kidLen + 1 + MaxAccessKeyIDLen
)

// MaxClaimsLen returns how many bytes of encoded claims fit in a token
// sealed with alg: 765 - 4 (kid) - nonce - 16 (tag), that is 721 for
// XChaCha20-Poly1305 and 733 for AES-256-GCM.
func MaxClaimsLen(alg Alg) int {
	return maxPayloadLen - kidLen - alg.nonceLen() - tagLen
}

// MaxInlinePolicyWorstCase is the inline-policy room left when every other
// claim is at its maximum and the key is XChaCha20-Poly1305: 721 - 189
// (fixed claims) - 2 (length prefix) = 530 bytes of compressed policy.
const MaxInlinePolicyWorstCase = maxPayloadLen - kidLen - 24 - tagLen - claimsMaxFixedLen - 2

// MaxInlinePolicy returns the largest compressed policy that cl can carry
// inline in a token sealed with alg without exceeding MaxTokenLen. It
// ignores cl.Policy. It is 0 if not even a one-byte policy would fit.
func MaxInlinePolicy(cl *Claims, alg Alg) int {
	avail := MaxClaimsLen(alg) - cl.lenWithoutPolicy()
	for k := 1; k <= 3; k++ {
		if n := avail - k; n > 0 && uvarintLen(uint64(n)) == k {
			return n
		}
	}
	return 0
}

// FitPolicy sets cl.Policy to the compressed policy inline when the token
// sealed at cl.IssuedAt still fits in MaxTokenLen, and to the hash
// reference otherwise; it reports whether the policy went inline. The
// caller stores the policy under sum when it did not. Call it after every
// other field of cl is set: the room left depends on them.
func (r *Keyring) FitPolicy(cl *Claims, compressed []byte, sum [sha256.Size]byte) (inline bool, err error) {
	k := r.active(cl.IssuedAt)
	if k == nil {
		return false, ErrNoActiveKey
	}
	if len(compressed) > 0 && len(compressed) <= MaxInlinePolicy(cl, k.key.Alg) {
		cl.Policy = Policy{Mode: PolicyInline, Inline: compressed}
		return true, nil
	}
	cl.Policy = Policy{Mode: PolicyHash, Hash: sum}
	return false, nil
}

// workBuf is the scratch space of one Seal or Open. It is pooled because
// AEAD calls go through an interface, which would move stack buffers to
// the heap anyway.
type workBuf struct {
	payload [maxPayloadLen + 64]byte
	aad     [maxAADLen]byte
	text    [MaxTokenLen]byte
}

var bufPool = sync.Pool{New: func() any { return new(workBuf) }}

func appendAAD(dst []byte, kid []byte, accessKeyID string) []byte {
	dst = append(dst, aadLabel...)
	dst = append(dst, kid...)
	dst = append(dst, byte(len(accessKeyID)))
	return append(dst, accessKeyID...)
}

// Seal validates cl and seals it with the key active at cl.IssuedAt. It
// fails with ErrTooLarge when the token would exceed MaxTokenLen (use
// FitPolicy first) and with ErrBadClaims when a field breaks a limit.
func (r *Keyring) Seal(cl *Claims) (string, error) {
	if err := cl.validate(); err != nil {
		return "", err
	}
	k := r.active(cl.IssuedAt)
	if k == nil {
		return "", ErrNoActiveKey
	}
	n := cl.encodedLen()
	if n > MaxClaimsLen(k.key.Alg) {
		return "", ErrTooLarge
	}
	w := bufPool.Get().(*workBuf)
	defer func() {
		clear(w.payload[:]) // held the plaintext claims, secret included
		bufPool.Put(w)
	}()
	hdr := kidLen + k.nonceLen
	p := w.payload[:hdr]
	copy(p, k.kid[:])
	if _, err := io.ReadFull(r.rand, p[kidLen:hdr]); err != nil {
		return "", fmt.Errorf("sessiontoken: reading nonce: %w", err)
	}
	plain := appendClaims(w.payload[hdr:hdr], cl)
	aad := appendAAD(w.aad[:0], k.kid[:], cl.AccessKeyID)
	sealed := k.aead.Seal(plain[:0], p[kidLen:hdr], plain, aad)
	p = w.payload[:hdr+len(sealed)]
	text := append(w.text[:0], Prefix...)
	text = base64.RawURLEncoding.AppendEncode(text, p)
	return string(text), nil
}

// Open authenticates token as belonging to accessKeyID and returns its
// claims. It does not check expiry: call Claims.CheckExpiry with the
// request's clock. Errors: ErrMalformed, ErrUnknownKey (re-read the keyring
// once, then refuse), ErrInvalid. A token longer than MaxTokenLen is refused
// before decoding.
func (r *Keyring) Open(token, accessKeyID string) (Claims, error) {
	if len(token) > MaxTokenLen {
		return Claims{}, errTokenTooLong
	}
	if len(token) < len(Prefix) || token[:len(Prefix)] != Prefix {
		return Claims{}, errNoPrefix
	}
	w := bufPool.Get().(*workBuf)
	defer func() {
		clear(w.payload[:]) // held the plaintext claims, secret included
		bufPool.Put(w)
	}()
	p, ok := decodeBase64URL(w.payload[:0], token[len(Prefix):])
	if !ok {
		return Claims{}, errBadBase64
	}
	if len(p) < kidLen {
		return Claims{}, errShort
	}
	k := r.lookup(p[:kidLen])
	if k == nil {
		return Claims{}, ErrUnknownKey
	}
	if len(p) < kidLen+k.nonceLen+tagLen {
		return Claims{}, errShort
	}
	if !validAccessKeyID(accessKeyID) {
		return Claims{}, errAccessKeyShape
	}
	aad := appendAAD(w.aad[:0], k.kid[:], accessKeyID)
	nonce := p[kidLen : kidLen+k.nonceLen]
	ct := p[kidLen+k.nonceLen:]
	plain, err := k.aead.Open(ct[:0], nonce, ct, aad)
	if err != nil {
		return Claims{}, ErrInvalid
	}
	var cl Claims
	if err := decodeClaims(plain, &cl); err != nil {
		return Claims{}, err
	}
	cl.AccessKeyID = accessKeyID
	return cl, nil
}

// KeyIDOf returns the token-key ID a token names, without authenticating
// anything; for logs and metrics of ErrUnknownKey.
func KeyIDOf(token string) (KeyID, bool) {
	if len(token) > MaxTokenLen || len(token) < len(Prefix)+6 || token[:len(Prefix)] != Prefix {
		return 0, false
	}
	var b [8]byte
	p, ok := decodeBase64URL(b[:0], token[len(Prefix):len(Prefix)+8])
	if !ok || len(p) < kidLen {
		return 0, false
	}
	return KeyID(uint32(p[0])<<24 | uint32(p[1])<<16 | uint32(p[2])<<8 | uint32(p[3])), true
}

// b64url maps a base64url character to its 6-bit value, 0xff for others.
var b64url = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// decodeBase64URL appends the strict raw-base64url decoding of s to dst.
// Unlike encoding/base64 it does not skip CR and LF, so every character of
// a token matters, and it rejects non-zero padding bits, so every token has
// exactly one spelling. dst must have room for len(s)*3/4 bytes.
func decodeBase64URL(dst []byte, s string) ([]byte, bool) {
	if len(s)%4 == 1 {
		return nil, false
	}
	n := len(dst)
	out := dst[n : n+len(s)*3/4]
	i, j := 0, 0
	// Eight characters at a time into six bytes; any character outside the
	// alphabet maps to 0xff and sets a bit above the low six.
	for ; i+8 <= len(s) && j+8 <= len(out); i, j = i+8, j+6 {
		in := s[i : i+8]
		a, b, c, d := b64url[in[0]], b64url[in[1]], b64url[in[2]], b64url[in[3]]
		e, f, g, h := b64url[in[4]], b64url[in[5]], b64url[in[6]], b64url[in[7]]
		if (a|b|c|d|e|f|g|h)&0xc0 != 0 {
			return nil, false
		}
		v := uint64(a)<<58 | uint64(b)<<52 | uint64(c)<<46 | uint64(d)<<40 |
			uint64(e)<<34 | uint64(f)<<28 | uint64(g)<<22 | uint64(h)<<16
		binary.BigEndian.PutUint64(out[j:j+8], v) // the last two bytes are overwritten next
	}
	for ; i+4 <= len(s); i, j = i+4, j+3 {
		in := s[i : i+4]
		a, b, c, d := b64url[in[0]], b64url[in[1]], b64url[in[2]], b64url[in[3]]
		if (a|b|c|d)&0xc0 != 0 {
			return nil, false
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		o := out[j : j+3]
		o[0], o[1], o[2] = byte(v>>16), byte(v>>8), byte(v)
	}
	switch len(s) - i {
	case 2:
		a, b := b64url[s[i]], b64url[s[i+1]]
		if (a|b)&0xc0 != 0 || b&0x0f != 0 {
			return nil, false
		}
		out[j] = a<<2 | b>>4
	case 3:
		a, b, c := b64url[s[i]], b64url[s[i+1]], b64url[s[i+2]]
		if (a|b|c)&0xc0 != 0 || c&0x03 != 0 {
			return nil, false
		}
		v := uint32(a)<<12 | uint32(b)<<6 | uint32(c)
		out[j], out[j+1] = byte(v>>10), byte(v>>2)
	}
	return dst[:n+len(out)], true
}
