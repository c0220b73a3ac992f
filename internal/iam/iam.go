// Package iam is the identity model: folders, service accounts, static access keys (generated
// with crypto/rand, secrets sealed under the master key), role bindings of the six storage roles
// and the bucket registry. It validates names, resolves names or IDs, enforces quotas and writes
// through to the control-plane store; Directory keeps the hot in-memory view the request path
// reads.
package iam

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hourglass-sts/hourglass/internal/masterkey"
	"github.com/hourglass-sts/hourglass/internal/meta"
)

// Errors returned besides meta's sentinels (which pass through wrapped).
var (
	ErrInvalid           = errors.New("iam: invalid argument")
	ErrInvalidBucketName = errors.New("iam: invalid bucket name")
)

// DefaultFolder is the folder that exists from first start.
const DefaultFolder = "default"

// Options configure a Service.
type Options struct {
	Store  meta.Store
	Master *masterkey.Key
	Now    func() time.Time
	// Quotas; 0 means unlimited.
	SAsPerFolder int
	KeysPerSA    int
	// BucketCreated and BucketDeleting let the object backend follow the registry; either may be nil.
	BucketCreated  func(ctx context.Context, name string) error
	BucketDeleting func(ctx context.Context, name string) error
	// BucketAdopted takes over an existing backend bucket for a new registry entry.
	BucketAdopted func(ctx context.Context, name string) error
}

// Service performs IAM changes.
type Service struct {
	o Options
}

// New returns a Service.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{o: o}
}

// Store returns the underlying store.
func (s *Service) Store() meta.Store { return s.o.Store }

func (s *Service) now() time.Time { return s.o.Now().UTC() }

// SecretContext is the AEAD context binding a sealed static secret to its key ID.
func SecretContext(keyID string) string { return "static-key:" + keyID }

// Bootstrap creates the default folder if absent. It runs under the store's cluster lock.
func (s *Service) Bootstrap(ctx context.Context) error {
	return s.o.Store.WithLock(ctx, func(ctx context.Context) error {
		_, err := s.o.Store.GetFolderByName(ctx, DefaultFolder)
		if errors.Is(err, meta.ErrNotFound) {
			err = s.o.Store.CreateFolder(ctx, meta.Folder{ID: NewFolderID(), Name: DefaultFolder, CreatedAt: s.now()})
		}
		return err
	})
}

// ---- folders

// ResolveFolder finds a folder by name or ID; "" means the default folder.
func (s *Service) ResolveFolder(ctx context.Context, ref string) (meta.Folder, error) {
	if ref == "" {
		ref = DefaultFolder
	}
	f, err := s.o.Store.GetFolderByName(ctx, ref)
	if errors.Is(err, meta.ErrNotFound) {
		f, err = s.o.Store.GetFolder(ctx, ref)
	}
	if errors.Is(err, meta.ErrNotFound) {
		return f, fmt.Errorf("%w: folder %q", meta.ErrNotFound, ref)
	}
	return f, err
}

// CreateFolder creates a folder.
func (s *Service) CreateFolder(ctx context.Context, name string) (meta.Folder, error) {
	if err := ValidateName("folder", name); err != nil {
		return meta.Folder{}, err
	}
	f := meta.Folder{ID: NewFolderID(), Name: name, CreatedAt: s.now()}
	return f, s.o.Store.CreateFolder(ctx, f)
}

// DeleteFolder deletes a folder; see meta.Folders.DeleteFolder for force.
func (s *Service) DeleteFolder(ctx context.Context, ref string, force bool) (meta.Folder, error) {
	f, err := s.ResolveFolder(ctx, ref)
	if err != nil {
		return f, err
	}
	return f, s.o.Store.DeleteFolder(ctx, f.ID, force)
}

// SetFolderSTS enables or disables temporary-key issuance for a whole folder.
func (s *Service) SetFolderSTS(ctx context.Context, ref string, enabled bool) (meta.Folder, error) {
	f, err := s.ResolveFolder(ctx, ref)
	if err != nil {
		return f, err
	}
	f.STSDisabled = !enabled
	return f, s.o.Store.UpdateFolder(ctx, f)
}

// ---- service accounts

// ResolveSA finds a service account by ID, or by name within folderRef (default folder if "").
func (s *Service) ResolveSA(ctx context.Context, ref, folderRef string) (meta.ServiceAccount, error) {
	sa, err := s.o.Store.GetSA(ctx, ref)
	if err == nil || !errors.Is(err, meta.ErrNotFound) {
		return sa, err
	}
	f, err := s.ResolveFolder(ctx, folderRef)
	if err != nil {
		return sa, err
	}
	sa, err = s.o.Store.GetSAByName(ctx, f.ID, ref)
	if errors.Is(err, meta.ErrNotFound) {
		return sa, fmt.Errorf("%w: service account %q in folder %q", meta.ErrNotFound, ref, f.Name)
	}
	return sa, err
}

// CreateSA creates a service account in a folder (default if "").
func (s *Service) CreateSA(ctx context.Context, name, folderRef, description string) (meta.ServiceAccount, error) {
	if err := ValidateName("service account", name); err != nil {
		return meta.ServiceAccount{}, err
	}
	if len(description) > 256 {
		return meta.ServiceAccount{}, fmt.Errorf("%w: description longer than 256 characters", ErrInvalid)
	}
	f, err := s.ResolveFolder(ctx, folderRef)
	if err != nil {
		return meta.ServiceAccount{}, err
	}
	sa := meta.ServiceAccount{ID: NewSAID(), FolderID: f.ID, Name: name, Description: description, CreatedAt: s.now()}
	return sa, s.o.Store.CreateSA(ctx, sa, s.o.SAsPerFolder)
}

// ListSAs lists service accounts of a folder, or of all folders when folderRef is "*".
func (s *Service) ListSAs(ctx context.Context, folderRef string) ([]meta.ServiceAccount, error) {
	if folderRef == "*" {
		return s.o.Store.ListSAs(ctx, "")
	}
	f, err := s.ResolveFolder(ctx, folderRef)
	if err != nil {
		return nil, err
	}
	return s.o.Store.ListSAs(ctx, f.ID)
}

// SetSASTS enables or disables temporary-key issuance for one service account.
func (s *Service) SetSASTS(ctx context.Context, ref, folderRef string, enabled bool) (meta.ServiceAccount, error) {
	sa, err := s.ResolveSA(ctx, ref, folderRef)
	if err != nil {
		return sa, err
	}
	sa.STSDisabled = !enabled
	return sa, s.o.Store.UpdateSA(ctx, sa)
}

// DeleteSA deletes a service account (with its keys when force).
func (s *Service) DeleteSA(ctx context.Context, ref, folderRef string, force bool) (meta.ServiceAccount, error) {
	sa, err := s.ResolveSA(ctx, ref, folderRef)
	if err != nil {
		return sa, err
	}
	return sa, s.o.Store.DeleteSA(ctx, sa.ID, force)
}

// ---- keys

// NewKey is a freshly created static key, the only time its secret is visible.
type NewKey struct {
	Key    meta.AccessKey
	Secret string
}

// CreateKey creates a static key for a service account.
func (s *Service) CreateKey(ctx context.Context, saRef, folderRef, description string) (NewKey, error) {
	if len(description) > 256 {
		return NewKey{}, fmt.Errorf("%w: description longer than 256 characters", ErrInvalid)
	}
	sa, err := s.ResolveSA(ctx, saRef, folderRef)
	if err != nil {
		return NewKey{}, err
	}
	id, secret := NewKeyID(), NewSecret()
	now := s.now()
	k := meta.AccessKey{
		ID: id, SAID: sa.ID, FolderID: sa.FolderID, Status: meta.KeyActive, CreatedAt: now, StatusAt: now,
		SealedSecret: s.o.Master.Seal([]byte(secret), SecretContext(id)),
		Description:  description,
	}
	if err := s.o.Store.CreateKey(ctx, k, s.o.KeysPerSA); err != nil {
		return NewKey{}, err
	}
	return NewKey{Key: k, Secret: secret}, nil
}

// ListKeys lists keys of one service account, or all keys when saRef is "".
func (s *Service) ListKeys(ctx context.Context, saRef, folderRef string) ([]meta.AccessKey, error) {
	if saRef == "" {
		return s.o.Store.ListKeys(ctx, "")
	}
	sa, err := s.ResolveSA(ctx, saRef, folderRef)
	if err != nil {
		return nil, err
	}
	return s.o.Store.ListKeys(ctx, sa.ID)
}

// GetKey returns a key's record.
func (s *Service) GetKey(ctx context.Context, id string) (meta.AccessKey, error) {
	return s.o.Store.GetKey(ctx, id)
}

// SetKeyEnabled disables or enables a key. Disabling ends every session issued before that
// moment; enabling later does not bring them back (sessions must be issued after StatusAt).
func (s *Service) SetKeyEnabled(ctx context.Context, id string, enabled bool) (meta.AccessKey, error) {
	k, err := s.o.Store.GetKey(ctx, id)
	if err != nil {
		return k, err
	}
	status := meta.KeyDisabled
	if enabled {
		status = meta.KeyActive
	}
	if k.Status == status {
		return k, nil
	}
	k.Status, k.StatusAt = status, s.now()
	return k, s.o.Store.SetKeyStatus(ctx, id, status, k.StatusAt)
}

// DeleteKey deletes a key, ending all its sessions.
func (s *Service) DeleteKey(ctx context.Context, id string) error {
	return s.o.Store.DeleteKey(ctx, id)
}

// OpenSecret decrypts a key's sealed secret.
func (s *Service) OpenSecret(k meta.AccessKey) ([]byte, error) {
	return s.o.Master.Open(k.SealedSecret, SecretContext(k.ID))
}

// ---- role bindings

// Binding names a binding's target in user terms.
type Binding struct {
	Role    string
	Subject string // SA ID or name, allUsers, allAuthenticatedUsers
	Folder  string // folder name or ID (exclusive with Bucket)
	Bucket  string
}

func (s *Service) resolveBinding(ctx context.Context, b Binding) (meta.RoleBinding, error) {
	var rb meta.RoleBinding
	if !ValidRole(b.Role) {
		return rb, fmt.Errorf("%w: unknown role %q (one of %v)", ErrInvalid, b.Role, Roles)
	}
	if (b.Folder == "") == (b.Bucket == "") {
		return rb, fmt.Errorf("%w: give exactly one of folder or bucket", ErrInvalid)
	}
	rb.Role = b.Role
	if b.Bucket != "" {
		if _, err := s.o.Store.GetBucket(ctx, b.Bucket); err != nil {
			return rb, err
		}
		rb.ScopeType, rb.ScopeID = meta.ScopeBucket, b.Bucket
	} else {
		f, err := s.ResolveFolder(ctx, b.Folder)
		if err != nil {
			return rb, err
		}
		rb.ScopeType, rb.ScopeID = meta.ScopeFolder, f.ID
	}
	switch b.Subject {
	case meta.AllUsers, meta.AllAuthenticatedUsers:
		rb.Subject = b.Subject
	case "":
		return rb, fmt.Errorf("%w: a subject is required (service account, allUsers or allAuthenticatedUsers)", ErrInvalid)
	default:
		folder := b.Folder
		if b.Bucket != "" {
			bk, _ := s.o.Store.GetBucket(ctx, b.Bucket)
			folder = bk.FolderID
		}
		sa, err := s.ResolveSA(ctx, b.Subject, folder)
		if err != nil {
			return rb, err
		}
		rb.Subject = sa.ID
	}
	return rb, nil
}

// Grant adds a role binding.
func (s *Service) Grant(ctx context.Context, b Binding) (meta.RoleBinding, error) {
	rb, err := s.resolveBinding(ctx, b)
	if err != nil {
		return rb, err
	}
	rb.CreatedAt = s.now()
	return rb, s.o.Store.AddBinding(ctx, rb)
}

// Revoke removes a role binding.
func (s *Service) Revoke(ctx context.Context, b Binding) (meta.RoleBinding, error) {
	rb, err := s.resolveBinding(ctx, b)
	if err != nil {
		return rb, err
	}
	return rb, s.o.Store.RemoveBinding(ctx, rb)
}

// ListBindings lists bindings on a folder or a bucket, or all when both are empty.
func (s *Service) ListBindings(ctx context.Context, folderRef, bucket string) ([]meta.RoleBinding, error) {
	var f meta.BindingFilter
	switch {
	case folderRef != "" && bucket != "":
		return nil, fmt.Errorf("%w: give at most one of folder or bucket", ErrInvalid)
	case bucket != "":
		f.ScopeType, f.ScopeID = meta.ScopeBucket, bucket
	case folderRef != "":
		fo, err := s.ResolveFolder(ctx, folderRef)
		if err != nil {
			return nil, err
		}
		f.ScopeType, f.ScopeID = meta.ScopeFolder, fo.ID
	}
	return s.o.Store.ListBindings(ctx, f)
}

// ---- buckets

// CreateBucket registers a bucket in a folder and creates it in the object backend.
func (s *Service) CreateBucket(ctx context.Context, name, folderRef string, config map[string][]byte) (meta.Bucket, error) {
	if err := ValidateBucketName(name); err != nil {
		return meta.Bucket{}, err
	}
	f, err := s.ResolveFolder(ctx, folderRef)
	if err != nil {
		return meta.Bucket{}, err
	}
	b := meta.Bucket{Name: name, FolderID: f.ID, CreatedAt: s.now(), Config: config}
	if err := s.o.Store.CreateBucket(ctx, b); err != nil {
		return b, err
	}
	if s.o.BucketCreated != nil {
		if err := s.o.BucketCreated(ctx, name); err != nil {
			// Undo the registration so that no half-created bucket remains.
			_ = s.o.Store.DeleteBucket(context.WithoutCancel(ctx), name)
			return b, err
		}
	}
	return b, nil
}

// AdoptBucket registers a bucket that already exists in the object backend (an upstream bucket,
// or one whose registry entry was lost) in a folder.
func (s *Service) AdoptBucket(ctx context.Context, name, folderRef string) (meta.Bucket, error) {
	if err := ValidateBucketName(name); err != nil {
		return meta.Bucket{}, err
	}
	f, err := s.ResolveFolder(ctx, folderRef)
	if err != nil {
		return meta.Bucket{}, err
	}
	b := meta.Bucket{Name: name, FolderID: f.ID, CreatedAt: s.now()}
	if err := s.o.Store.CreateBucket(ctx, b); err != nil {
		return b, err
	}
	if s.o.BucketAdopted != nil {
		if err := s.o.BucketAdopted(ctx, name); err != nil {
			_ = s.o.Store.DeleteBucket(context.WithoutCancel(ctx), name)
			return b, err
		}
	}
	return b, nil
}

// DeleteBucket deletes a bucket (the backend refuses a non-empty one) and its registry entry.
func (s *Service) DeleteBucket(ctx context.Context, name string) error {
	if _, err := s.o.Store.GetBucket(ctx, name); err != nil {
		return err
	}
	if s.o.BucketDeleting != nil {
		if err := s.o.BucketDeleting(ctx, name); err != nil {
			return err
		}
	}
	return s.o.Store.DeleteBucket(ctx, name)
}

// ListBuckets lists the buckets of a folder, or of all folders when folderRef is "*".
func (s *Service) ListBuckets(ctx context.Context, folderRef string) ([]meta.Bucket, error) {
	if folderRef == "*" {
		return s.o.Store.ListBuckets(ctx, "")
	}
	f, err := s.ResolveFolder(ctx, folderRef)
	if err != nil {
		return nil, err
	}
	return s.o.Store.ListBuckets(ctx, f.ID)
}
