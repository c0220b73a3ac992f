package sts

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hourglass-sts/hourglass/internal/audit"
	"github.com/hourglass-sts/hourglass/internal/authn"
	"github.com/hourglass-sts/hourglass/internal/httpx"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/session"
	"github.com/hourglass-sts/hourglass/internal/sessiontoken"
	"github.com/hourglass-sts/hourglass/internal/sigv4"
)

// Duration limits (DESIGN.md §3, §10).
const (
	MinDuration              = 900 * time.Second
	MaxDurationLimit         = sessiontoken.MaxTokenLifetime // 43,200 s
	DefaultAssumeRoleSeconds = 3600
)

// Options configure a Handler. Auth, Sessions and Dir are required.
type Options struct {
	Auth     *authn.Authenticator
	Sessions *session.Service
	Dir      *iam.Directory
	// Audit receives CreateTemporaryAccessKey and IssuanceDenied events. Nil records nothing;
	// a Logger whose sink fails makes issuance fail closed (ServiceUnavailable).
	Audit    *audit.Logger
	Now      func() time.Time
	Logger   *slog.Logger
	Registry prometheus.Registerer

	// MaxDuration is sts.max_duration: the longest lifetime a temporary key may get
	// (900 s … 12 h; 0 means 12 h).
	MaxDuration time.Duration
	// RateLimit is sts.rate_limit: issuances per second per static key on this node
	// (AssumeRole and GetSessionToken together); 0 disables the limit. DefaultRateLimit is the
	// configuration default.
	RateLimit float64
	// RateBurst is the token bucket's size (0 means DefaultRateBurst).
	RateBurst int

	// ClientIP, if set, returns the request's source address for audit events (the lead's
	// trusted-proxy logic). Otherwise the peer address is used, or, when the peer is in
	// TrustedProxies, the right-most X-Forwarded-For address that is not.
	ClientIP       func(*http.Request) netip.Addr
	TrustedProxies []netip.Prefix
}

// Handler serves the STS Query API. It is safe for concurrent use.
type Handler struct {
	o      Options
	maxDur int // seconds
	lim    *limiter
	pols   *policyCache
	errs   *prometheus.CounterVec
}

var _ http.Handler = (*Handler)(nil)

// New returns a Handler.
func New(o Options) (*Handler, error) {
	if o.Auth == nil || o.Sessions == nil || o.Dir == nil {
		return nil, errors.New("sts: Options need Auth, Sessions and Dir")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxDuration == 0 {
		o.MaxDuration = MaxDurationLimit
	}
	if o.MaxDuration < MinDuration || o.MaxDuration > MaxDurationLimit {
		return nil, fmt.Errorf("sts: max_duration %s is outside %s…%s", o.MaxDuration, MinDuration, MaxDurationLimit)
	}
	if o.RateLimit < 0 {
		return nil, fmt.Errorf("sts: rate_limit %v is negative (0 disables the limit)", o.RateLimit)
	}
	if o.RateBurst == 0 {
		o.RateBurst = DefaultRateBurst
	}
	h := &Handler{o: o, maxDur: int(o.MaxDuration / time.Second), pols: newPolicyCache()}
	if o.RateLimit > 0 {
		h.lim = newLimiter(o.RateLimit, o.RateBurst, o.Now)
	}
	h.errs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hourglass_sts_errors_total", Help: "STS error responses by error code.",
	}, []string{"code"})
	if o.Registry != nil {
		if err := o.Registry.Register(h.errs); err != nil {
			return nil, fmt.Errorf("sts: registering metrics: %w", err)
		}
	}
	return h, nil
}

// request is one STS call being served.
type request struct {
	w         http.ResponseWriter
	r         *http.Request
	info      *httpx.Info
	principal *iam.Principal
	params    params
}

// ServeHTTP serves one STS request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := httpx.FromContext(r.Context())
	if info.ID == "" { // outside httpx.Wrap (tests, embedding)
		info.ID = httpx.NewRequestID()
	}
	if e := h.serve(w, r, info); e != nil {
		h.fail(w, r, info, e)
	}
}

// OnPanic writes STS's 500 envelope; pass it as httpx.Options.OnPanic for an STS-only listener.
func OnPanic(w http.ResponseWriter, r *http.Request) {
	writeError(w, errInternal(nil), httpx.FromContext(r.Context()).ID)
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, info *httpx.Info, e *Error) {
	info.Reason = e.Error()
	h.errs.WithLabelValues(e.Code).Inc()
	if e.Status >= 500 {
		h.o.Logger.Error("sts request failed", "request_id", info.ID, "op", info.Op, "code", e.Code, "err", e)
	} else {
		h.o.Logger.Debug("sts request refused", "request_id", info.ID, "op", info.Op, "code", e.Code, "reason", e)
	}
	writeError(w, e, info.ID)
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, info *httpx.Info) *Error {
	if info.Op == "" {
		info.Op = "STS"
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		return newError(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "The STS Query API accepts GET and POST, not "+echo(r.Method)+".")
	}
	if r.ContentLength > MaxBodyBytes {
		// Answer at once; net/http closes the connection rather than drain a large body.
		return errBodyTooLarge()
	}
	res, err := h.o.Auth.Authenticate(r, authn.Options{Service: "sts", BufferBody: MaxBodyBytes})
	if err != nil {
		return fromAuth(r, err)
	}
	p := res.Principal
	if p.Anonymous() {
		return newError(http.StatusForbidden, CodeMissingAuthenticationToken, msgMissingAuth)
	}
	info.Principal = p.ARN
	info.Session = p.SessionID
	body, e := readBody(r, res.Body)
	if e != nil {
		return e
	}
	in, e := parseParams(r, body)
	if e != nil {
		return e
	}
	action, hasAction := in.get("Action")
	version, hasVersion := in.get("Version")
	if !hasAction || action == "" {
		return newError(http.StatusBadRequest, CodeInvalidAction, "The request has no Action parameter.")
	}
	if !hasVersion {
		version = "NO_VERSION_SPECIFIED"
	}
	if !knownAction(action) || version != APIVersion {
		// AWS's wording; a missing Version is reported the same way.
		return newError(http.StatusBadRequest, CodeInvalidAction, "Could not find operation "+echo(action)+" for version "+echo(version))
	}
	info.Op = action
	q := &request{w: w, r: r, info: info, principal: p, params: in}
	switch action {
	case ActionAssumeRole:
		return h.assumeRole(q)
	case ActionGetSessionToken:
		return h.getSessionToken(q)
	case ActionGetCallerIdentity:
		return h.getCallerIdentity(q)
	default:
		return h.getAccessKeyInfo(q)
	}
}

// readBody reads the verified body, at most MaxBodyBytes.
func readBody(r *http.Request, b *sigv4.Body) ([]byte, *Error) {
	if b == nil {
		return nil, nil
	}
	defer b.Close()
	data, err := io.ReadAll(io.LimitReader(b, MaxBodyBytes+1))
	if err != nil {
		return nil, fromAuth(r, authn.FromSigV4(err))
	}
	if len(data) > MaxBodyBytes {
		return nil, errBodyTooLarge()
	}
	return data, nil
}

// sourceIP is the client address recorded in audit events.
func (h *Handler) sourceIP(r *http.Request) string {
	if h.o.ClientIP != nil {
		if a := h.o.ClientIP(r); a.IsValid() {
			return a.String()
		}
		return ""
	}
	peer := peerAddr(r.RemoteAddr)
	if !peer.IsValid() || !h.trusted(peer) {
		return addrString(peer)
	}
	// Walk X-Forwarded-For from the right: the first address not of a trusted proxy is the
	// client (everything left of it could have been written by the client itself).
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		a = a.Unmap()
		if !h.trusted(a) {
			return a.String()
		}
		peer = a
	}
	return peer.String()
}

func (h *Handler) trusted(a netip.Addr) bool {
	for _, p := range h.o.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func peerAddr(remote string) netip.Addr {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap()
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
