package app

import (
	"net/http"

	"github.com/hourglass-sts/hourglass/internal/adminapi"
	"github.com/hourglass-sts/hourglass/internal/authz"
)

// stsHandler returns the STS Query API handler (nil until the STS package is wired).
func (a *App) stsHandler() http.Handler { return nil }

// isSTS reports whether a request on the shared listener is an STS request.
func isSTS(r *http.Request) bool { return false }

// adminExtensions returns the admin routes of the STS, authorization and S3 layers.
func (a *App) adminExtensions() []adminapi.Extension {
	return []adminapi.Extension{authz.AdminExtension(a.authz, a.dir, a.iam)}
}
