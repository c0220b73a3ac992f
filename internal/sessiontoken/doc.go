// Package sessiontoken provides the stateless session tokens of the STS and
// the rotating keyring of token keys that seals and opens them.
//
// A temporary key is never stored: its Claims (parent static key, SA,
// folder, session ID, issue and expiry times, session name, the temporary
// secret and the session policy, inline or by hash) are encoded compactly
// and sealed with an AEAD into a token of at most MaxTokenLen (1,024)
// characters:
//
//	"v1." base64url(kid | nonce | AEAD(claims))
//
// The associated data binds the format version, the key ID and the access
// key ID the token belongs to, so Keyring.Open(token, accessKeyID) fails
// with ErrInvalid for any other key ID. Expiry is checked separately
// (Claims.CheckExpiry) against the caller's clock.
//
// A Keyring is immutable; the caller builds a new one when the stored keys
// change and swaps it in atomically. PlanRotation is the pure rotation
// policy: a new key is published before it activates, and an old key is
// dropped only when every token it sealed has expired. CompressPolicy and
// DecompressPolicy handle inline policies; FitPolicy chooses inline or hash
// so that the token stays within its size bound.
//
// The package imports no other project package. See README.md for the
// size budget and benchmark numbers.
package sessiontoken
