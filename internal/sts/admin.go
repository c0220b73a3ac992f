package sts

import (
	"net/http"
	"time"

	"github.com/hourglass-sts/hourglass/internal/adminapi"
	"github.com/hourglass-sts/hourglass/internal/audit"
	"github.com/hourglass-sts/hourglass/internal/httpx"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/session"
	"github.com/hourglass-sts/hourglass/internal/sessiontoken"
)

// TokenKey is the admin API's JSON shape of a token key (never its material).
type TokenKey struct {
	ID         uint32    `json:"id"`
	Alg        string    `json:"alg"`
	State      string    `json:"state"`
	CreatedAt  time.Time `json:"created_at"`
	ActivateAt time.Time `json:"activate_at"`
	RetireAt   time.Time `json:"retire_at,omitzero"`
	DropAt     time.Time `json:"drop_at,omitzero"`
}

// RotateResult is the answer of POST /v1/token-keys/rotate: what the rotation did and the
// keyring afterwards. Added is nil when a key was already pending (it is the rotation).
type RotateResult struct {
	Added   *TokenKey  `json:"added,omitempty"`
	Dropped []uint32   `json:"dropped"`
	Keys    []TokenKey `json:"keys"`
}

// RevokeRequest is the body of POST /v1/sessions/revoke: exactly one of SessionID, Key and SA.
// Before (RFC 3339, default now) applies to Key and SA: sessions issued before it end.
type RevokeRequest struct {
	SessionID string `json:"session_id,omitempty"`
	Key       string `json:"key,omitempty"`
	SA        string `json:"sa,omitempty"`
	Folder    string `json:"folder,omitempty"`
	Before    string `json:"before,omitempty"`
}

// maxFutureBefore bounds how far in the future a revocation's "before" may lie: a typo such as
// the wrong year would otherwise block every new session of the key for the revocation's life.
const maxFutureBefore = 5 * time.Minute

// AdminExtension adds the STS routes to the admin API:
//
//	GET  /v1/token-keys          the keyring (KeyInfo)
//	POST /v1/token-keys/rotate   force a rotation; returns the plan and the keyring
//	POST /v1/sessions/revoke     revoke a session, or a key's or an SA's sessions before a time
//
// The admin server audits every change (AdminChange, before and after, failing closed); each
// revocation also emits a RevokeSessions event naming what was revoked. If that second event
// cannot be written the revocation stands (it has taken effect) and the loss is logged.
func AdminExtension(sessions *session.Service, iamSvc *iam.Service, auditLog *audit.Logger) adminapi.Extension {
	return func(_ *http.ServeMux, handle func(pattern, op string, h adminapi.HandlerFunc)) {
		handle("GET /v1/token-keys", "ListTokenKeys", func(r *http.Request) (int, any, error) {
			return http.StatusOK, tokenKeys(sessions.KeyInfo()), nil
		})
		handle("POST /v1/token-keys/rotate", "RotateTokenKeys", func(r *http.Request) (int, any, error) {
			plan, err := sessions.Rotate(r.Context(), true)
			if err != nil {
				return 0, nil, err
			}
			out := RotateResult{Dropped: []uint32{}, Keys: tokenKeys(sessions.KeyInfo())}
			for _, id := range plan.Drop {
				out.Dropped = append(out.Dropped, uint32(id))
			}
			if plan.Add != nil {
				for _, k := range out.Keys {
					if k.ID == uint32(plan.Add.ID) {
						out.Added = &k
					}
				}
			}
			return http.StatusOK, out, nil
		})
		handle("POST /v1/sessions/revoke", "RevokeSessions", func(r *http.Request) (int, any, error) {
			var req RevokeRequest
			if err := adminapi.Decode(r, &req); err != nil {
				return 0, nil, err
			}
			return revoke(r, sessions, iamSvc, auditLog, req)
		})
	}
}

func badArg(msg string) error {
	return &adminapi.Error{Status: http.StatusBadRequest, Code: "InvalidArgument", Msg: msg}
}

func revoke(r *http.Request, sessions *session.Service, iamSvc *iam.Service, auditLog *audit.Logger, req RevokeRequest) (int, any, error) {
	n := 0
	for _, s := range []string{req.SessionID, req.Key, req.SA} {
		if s != "" {
			n++
		}
	}
	if n != 1 {
		return 0, nil, badArg(`give exactly one of "session_id", "key" or "sa"`)
	}
	if req.Folder != "" && req.SA == "" {
		return 0, nil, badArg(`"folder" only applies with "sa"`)
	}
	var before time.Time
	if req.Before != "" {
		if req.SessionID != "" {
			return 0, nil, badArg(`"before" applies to "key" and "sa", not to one session`)
		}
		t, err := time.Parse(time.RFC3339, req.Before)
		if err != nil {
			return 0, nil, badArg(`"before" must be an RFC 3339 time such as 2025-01-02T15:04:05Z`)
		}
		if t.After(time.Now().Add(maxFutureBefore)) {
			return 0, nil, badArg(`"before" lies in the future; it would also end sessions not yet issued`)
		}
		before = t
	}
	ctx := r.Context()
	var kind, target string
	switch {
	case req.SessionID != "":
		if _, err := sessiontoken.ParseSessionID(req.SessionID); err != nil {
			return 0, nil, badArg("session_id must be the 32 hexadecimal digits of a session ID")
		}
		kind, target = meta.RevokeSession, req.SessionID
	case req.Key != "":
		k, err := iamSvc.GetKey(ctx, req.Key)
		if err != nil {
			return 0, nil, err
		}
		kind, target = meta.RevokeKey, k.ID
	default:
		sa, err := iamSvc.ResolveSA(ctx, req.SA, req.Folder)
		if err != nil {
			return 0, nil, err
		}
		kind, target = meta.RevokeSA, sa.ID
	}
	rev, err := sessions.Revoke(ctx, kind, target, before)
	if err != nil {
		return 0, nil, err
	}
	ev := audit.Event{Event: audit.RevokeSessions, RequestID: httpx.FromContext(ctx).ID,
		Operation: "RevokeSessions", Target: kind + ":" + target, Outcome: "revoked"}
	if !rev.Before.IsZero() {
		ev.Reason = "sessions issued before " + rev.Before.UTC().Format(time.RFC3339)
	}
	if kind == meta.RevokeSession {
		ev.SessionID = target
	}
	if err := auditLog.Emit(ev); err != nil {
		// The admin server audited the attempt before the change (failing closed); a revocation
		// that took effect is not reported as failed because its second record was lost.
		httpx.FromContext(ctx).Reason = "revocation applied; RevokeSessions audit event lost: " + err.Error()
	}
	return http.StatusOK, rev, nil
}

func tokenKeys(infos []sessiontoken.KeyInfo) []TokenKey {
	out := make([]TokenKey, 0, len(infos))
	for _, k := range infos {
		out = append(out, TokenKey{ID: uint32(k.ID), Alg: k.Alg.String(), State: string(k.State),
			CreatedAt: k.CreatedAt.UTC(), ActivateAt: k.ActivateAt.UTC(), RetireAt: k.RetireAt.UTC(), DropAt: k.DropAt.UTC()})
	}
	return out
}
