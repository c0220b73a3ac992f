package app

import (
	"net/http"

	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/s3api"
	"github.com/hourglass-sts/hourglass/internal/session"
)

// s3Handler returns the S3 REST API handler.
func (a *App) s3Handler() http.Handler {
	return s3api.New(s3api.Options{
		Authn:          a.authn,
		Authz:          a.authz,
		Dir:            a.dir,
		Buckets:        a.iam,
		Config:         a.store,
		Blobs:          a.blobs,
		Audit:          a.audit,
		Logger:         a.log,
		Now:            a.deps.Now,
		Domain:         a.cfg.Domain,
		Region:         a.cfg.Region,
		TrustedProxies: a.trustedProxies(),
	})
}

// Sessions returns the node's temporary-key service (tests and in-process tools issue
// temporary keys with it).
func (a *App) Sessions() *session.Service { return a.sessions }

// Directory returns the node's in-memory control-plane view (tests call Sync to see a change
// at once).
func (a *App) Directory() *iam.Directory { return a.dir }
