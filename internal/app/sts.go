package app

import (
	"net/http"
	"net/netip"

	"github.com/hourglass-sts/hourglass/internal/adminapi"
	"github.com/hourglass-sts/hourglass/internal/authz"
	"github.com/hourglass-sts/hourglass/internal/sts"
)

// stsHandler returns the STS Query API handler.
func (a *App) stsHandler() http.Handler {
	h, err := sts.New(sts.Options{
		Auth: a.authn, Sessions: a.sessions, Dir: a.dir, Audit: a.audit, Now: a.deps.Now, Logger: a.log,
		Registry: a.deps.Registry, MaxDuration: a.cfg.STS.MaxDuration, RateLimit: a.cfg.STS.RateLimit,
		RateBurst: a.cfg.STS.RateBurst, TrustedProxies: a.trustedProxies(),
	})
	if err != nil {
		// The configuration was validated; an error here is a programming error worth failing loudly.
		panic("app: building the STS handler: " + err.Error())
	}
	return h
}

// adminExtensions returns the admin routes of the STS and authorization layers.
func (a *App) adminExtensions() []adminapi.Extension {
	return []adminapi.Extension{
		authz.AdminExtension(a.authz, a.dir, a.iam),
		sts.AdminExtension(a.sessions, a.iam, a.audit),
	}
}

// trustedProxies parses trusted_proxies (validated by config) into prefixes.
func (a *App) trustedProxies() []netip.Prefix {
	var out []netip.Prefix
	for _, c := range a.cfg.TrustedProxies {
		if p, err := netip.ParsePrefix(c); err == nil {
			out = append(out, p)
		} else if addr, err := netip.ParseAddr(c); err == nil {
			out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
		}
	}
	return out
}
