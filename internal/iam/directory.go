package iam

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hourglass-sts/hourglass/internal/meta"
)

// Key is a static key as the request path sees it: its record and its opened secret.
type Key struct {
	meta.AccessKey
	Secret []byte
	// CacheID names this secret in the SigV4 signing-key cache (built once, not per request).
	CacheID string
}

// Directory is the node's in-memory view of the control plane: folders, service accounts,
// static keys with their opened secrets, role bindings, buckets with their configuration and
// revocations. It replays the store's change log (woken by notifications, polling as a safety
// net) so that the request path never touches the database. Other components subscribe to
// changes with OnChange.
type Directory struct {
	svc    *Service
	log    *slog.Logger
	now    func() time.Time
	poll   time.Duration
	resync time.Duration

	mu          sync.RWMutex
	folders     map[string]meta.Folder
	sas         map[string]meta.ServiceAccount
	keys        map[string]*Key
	bindings    []meta.RoleBinding
	buckets     map[string]meta.Bucket
	revocations []meta.Revocation
	version     atomic.Uint64 // bumped on every applied change; caches key on it

	syncMu  sync.Mutex // serialises Sync and reloadAll (lastSeq, late)
	lastSeq int64
	// late holds the sequence numbers skipped as holes (see gapWait), with when they were
	// skipped: a transaction that commits later still gets applied when its change shows up.
	late        map[int64]time.Time
	lateChecked time.Time    // when the store was last asked for d.late
	lastSync    atomic.Int64 // unix nanos of the last successful sync with the store

	hookMu sync.Mutex
	hooks  []func([]meta.Change)
}

// DirectoryOptions configure a Directory.
type DirectoryOptions struct {
	Logger *slog.Logger
	Now    func() time.Time
	// Poll is how often the change log is read without a wake-up (default 250 ms).
	Poll time.Duration
	// Resync is how often everything is reloaded as a safety net (default 5 min).
	Resync time.Duration
}

// NewDirectory loads everything once; call Run to keep it fresh.
func NewDirectory(ctx context.Context, svc *Service, o DirectoryOptions) (*Directory, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Poll <= 0 {
		o.Poll = 250 * time.Millisecond
	}
	if o.Resync <= 0 {
		o.Resync = 5 * time.Minute
	}
	d := &Directory{svc: svc, log: o.Logger, now: o.Now, poll: o.Poll, resync: o.Resync}
	if err := d.reloadAll(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

// OnChange registers fn to run after every applied batch of changes (and after full reloads,
// with a nil batch meaning "everything may have changed").
func (d *Directory) OnChange(fn func([]meta.Change)) {
	d.hookMu.Lock()
	d.hooks = append(d.hooks, fn)
	d.hookMu.Unlock()
}

func (d *Directory) fire(chs []meta.Change) {
	d.version.Add(1)
	d.hookMu.Lock()
	hooks := append([]func([]meta.Change){}, d.hooks...)
	d.hookMu.Unlock()
	for _, h := range hooks {
		h(chs)
	}
}

// Version changes whenever anything in the directory changes.
func (d *Directory) Version() uint64 { return d.version.Load() }

// Run keeps the directory in sync until ctx ends.
func (d *Directory) Run(ctx context.Context) {
	st := d.svc.o.Store
	wake := st.Watch(ctx)
	tick := time.NewTicker(d.poll)
	defer tick.Stop()
	full := time.NewTicker(d.resync)
	defer full.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-tick.C:
		case <-full.C:
			if err := d.reloadAll(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("directory resync failed", "err", err)
			}
			continue
		}
		if err := d.Sync(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("directory sync failed", "err", err)
		}
	}
}

// LastSync returns when the directory last confirmed it is current with the store.
func (d *Directory) LastSync() time.Time { return time.Unix(0, d.lastSync.Load()) }

// Stale reports whether the change feed has not been confirmed for longer than max.
func (d *Directory) Stale(max time.Duration) bool {
	return d.now().Sub(d.LastSync()) > max
}

// Sync applies every pending change now.
func (d *Directory) Sync(ctx context.Context) error {
	d.syncMu.Lock()
	defer d.syncMu.Unlock()
	st := d.svc.o.Store
	for {
		chs, err := st.Changes(ctx, d.lastSeq, 500)
		if err != nil {
			return err
		}
		if len(chs) > 0 && chs[0].Seq != d.lastSeq+1 && d.lastSeq > 0 {
			// A gap right after the last change applied: holes, or a log trimmed past this node
			// (away for longer than the trim age)? If the last change applied is gone, the
			// changes after it may be gone too.
			at, err := st.ChangesAt(ctx, []int64{d.lastSeq})
			if err != nil {
				return err
			}
			if len(at) == 0 {
				return d.reloadLocked(ctx)
			}
		}
		chs, reload := d.contiguous(chs)
		if reload {
			// More numbers missing than holes explain (the log was trimmed past this
			// node, cut off for long): read everything again.
			return d.reloadLocked(ctx)
		}
		if len(chs) == 0 {
			if err := d.syncLate(ctx); err != nil {
				return err
			}
			d.lastSync.Store(d.now().UnixNano())
			return nil
		}
		if err := d.apply(ctx, chs); err != nil {
			return err
		}
		d.lastSeq = chs[len(chs)-1].Seq
		d.fire(chs)
	}
}

// gapWait is how long a hole in the change sequence holds back the changes after it.
// PostgreSQL sequences are handed out before commit, so seq 11 may be visible while seq 10's
// transaction still runs; a hole that persists longer is most likely a rolled-back transaction,
// and the changes after it are applied. The hole's numbers are still looked up (at most once per
// lateEvery) for lateWait, so a transaction that commits late is applied when it shows up; after
// that, the periodic full reload covers it. At most maxLate numbers are watched (the oldest
// make way); a gap wider than that is not holes but a log trimmed past this node, and makes it
// reload everything.
const (
	gapWait   = 5 * time.Second
	lateWait  = 15 * time.Minute
	lateEvery = time.Second
	maxLate   = 1000
)

// contiguous cuts chs before the first young hole in the sequence; the numbers of older holes
// it passes over are remembered in d.late. reload reports a gap too wide to be holes.
func (d *Directory) contiguous(chs []meta.Change) (_ []meta.Change, reload bool) {
	last := d.lastSeq
	now := d.now()
	for i, c := range chs {
		if c.Seq != last+1 {
			if c.Seq-last-1 > maxLate {
				return nil, true
			}
			if now.Sub(c.At) < gapWait {
				return chs[:i], false
			}
			d.skip(last+1, c.Seq-1, now)
		}
		last = c.Seq
	}
	return chs, false
}

// skip remembers the hole from..to; when more than maxLate numbers are watched, the lowest go.
func (d *Directory) skip(from, to int64, now time.Time) {
	if d.late == nil {
		d.late = make(map[int64]time.Time)
	}
	from = max(from, to-maxLate+1)
	for q := from; q <= to; q++ {
		d.late[q] = now
	}
	if excess := len(d.late) - maxLate; excess > 0 {
		qs := slices.Sorted(maps.Keys(d.late))
		for _, q := range qs[:excess] {
			delete(d.late, q)
		}
	}
}

// syncLate applies the changes that have filled remembered holes, and forgets holes older than
// lateWait. It asks the store at most once per lateEvery.
func (d *Directory) syncLate(ctx context.Context) error {
	if len(d.late) == 0 {
		return nil
	}
	now := d.now()
	if now.Before(d.lateChecked) {
		d.lateChecked = time.Time{} // the clock went back
	}
	if now.Sub(d.lateChecked) < lateEvery {
		return nil
	}
	d.lateChecked = now
	seqs := make([]int64, 0, len(d.late))
	for q, at := range d.late {
		if now.Sub(at) > lateWait {
			delete(d.late, q)
			continue
		}
		seqs = append(seqs, q)
	}
	if len(seqs) == 0 {
		return nil
	}
	chs, err := d.svc.o.Store.ChangesAt(ctx, seqs)
	if err != nil || len(chs) == 0 {
		return err
	}
	if err := d.apply(ctx, chs); err != nil {
		return err
	}
	for _, c := range chs {
		delete(d.late, c.Seq)
	}
	d.log.Info("directory: applied changes that committed after their sequence numbers were skipped", "count", len(chs))
	d.fire(chs)
	return nil
}

func (d *Directory) reloadAll(ctx context.Context) error {
	d.syncMu.Lock()
	defer d.syncMu.Unlock()
	return d.reloadLocked(ctx)
}

func (d *Directory) reloadLocked(ctx context.Context) error {
	st := d.svc.o.Store
	seq, err := st.LastChange(ctx)
	if err != nil {
		return err
	}
	// A transaction still open now holds a number below seq: remember the recent holes, so
	// that it is applied when it commits rather than at the next reload.
	recent, err := st.Changes(ctx, max(0, seq-maxLate), maxLate)
	if err != nil {
		return err
	}
	now := d.now()
	for i := 1; i < len(recent); i++ {
		if prev, c := recent[i-1], recent[i]; c.Seq != prev.Seq+1 && now.Sub(c.At) < lateWait {
			d.skip(prev.Seq+1, c.Seq-1, now)
		}
	}
	folders, err := st.ListFolders(ctx)
	if err != nil {
		return err
	}
	sas, err := st.ListSAs(ctx, "")
	if err != nil {
		return err
	}
	keys, err := st.ListKeys(ctx, "")
	if err != nil {
		return err
	}
	bindings, err := st.ListBindings(ctx, meta.BindingFilter{})
	if err != nil {
		return err
	}
	buckets, err := st.ListBuckets(ctx, "")
	if err != nil {
		return err
	}
	revs, err := st.ListRevocations(ctx)
	if err != nil {
		return err
	}
	fm := make(map[string]meta.Folder, len(folders))
	for _, f := range folders {
		fm[f.ID] = f
	}
	sm := make(map[string]meta.ServiceAccount, len(sas))
	for _, s := range sas {
		sm[s.ID] = s
	}
	km := make(map[string]*Key, len(keys))
	for _, k := range keys {
		key, err := d.open(k)
		if err != nil {
			return err
		}
		km[k.ID] = key
	}
	bm := make(map[string]meta.Bucket, len(buckets))
	for _, b := range buckets {
		bm[b.Name] = b
	}
	d.mu.Lock()
	d.folders, d.sas, d.keys, d.bindings, d.buckets, d.revocations = fm, sm, km, bindings, bm, revs
	d.mu.Unlock()
	d.lastSeq = seq
	d.lastSync.Store(d.now().UnixNano())
	d.fire(nil)
	return nil
}

func (d *Directory) open(k meta.AccessKey) (*Key, error) {
	secret, err := d.svc.OpenSecret(k)
	if err != nil {
		return nil, errors.New("iam: cannot open the secret of key " + k.ID + ": is this the cluster's master key?")
	}
	return &Key{AccessKey: k, Secret: secret, CacheID: "k:" + k.ID}, nil
}

func (d *Directory) apply(ctx context.Context, chs []meta.Change) error {
	st := d.svc.o.Store
	seen := map[string]bool{}
	for _, c := range chs {
		id := c.Kind + "\x00" + c.ID
		if seen[id] {
			continue
		}
		seen[id] = true
		switch c.Kind {
		case meta.ChangeFolder:
			f, err := st.GetFolder(ctx, c.ID)
			if err := d.put(err, func() { d.folders[c.ID] = f }, func() { delete(d.folders, c.ID) }); err != nil {
				return err
			}
		case meta.ChangeSA:
			sa, err := st.GetSA(ctx, c.ID)
			if err := d.put(err, func() { d.sas[c.ID] = sa }, func() { delete(d.sas, c.ID) }); err != nil {
				return err
			}
		case meta.ChangeKey:
			k, err := st.GetKey(ctx, c.ID)
			var key *Key
			if err == nil {
				if key, err = d.open(k); err != nil {
					return err
				}
			}
			if err := d.put(err, func() { d.keys[c.ID] = key }, func() { delete(d.keys, c.ID) }); err != nil {
				return err
			}
		case meta.ChangeBinding:
			if seen["binding-all"] {
				continue
			}
			seen["binding-all"] = true
			bs, err := st.ListBindings(ctx, meta.BindingFilter{})
			if err != nil {
				return err
			}
			d.mu.Lock()
			d.bindings = bs
			d.mu.Unlock()
		case meta.ChangeBucket:
			b, err := st.GetBucket(ctx, c.ID)
			if err := d.put(err, func() { d.buckets[c.ID] = b }, func() { delete(d.buckets, c.ID) }); err != nil {
				return err
			}
		case meta.ChangeRevocation:
			if seen["revocation-all"] {
				continue
			}
			seen["revocation-all"] = true
			rs, err := st.ListRevocations(ctx)
			if err != nil {
				return err
			}
			d.mu.Lock()
			d.revocations = rs
			d.mu.Unlock()
		}
	}
	return nil
}

func (d *Directory) put(err error, set, del func()) error {
	switch {
	case err == nil:
		d.mu.Lock()
		set()
		d.mu.Unlock()
	case errors.Is(err, meta.ErrNotFound):
		d.mu.Lock()
		del()
		d.mu.Unlock()
	default:
		return err
	}
	return nil
}

// Key returns a static key with its opened secret. The returned value must not be modified.
func (d *Directory) Key(id string) (*Key, bool) {
	d.mu.RLock()
	k, ok := d.keys[id]
	d.mu.RUnlock()
	return k, ok
}

// SA returns a service account.
func (d *Directory) SA(id string) (meta.ServiceAccount, bool) {
	d.mu.RLock()
	sa, ok := d.sas[id]
	d.mu.RUnlock()
	return sa, ok
}

// Folder returns a folder.
func (d *Directory) Folder(id string) (meta.Folder, bool) {
	d.mu.RLock()
	f, ok := d.folders[id]
	d.mu.RUnlock()
	return f, ok
}

// Bucket returns a bucket with its configuration.
func (d *Directory) Bucket(name string) (meta.Bucket, bool) {
	d.mu.RLock()
	b, ok := d.buckets[name]
	d.mu.RUnlock()
	return b, ok
}

// Buckets returns every bucket (a copy).
func (d *Directory) Buckets() []meta.Bucket {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := make([]meta.Bucket, 0, len(d.buckets))
	for _, b := range d.buckets {
		out = append(out, b)
	}
	return out
}

// Bindings returns every role binding (shared; do not modify).
func (d *Directory) Bindings() []meta.RoleBinding {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.bindings
}

// Revocations returns every live revocation (shared; do not modify).
func (d *Directory) Revocations() []meta.Revocation {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.revocations
}
