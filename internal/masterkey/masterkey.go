// Package masterkey loads or creates the operator's master key and seals small secrets under it
// (static access-key secrets, token keys). Sealed values carry a version byte and the master key's
// ID, and bind a caller-chosen context as AEAD associated data, so a value moved to another row or
// purpose fails to open.
package masterkey

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
)

const (
	filePrefix = "hourglass-master-key-v1:"
	version    = 1
	headerLen  = 1 + 4 + chacha20poly1305.NonceSizeX
)

var (
	// ErrBadFile means the key file exists but does not hold a master key.
	ErrBadFile = errors.New("masterkey: file does not contain a hourglass master key")
	// ErrOpen means a sealed value failed to open: wrong master key, wrong context or tampering.
	ErrOpen = errors.New("masterkey: cannot open sealed value (wrong master key or corrupted)")
	// ErrNotFound means the key file does not exist.
	ErrNotFound = errors.New("masterkey: file not found")
)

// Key is a master key. Its bytes never leave the package; String redacts.
type Key struct {
	id   uint32
	aead interface {
		Seal(dst, nonce, plaintext, additionalData []byte) []byte
		Open(dst, nonce, ciphertext, additionalData []byte) ([]byte, error)
	}
}

// ID identifies the key without revealing it (first 4 bytes of SHA-256 of the key).
func (k *Key) ID() string { return fmt.Sprintf("%08x", k.id) }

func (k *Key) String() string { return "masterkey.Key(" + k.ID() + ")" }

// New builds a key from 32 raw bytes.
func New(raw []byte) (*Key, error) {
	if len(raw) != chacha20poly1305.KeySize {
		return nil, fmt.Errorf("masterkey: need %d bytes, got %d", chacha20poly1305.KeySize, len(raw))
	}
	a, err := chacha20poly1305.NewX(raw)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(raw)
	return &Key{id: binary.BigEndian.Uint32(sum[:4]), aead: a}, nil
}

// Load reads a key file. A missing file is ErrNotFound.
func Load(path string) (*Key, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
	}
	if err != nil {
		return nil, fmt.Errorf("masterkey: %w", err)
	}
	s := strings.TrimSpace(string(data))
	if !strings.HasPrefix(s, filePrefix) {
		return nil, fmt.Errorf("%w: %s", ErrBadFile, path)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(strings.TrimPrefix(s, filePrefix))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrBadFile, path)
	}
	return New(raw)
}

// Create writes a new random key to path with mode 0600, refusing to overwrite.
func Create(path string) (*Key, error) {
	raw := make([]byte, chacha20poly1305.KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("masterkey: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("masterkey: %w", err)
	}
	_, err = f.WriteString(filePrefix + base64.StdEncoding.EncodeToString(raw) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("masterkey: %w", err)
	}
	return New(raw)
}

// Seal encrypts plaintext bound to context (e.g. "static-key:HGK…").
func (k *Key) Seal(plaintext []byte, context string) []byte {
	out := make([]byte, headerLen, headerLen+len(plaintext)+chacha20poly1305.Overhead)
	out[0] = version
	binary.BigEndian.PutUint32(out[1:5], k.id)
	if _, err := rand.Read(out[5:headerLen]); err != nil {
		panic("masterkey: crypto/rand failed: " + err.Error()) // crypto/rand never fails on Linux
	}
	return k.aead.Seal(out, out[5:headerLen], plaintext, aad(out[:5], context))
}

// Open decrypts a value sealed with Seal under the same context.
func (k *Key) Open(sealed []byte, context string) ([]byte, error) {
	if len(sealed) < headerLen+chacha20poly1305.Overhead || sealed[0] != version {
		return nil, ErrOpen
	}
	if binary.BigEndian.Uint32(sealed[1:5]) != k.id {
		return nil, ErrOpen
	}
	pt, err := k.aead.Open(nil, sealed[5:headerLen], sealed[headerLen:], aad(sealed[:5], context))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

func aad(header []byte, context string) []byte {
	b := make([]byte, 0, len(header)+len(context)+16)
	b = append(b, "hourglass/v1|"...)
	b = append(b, header...)
	return append(b, context...)
}
