// Package meta defines the control-plane store: folders, service accounts, static keys, role
// bindings, the bucket registry with bucket configuration (policy, ACL, CORS, tags), object ACLs
// and tags bound to object generations, the token keyring, stored session policies, revocations
// and the change log that keeps every node's in-memory caches fresh.
//
// Implementations live in subpackages (sqlstore with the sqlite and postgres dialects) and must
// pass the conformance suite in metatest. Every mutation runs in one transaction and appends to
// the change log in that same transaction, so a cache that replays the log never misses a change.
package meta

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Implementations wrap them with context; match with errors.Is.
var (
	ErrNotFound = errors.New("meta: not found")
	ErrExists   = errors.New("meta: already exists")
	ErrNotEmpty = errors.New("meta: not empty")
	ErrQuota    = errors.New("meta: quota exceeded")
	ErrCorrupt  = errors.New("meta: store is not a hourglass database or is corrupt")
)

// Folder is a namespace owning buckets and service accounts.
type Folder struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	CreatedAt   time.Time `json:"created_at"`
	STSDisabled bool      `json:"sts_disabled"`
}

// ServiceAccount is a non-human identity in one folder.
type ServiceAccount struct {
	ID          string    `json:"id"`
	FolderID    string    `json:"folder_id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	STSDisabled bool      `json:"sts_disabled"`
}

// KeyStatus is the state of a static key.
type KeyStatus string

// Key states.
const (
	KeyActive   KeyStatus = "active"
	KeyDisabled KeyStatus = "disabled"
)

// AccessKey is a static access key. The secret is stored sealed under the master key.
type AccessKey struct {
	ID           string
	SAID         string
	FolderID     string
	SealedSecret []byte
	Status       KeyStatus
	CreatedAt    time.Time
	// StatusAt is when Status last changed (creation, disable or enable).
	StatusAt    time.Time
	Description string
}

// Subjects of role bindings besides service accounts.
const (
	AllUsers              = "allUsers"
	AllAuthenticatedUsers = "allAuthenticatedUsers"
)

// Scope types of role bindings.
const (
	ScopeFolder = "folder"
	ScopeBucket = "bucket"
)

// RoleBinding grants a role to a subject (an SA ID or a public group) on a folder or a bucket.
type RoleBinding struct {
	Role      string    `json:"role"`
	Subject   string    `json:"subject"`
	ScopeType string    `json:"scope_type"`
	ScopeID   string    `json:"scope_id"` // folder ID or bucket name
	CreatedAt time.Time `json:"created_at"`
}

// BindingFilter selects bindings; empty fields match everything.
type BindingFilter struct {
	ScopeType string
	ScopeID   string
	Subject   string
}

// Bucket configuration kinds stored with PutBucketConfig.
const (
	BucketPolicy  = "policy"
	BucketACL     = "acl"
	BucketCORS    = "cors"
	BucketTagging = "tagging"
)

// Bucket is an entry of the global bucket registry.
type Bucket struct {
	Name      string    `json:"name"`
	FolderID  string    `json:"folder_id"`
	CreatedAt time.Time `json:"created_at"`
	// Config holds the bucket's stored configuration documents by kind (policy, acl, cors, …).
	Config map[string][]byte `json:"-"`
}

// Object metadata kinds stored with PutObjectMeta.
const (
	ObjectACL     = "acl"
	ObjectTagging = "tagging"
)

// ObjectMeta is control-plane metadata of one object, bound to the object generation it was set
// on; a reader must ignore it when the object's current generation differs.
type ObjectMeta struct {
	Bucket     string
	Key        string
	Kind       string
	Generation string
	Value      []byte
}

// TokenKey is a session-token key of the shared keyring, its material sealed under the master key.
type TokenKey struct {
	ID         uint32
	Alg        string
	Sealed     []byte
	CreatedAt  time.Time
	ActivateAt time.Time
	RetireAt   time.Time // zero while the key is current
}

// StoredPolicy is a session policy too large to travel inline in a token.
type StoredPolicy struct {
	Hash      string // hex SHA-256 of Document
	Document  []byte
	CreatedAt time.Time
	LastUsed  time.Time
}

// Revocation kinds.
const (
	RevokeSession = "session" // Target = session ID (hex)
	RevokeKey     = "key"     // Target = static key ID; sessions issued before Before
	RevokeSA      = "sa"      // Target = SA ID; sessions issued before Before
)

// Revocation ends sessions. Entries are dropped after ExpiresAt (12 h: no token outlives that).
type Revocation struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Target    string    `json:"target"`
	Before    time.Time `json:"before"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Change kinds recorded in the change log.
const (
	ChangeFolder     = "folder"
	ChangeSA         = "sa"
	ChangeKey        = "key"
	ChangeBinding    = "binding"
	ChangeBucket     = "bucket"
	ChangeObjectMeta = "object"
	ChangeTokenKey   = "tokenkey"
	ChangeRevocation = "revocation"
)

// Change is one entry of the change log: something of Kind identified by ID changed.
type Change struct {
	Seq  int64
	Kind string
	ID   string
	At   time.Time
}

// Store is the control-plane store. It is composed of small interfaces so that consumers can
// depend on only what they use.
type Store interface {
	Folders
	ServiceAccounts
	AccessKeys
	Bindings
	Buckets
	Objects
	TokenKeys
	Policies
	Revocations
	ChangeLog
	Settings
	// Close releases the store.
	Close() error
}

// Folders stores folders.
type Folders interface {
	CreateFolder(ctx context.Context, f Folder) error
	GetFolder(ctx context.Context, id string) (Folder, error)
	GetFolderByName(ctx context.Context, name string) (Folder, error)
	ListFolders(ctx context.Context) ([]Folder, error)
	UpdateFolder(ctx context.Context, f Folder) error
	// DeleteFolder refuses (ErrNotEmpty) a folder with buckets, or with service accounts unless
	// force, which deletes its SAs, their keys and every binding on the folder.
	DeleteFolder(ctx context.Context, id string, force bool) error
}

// ServiceAccounts stores service accounts.
type ServiceAccounts interface {
	// CreateSA fails with ErrQuota when the folder already has quota SAs (0 = unlimited).
	CreateSA(ctx context.Context, sa ServiceAccount, quota int) error
	GetSA(ctx context.Context, id string) (ServiceAccount, error)
	GetSAByName(ctx context.Context, folderID, name string) (ServiceAccount, error)
	ListSAs(ctx context.Context, folderID string) ([]ServiceAccount, error) // "" lists all
	UpdateSA(ctx context.Context, sa ServiceAccount) error
	// DeleteSA refuses (ErrNotEmpty) an SA with keys unless force, which deletes them too. The
	// SA's role bindings are deleted with it.
	DeleteSA(ctx context.Context, id string, force bool) error
}

// AccessKeys stores static keys.
type AccessKeys interface {
	// CreateKey fails with ErrQuota when the SA already has quota keys (0 = unlimited).
	CreateKey(ctx context.Context, k AccessKey, quota int) error
	GetKey(ctx context.Context, id string) (AccessKey, error)
	ListKeys(ctx context.Context, saID string) ([]AccessKey, error) // "" lists all
	SetKeyStatus(ctx context.Context, id string, status KeyStatus, at time.Time) error
	DeleteKey(ctx context.Context, id string) error
}

// Bindings stores role bindings.
type Bindings interface {
	AddBinding(ctx context.Context, b RoleBinding) error // ErrExists for a duplicate
	RemoveBinding(ctx context.Context, b RoleBinding) error
	ListBindings(ctx context.Context, f BindingFilter) ([]RoleBinding, error)
}

// Buckets stores the bucket registry and bucket configuration.
type Buckets interface {
	CreateBucket(ctx context.Context, b Bucket) error // ErrExists: names are global
	GetBucket(ctx context.Context, name string) (Bucket, error)
	ListBuckets(ctx context.Context, folderID string) ([]Bucket, error) // "" lists all
	// DeleteBucket removes the bucket, its configuration, bucket-scoped bindings and object metadata.
	DeleteBucket(ctx context.Context, name string) error
	PutBucketConfig(ctx context.Context, bucket, kind string, value []byte) error
	DeleteBucketConfig(ctx context.Context, bucket, kind string) error
}

// Objects stores per-object control-plane metadata (ACLs, tags).
type Objects interface {
	PutObjectMeta(ctx context.Context, m ObjectMeta) error
	GetObjectMeta(ctx context.Context, bucket, key, kind string) (ObjectMeta, error)
	// DeleteObjectMeta deletes every kind for the key; a missing row is not an error.
	DeleteObjectMeta(ctx context.Context, bucket, key string) error
}

// TokenKeys stores the shared session-token keyring.
type TokenKeys interface {
	ListTokenKeys(ctx context.Context) ([]TokenKey, error)
	AddTokenKey(ctx context.Context, k TokenKey) error
	RetireTokenKey(ctx context.Context, id uint32, at time.Time) error
	DeleteTokenKey(ctx context.Context, id uint32) error
}

// Policies stores content-addressed session policies.
type Policies interface {
	// PutPolicy stores the document if new and sets LastUsed to at either way.
	PutPolicy(ctx context.Context, p StoredPolicy) error
	GetPolicy(ctx context.Context, hash string) (StoredPolicy, error)
	TouchPolicies(ctx context.Context, hashes []string, at time.Time) error
	DeletePoliciesUnusedSince(ctx context.Context, t time.Time) (int, error)
}

// Revocations stores session revocations.
type Revocations interface {
	AddRevocation(ctx context.Context, r Revocation) (Revocation, error)
	ListRevocations(ctx context.Context) ([]Revocation, error)
	DeleteExpiredRevocations(ctx context.Context, now time.Time) (int, error)
}

// ChangeLog exposes the change log and wake-ups for cache maintenance.
type ChangeLog interface {
	// Changes returns up to limit changes with Seq > after, in order.
	Changes(ctx context.Context, after int64, limit int) ([]Change, error)
	// ChangesAt returns the changes whose Seq is in seqs (those that exist), in order. A node
	// uses it for the sequence numbers it skipped as holes, in case their transactions commit
	// late.
	ChangesAt(ctx context.Context, seqs []int64) ([]Change, error)
	// LastChange returns the highest Seq (0 when the log is empty).
	LastChange(ctx context.Context) (int64, error)
	// Watch returns a channel that receives (coalesced) whenever new changes may exist, until ctx
	// ends. Consumers must also poll: a wake-up can be lost across reconnects.
	Watch(ctx context.Context) <-chan struct{}
	// TrimChanges deletes changes older than t.
	TrimChanges(ctx context.Context, t time.Time) error
}

// Settings stores small named values (install ID, master-key check value).
type Settings interface {
	GetSetting(ctx context.Context, name string) ([]byte, error)
	// PutSettingIfAbsent stores value unless the name exists; it returns the value now stored.
	PutSettingIfAbsent(ctx context.Context, name string, value []byte) ([]byte, error)
	// WithLock runs fn holding a cluster-wide lock (migrations, first-start bootstrap).
	WithLock(ctx context.Context, fn func(ctx context.Context) error) error
	// TryLock runs fn holding the cluster-wide lock called name if no one holds it, and
	// reports whether it ran (periodic work that one node at a time should do). The lock is
	// advisory: on PostgreSQL a database session lost while fn runs frees it.
	TryLock(ctx context.Context, name string, fn func(ctx context.Context) error) (bool, error)
}
