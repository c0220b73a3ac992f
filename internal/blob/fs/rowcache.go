package fs

import (
	"maps"
	"sync"
	"sync/atomic"
)

// rowCache keeps recently read index rows (with small inline data or manifests) so that GET and
// HEAD of hot objects skip the SQLite query, the main cost of a small-object read.
//
// Correctness rests on one counter: the committer increments wseq after every successful COMMIT
// and before running the commit's hooks (which unlink replaced blobs) and before answering the
// writers. An entry is used only while wseq still equals the value loaded before the row was
// read, so any committed write — to any key — invalidates every entry, and no acknowledged write
// can be hidden by the cache. Hits happen under s.gate like index reads, so a file blob named by
// a cached row is pinned before a later commit's hooks could unlink it. The cache therefore helps
// read-mostly workloads and is neutral under writes.
type rowCache struct {
	wseq atomic.Uint64
	mu   sync.RWMutex
	m    map[rowKey]rowEntry
}

type rowKey struct {
	bid int64
	key string
}

type rowEntry struct {
	seq      uint64
	row      objRow
	segs     []segment
	withData bool
}

const (
	rowCacheMax     = 8192
	rowCacheMaxData = 64 << 10
)

func (c *rowCache) get(bid int64, key string, withData bool) (*objRow, []segment, bool) {
	seq := c.wseq.Load()
	c.mu.RLock()
	e, ok := c.m[rowKey{bid, key}]
	c.mu.RUnlock()
	if !ok || e.seq != seq || (withData && !e.withData) {
		return nil, nil, false
	}
	row := e.row
	// Callers may keep and modify what they get; the maps are small.
	row.info.Checksums = maps.Clone(row.info.Checksums)
	row.info.Metadata.User = maps.Clone(row.info.Metadata.User)
	return &row, e.segs, true
}

func (c *rowCache) put(seq uint64, bid int64, key string, row *objRow, segs []segment, withData bool) {
	if len(row.data) > rowCacheMaxData {
		return
	}
	e := rowEntry{seq: seq, row: *row, segs: segs, withData: withData}
	e.row.info.Checksums = maps.Clone(row.info.Checksums)
	e.row.info.Metadata.User = maps.Clone(row.info.Metadata.User)
	c.mu.Lock()
	if c.m == nil || len(c.m) >= rowCacheMax {
		c.m = make(map[rowKey]rowEntry, 256)
	}
	c.m[rowKey{bid, key}] = e
	c.mu.Unlock()
}

// committed marks that the index changed.
func (c *rowCache) committed() { c.wseq.Add(1) }
