package sigv4

import (
	"crypto/sha256"
	"crypto/subtle"
	"hash"
	"hash/maphash"
	"sync"
)

// emptySHA256 is the hex SHA-256 of the empty string.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// macer computes HMAC-SHA256 with one reusable SHA-256 state and buffers
// that live on the heap with it, so that a MAC costs no allocation (the
// standard crypto/hmac allocates a new pair of digests per key).
type macer struct {
	h     hash.Hash
	key   [64]byte
	pad   [64]byte
	inner [32]byte
	out   [32]byte
	msg   []byte
}

func newMacer() *macer { return &macer{h: sha256.New(), msg: make([]byte, 0, 256)} }

// mac returns HMAC-SHA256(key, msg). msg must not be shared with another
// goroutine; key may alias m.out.
func (m *macer) mac(key []byte, msg []byte) [32]byte {
	var kl int
	if len(key) > len(m.key) {
		m.h.Reset()
		m.msg = append(m.msg[:0], key...)
		m.h.Write(m.msg)
		m.h.Sum(m.inner[:0])
		kl = copy(m.key[:], m.inner[:])
	} else {
		kl = copy(m.key[:], key)
	}
	clear(m.key[kl:])
	for i := range m.pad {
		m.pad[i] = m.key[i] ^ 0x36
	}
	m.h.Reset()
	m.h.Write(m.pad[:])
	m.h.Write(msg)
	m.h.Sum(m.inner[:0])
	for i := range m.pad {
		m.pad[i] = m.key[i] ^ 0x5c
	}
	m.h.Reset()
	m.h.Write(m.pad[:])
	m.h.Write(m.inner[:])
	m.h.Sum(m.out[:0])
	clear(m.key[:])
	return m.out
}

// macString is mac with a string message (copied into m.msg).
func (m *macer) macString(key []byte, s string) [32]byte {
	m.msg = append(m.msg[:0], s...)
	return m.mac(key, m.msg)
}

// deriveKey computes the SigV4 signing key
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
func (m *macer) deriveKey(secret []byte, date, region, service string) [32]byte {
	var k0 [4 + 64]byte
	var k []byte
	if len(secret) <= 64 {
		copy(k0[:], "AWS4")
		copy(k0[4:], secret)
		k = k0[:4+len(secret)]
	} else {
		k = append([]byte("AWS4"), secret...)
	}
	kd := m.macString(k, date)
	clear(k0[:])
	kr := m.macString(kd[:], region)
	ks := m.macString(kr[:], service)
	return m.macString(ks[:], terminator)
}

// sum256 hashes b into m.inner and returns it.
func (m *macer) sum256(b []byte) [32]byte {
	m.h.Reset()
	m.h.Write(b)
	m.h.Sum(m.inner[:0])
	return m.inner
}

func equal32(a, b *[32]byte) bool { return subtle.ConstantTimeCompare(a[:], b[:]) == 1 }

// keyCache caches derived signing keys per (secret identity, date, region,
// service). It is sharded to keep lock contention low and bounded by
// evicting an arbitrary entry of a full shard. Each entry remembers a
// fingerprint of the secret it was derived from (a seeded 64-bit maphash: not
// a secret-revealing value, and cheap), so a caller that reuses a cache ID
// for a changed secret gets a fresh derivation, never a stale key.
type keyCache struct {
	shards   [keyCacheShards]keyShard
	perShard int
	seed     maphash.Seed
}

const keyCacheShards = 32

type keyShard struct {
	mu sync.RWMutex
	m  map[cacheKey]cacheEntry
}

type cacheKey struct{ id, date, region, service string }

type cacheEntry struct {
	key [32]byte
	fp  uint64
}

func newKeyCache(size int) *keyCache {
	c := &keyCache{perShard: max(1, size/keyCacheShards), seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[cacheKey]cacheEntry)
	}
	return c
}

func (c *keyCache) shard(k *cacheKey) *keyShard {
	h := uint32(2166136261)
	for i := 0; i < len(k.id); i++ {
		h = (h ^ uint32(k.id[i])) * 16777619
	}
	for i := 0; i < len(k.date); i++ {
		h = (h ^ uint32(k.date[i])) * 16777619
	}
	return &c.shards[h%keyCacheShards]
}

func (c *keyCache) get(k cacheKey, fp uint64) ([32]byte, bool) {
	s := c.shard(&k)
	s.mu.RLock()
	e, ok := s.m[k]
	s.mu.RUnlock()
	if !ok || e.fp != fp {
		return [32]byte{}, false
	}
	return e.key, true
}

func (c *keyCache) put(k cacheKey, fp uint64, key *[32]byte) {
	k = cacheKey{clone(k.id), clone(k.date), clone(k.region), clone(k.service)}
	s := c.shard(&k)
	s.mu.Lock()
	if _, ok := s.m[k]; !ok && len(s.m) >= c.perShard {
		for old := range s.m {
			delete(s.m, old)
			break
		}
	}
	s.m[k] = cacheEntry{key: *key, fp: fp}
	s.mu.Unlock()
}

// clone copies s so that a cache key does not pin a whole request header.
func clone(s string) string { return string([]byte(s)) }
