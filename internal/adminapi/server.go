// Package adminapi is Hourglass's JSON admin API (bearer admin token, constant-time check) and
// its Go client, which the hourglass CLI uses. Every change runs as one store transaction.
package adminapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hourglass-sts/hourglass/internal/audit"
	"github.com/hourglass-sts/hourglass/internal/blob"
	"github.com/hourglass-sts/hourglass/internal/httpx"
	"github.com/hourglass-sts/hourglass/internal/iam"
	"github.com/hourglass-sts/hourglass/internal/meta"
)

// MaxBodyBytes caps admin request bodies (a bucket policy is at most 20 KiB; ACL XML less).
const MaxBodyBytes = 1 << 20

// Error is an admin API error: an HTTP status, a stable code, a client-safe message and the
// cause for the log.
type Error struct {
	Status int
	Code   string
	Msg    string
	Err    error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

// Extension adds routes to the admin mux (STS, authorization and S3 features register theirs).
type Extension func(mux *http.ServeMux, handle func(pattern string, op string, h HandlerFunc))

// HandlerFunc is an admin handler that returns its result or an error.
type HandlerFunc func(r *http.Request) (status int, body any, err error)

// Server serves the admin API.
type Server struct {
	IAM       *iam.Service
	TokenHash [32]byte
	Logger    *slog.Logger
	// Audit records every admin change (nil: not audited).
	Audit *audit.Logger
	mux   *http.ServeMux
}

// NewServer builds the admin API handler. token is the admin bearer token.
func NewServer(svc *iam.Service, token string, logger *slog.Logger, auditLog *audit.Logger, exts ...Extension) *Server {
	s := &Server{IAM: svc, TokenHash: sha256.Sum256([]byte(token)), Logger: logger, Audit: auditLog, mux: http.NewServeMux()}
	h := s.handle
	h("POST /v1/folders", "CreateFolder", s.createFolder)
	h("GET /v1/folders", "ListFolders", s.listFolders)
	h("DELETE /v1/folders/{ref}", "DeleteFolder", s.deleteFolder)
	h("PATCH /v1/folders/{ref}", "UpdateFolder", s.updateFolder)
	h("POST /v1/service-accounts", "CreateServiceAccount", s.createSA)
	h("GET /v1/service-accounts", "ListServiceAccounts", s.listSAs)
	h("GET /v1/service-accounts/{ref}", "GetServiceAccount", s.getSA)
	h("PATCH /v1/service-accounts/{ref}", "UpdateServiceAccount", s.updateSA)
	h("DELETE /v1/service-accounts/{ref}", "DeleteServiceAccount", s.deleteSA)
	h("POST /v1/keys", "CreateKey", s.createKey)
	h("GET /v1/keys", "ListKeys", s.listKeys)
	h("GET /v1/keys/{id}", "GetKey", s.getKey)
	h("POST /v1/keys/{id}/disable", "DisableKey", s.setKey(false))
	h("POST /v1/keys/{id}/enable", "EnableKey", s.setKey(true))
	h("DELETE /v1/keys/{id}", "DeleteKey", s.deleteKey)
	h("POST /v1/role-bindings", "GrantRole", s.grant)
	h("POST /v1/role-bindings/revoke", "RevokeRole", s.revoke)
	h("GET /v1/role-bindings", "ListRoleBindings", s.listBindings)
	h("POST /v1/buckets", "CreateBucket", s.createBucket)
	h("GET /v1/buckets", "ListBuckets", s.listBuckets)
	h("DELETE /v1/buckets/{name}", "DeleteBucket", s.deleteBucket)
	h("POST /v1/buckets/adopt", "AdoptBucket", s.adoptBucket)
	for _, ext := range exts {
		ext(s.mux, h)
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, &Error{Status: http.StatusNotFound, Code: "NotFound", Msg: "no such admin endpoint: " + r.Method + " " + r.URL.Path})
	})
	return s
}

// ServeHTTP checks the bearer token, then dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		httpx.FromContext(r.Context()).Reason = "bad or missing admin token"
		w.Header().Set("WWW-Authenticate", `Bearer realm="hourglass-admin"`)
		writeError(w, r, &Error{Status: http.StatusUnauthorized, Code: "Unauthorized", Msg: "missing or wrong admin token"})
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) authorized(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(sum[:], s.TokenHash[:]) == 1
}

func (s *Server) handle(pattern, op string, h HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		info := httpx.FromContext(r.Context())
		info.Op = op
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		// Changes are audited before they happen (fail closed) and again with their outcome.
		audited := r.Method != http.MethodGet && r.Method != http.MethodHead && s.Audit.Enabled()
		ev := audit.Event{Event: audit.AdminChange, RequestID: info.ID, SourceIP: r.RemoteAddr, UserAgent: r.UserAgent(),
			Principal: "admin", Operation: op, Target: r.URL.RequestURI(), Outcome: "attempt"}
		if audited {
			if err := s.Audit.Emit(ev); err != nil {
				s.Logger.Error("audit sink failed; refusing the admin change", "request_id", info.ID, "err", err)
				writeError(w, r, &Error{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Msg: "the audit log cannot be written; the change was not made"})
				return
			}
		}
		status, body, err := h(r)
		if audited {
			ev.Outcome = "success"
			if err != nil {
				ev.Outcome, ev.Error = "failure", toError(err).Msg
			}
			if aerr := s.Audit.Emit(ev); aerr != nil {
				s.Logger.Error("audit sink failed after an admin change", "request_id", info.ID, "err", aerr)
			}
		}
		if err != nil {
			e := toError(err)
			if e.Status >= 500 && s.Logger != nil {
				s.Logger.Error("admin request failed", "request_id", httpx.FromContext(r.Context()).ID, "op", op, "err", err)
			}
			httpx.FromContext(r.Context()).Reason = e.Error()
			writeError(w, r, e)
			return
		}
		writeJSON(w, status, body)
	})
}

// toError maps errors from iam and meta onto admin API errors.
func toError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "RequestTooLarge", Msg: fmt.Sprintf("request body exceeds %d bytes", MaxBodyBytes), Err: err}
	case errors.Is(err, meta.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "NotFound", Msg: clean(err)}
	case errors.Is(err, meta.ErrExists):
		return &Error{Status: http.StatusConflict, Code: "AlreadyExists", Msg: clean(err)}
	case errors.Is(err, meta.ErrNotEmpty):
		return &Error{Status: http.StatusConflict, Code: "NotEmpty", Msg: clean(err)}
	case errors.Is(err, meta.ErrQuota):
		return &Error{Status: http.StatusConflict, Code: "QuotaExceeded", Msg: clean(err)}
	case errors.Is(err, blob.ErrBucketNotEmpty):
		return &Error{Status: http.StatusConflict, Code: "NotEmpty", Msg: "the bucket is not empty: delete its objects and multipart uploads first"}
	case errors.Is(err, blob.ErrBucketExists):
		return &Error{Status: http.StatusConflict, Code: "AlreadyExists", Msg: "the bucket already exists in the object store; use `hourglass bucket adopt` to register it"}
	case errors.Is(err, blob.ErrUnavailable):
		return &Error{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Msg: "the object store is unavailable", Err: err}
	case errors.Is(err, iam.ErrInvalid), errors.Is(err, iam.ErrInvalidBucketName):
		return &Error{Status: http.StatusBadRequest, Code: "InvalidArgument", Msg: clean(err)}
	}
	return &Error{Status: http.StatusInternalServerError, Code: "InternalError", Msg: "internal error; see the server log", Err: err}
}

// clean strips package prefixes ("meta: not found: folder x" → "not found: folder x").
func clean(err error) string {
	msg := err.Error()
	for _, p := range []string{"meta: ", "iam: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(body)
}

func writeError(w http.ResponseWriter, r *http.Request, e *Error) {
	var b ErrorBody
	b.Error.Code, b.Error.Message, b.Error.RequestID = e.Code, e.Msg, httpx.FromContext(r.Context()).ID
	writeJSON(w, e.Status, b)
}

// Decode reads a JSON body strictly into v.
func Decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		if errors.Is(err, io.EOF) {
			return &Error{Status: http.StatusBadRequest, Code: "MalformedJSON", Msg: "request body is empty; expected a JSON object"}
		}
		return &Error{Status: http.StatusBadRequest, Code: "MalformedJSON", Msg: "malformed JSON body: " + err.Error()}
	}
	if dec.More() {
		return &Error{Status: http.StatusBadRequest, Code: "MalformedJSON", Msg: "malformed JSON body: trailing data after the object"}
	}
	return nil
}

// BoolParam parses an optional boolean query parameter.
func BoolParam(r *http.Request, name string) (bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, &Error{Status: http.StatusBadRequest, Code: "InvalidArgument", Msg: fmt.Sprintf("query parameter %s must be true or false", name)}
	}
	return b, nil
}

// ---- wire types

// Folder is the JSON shape of a folder.
type Folder struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	STSEnabled bool      `json:"sts_enabled"`
}

// ServiceAccount is the JSON shape of a service account.
type ServiceAccount struct {
	ID          string    `json:"id"`
	FolderID    string    `json:"folder_id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	STSEnabled  bool      `json:"sts_enabled"`
}

// Key is the JSON shape of a static key (never its secret).
type Key struct {
	ID               string    `json:"id"`
	AccessKeyID      string    `json:"access_key_id"`
	ServiceAccountID string    `json:"service_account_id"`
	FolderID         string    `json:"folder_id"`
	Status           string    `json:"status"`
	CreatedAt        time.Time `json:"created_at"`
	StatusChangedAt  time.Time `json:"status_changed_at"`
	Description      string    `json:"description,omitempty"`
}

// NewKey is the JSON shape of a created key: the only time the secret is shown.
type NewKey struct {
	ID               string    `json:"id"`
	AccessKeyID      string    `json:"access_key_id"`
	SecretAccessKey  string    `json:"secret_access_key"`
	ServiceAccountID string    `json:"service_account_id"`
	FolderID         string    `json:"folder_id"`
	CreatedAt        time.Time `json:"created_at"`
}

// RoleBinding is the JSON shape of a role binding.
type RoleBinding struct {
	ID        string    `json:"id"`
	Role      string    `json:"role"`
	Subject   string    `json:"subject"`
	ScopeType string    `json:"scope_type"`
	ScopeID   string    `json:"scope_id"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// Bucket is the JSON shape of a bucket.
type Bucket struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	FolderID  string    `json:"folder_id"`
	CreatedAt time.Time `json:"created_at"`
}

func folderJSON(f meta.Folder) Folder {
	return Folder{ID: f.ID, Name: f.Name, CreatedAt: f.CreatedAt, STSEnabled: !f.STSDisabled}
}

func saJSON(sa meta.ServiceAccount) ServiceAccount {
	return ServiceAccount{ID: sa.ID, FolderID: sa.FolderID, Name: sa.Name, Description: sa.Description, CreatedAt: sa.CreatedAt, STSEnabled: !sa.STSDisabled}
}

func keyJSON(k meta.AccessKey) Key {
	return Key{ID: k.ID, AccessKeyID: k.ID, ServiceAccountID: k.SAID, FolderID: k.FolderID, Status: string(k.Status),
		CreatedAt: k.CreatedAt, StatusChangedAt: k.StatusAt, Description: k.Description}
}

func bindingJSON(b meta.RoleBinding) RoleBinding {
	return RoleBinding{ID: b.ScopeType + "/" + b.ScopeID + "/" + b.Subject + "/" + b.Role, Role: b.Role, Subject: b.Subject,
		ScopeType: b.ScopeType, ScopeID: b.ScopeID, CreatedAt: b.CreatedAt}
}

func bucketJSON(b meta.Bucket) Bucket {
	return Bucket{ID: b.Name, Name: b.Name, FolderID: b.FolderID, CreatedAt: b.CreatedAt}
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, 0, len(in))
	for _, v := range in {
		out = append(out, f(v))
	}
	return out
}

// ---- handlers

func (s *Server) createFolder(r *http.Request) (int, any, error) {
	var req struct {
		Name string `json:"name"`
	}
	if err := Decode(r, &req); err != nil {
		return 0, nil, err
	}
	f, err := s.IAM.CreateFolder(r.Context(), req.Name)
	return http.StatusCreated, folderJSON(f), err
}

func (s *Server) listFolders(r *http.Request) (int, any, error) {
	fs, err := s.IAM.Store().ListFolders(r.Context())
	return http.StatusOK, mapSlice(fs, folderJSON), err
}

func (s *Server) deleteFolder(r *http.Request) (int, any, error) {
	force, err := BoolParam(r, "force")
	if err != nil {
		return 0, nil, err
	}
	f, err := s.IAM.DeleteFolder(r.Context(), r.PathValue("ref"), force)
	return http.StatusOK, folderJSON(f), err
}

func (s *Server) updateFolder(r *http.Request) (int, any, error) {
	enabled, err := decodeSTSEnabled(r)
	if err != nil {
		return 0, nil, err
	}
	f, err := s.IAM.SetFolderSTS(r.Context(), r.PathValue("ref"), enabled)
	return http.StatusOK, folderJSON(f), err
}

// decodeSTSEnabled reads the body of a folder or SA update: {"sts_enabled": bool}, required.
func decodeSTSEnabled(r *http.Request) (bool, error) {
	var req struct {
		STSEnabled *bool `json:"sts_enabled"`
	}
	if err := Decode(r, &req); err != nil {
		return false, err
	}
	if req.STSEnabled == nil {
		return false, &Error{Status: http.StatusBadRequest, Code: "InvalidArgument", Msg: "nothing to update: give sts_enabled"}
	}
	return *req.STSEnabled, nil
}

func (s *Server) createSA(r *http.Request) (int, any, error) {
	var req struct {
		Name        string `json:"name"`
		Folder      string `json:"folder"`
		Description string `json:"description"`
	}
	if err := Decode(r, &req); err != nil {
		return 0, nil, err
	}
	sa, err := s.IAM.CreateSA(r.Context(), req.Name, req.Folder, req.Description)
	return http.StatusCreated, saJSON(sa), err
}

func (s *Server) listSAs(r *http.Request) (int, any, error) {
	sas, err := s.IAM.ListSAs(r.Context(), r.URL.Query().Get("folder"))
	return http.StatusOK, mapSlice(sas, saJSON), err
}

func (s *Server) getSA(r *http.Request) (int, any, error) {
	sa, err := s.IAM.ResolveSA(r.Context(), r.PathValue("ref"), r.URL.Query().Get("folder"))
	return http.StatusOK, saJSON(sa), err
}

func (s *Server) updateSA(r *http.Request) (int, any, error) {
	enabled, err := decodeSTSEnabled(r)
	if err != nil {
		return 0, nil, err
	}
	sa, err := s.IAM.SetSASTS(r.Context(), r.PathValue("ref"), r.URL.Query().Get("folder"), enabled)
	return http.StatusOK, saJSON(sa), err
}

func (s *Server) deleteSA(r *http.Request) (int, any, error) {
	force, err := BoolParam(r, "force")
	if err != nil {
		return 0, nil, err
	}
	sa, err := s.IAM.DeleteSA(r.Context(), r.PathValue("ref"), r.URL.Query().Get("folder"), force)
	return http.StatusOK, saJSON(sa), err
}

func (s *Server) createKey(r *http.Request) (int, any, error) {
	var req struct {
		ServiceAccount string `json:"service_account"`
		Folder         string `json:"folder"`
		Description    string `json:"description"`
	}
	if err := Decode(r, &req); err != nil {
		return 0, nil, err
	}
	if req.ServiceAccount == "" {
		return 0, nil, &Error{Status: http.StatusBadRequest, Code: "InvalidArgument", Msg: "service_account is required"}
	}
	nk, err := s.IAM.CreateKey(r.Context(), req.ServiceAccount, req.Folder, req.Description)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, NewKey{ID: nk.Key.ID, AccessKeyID: nk.Key.ID, SecretAccessKey: nk.Secret,
		ServiceAccountID: nk.Key.SAID, FolderID: nk.Key.FolderID, CreatedAt: nk.Key.CreatedAt}, nil
}

func (s *Server) listKeys(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	ks, err := s.IAM.ListKeys(r.Context(), q.Get("service_account"), q.Get("folder"))
	return http.StatusOK, mapSlice(ks, keyJSON), err
}

func (s *Server) getKey(r *http.Request) (int, any, error) {
	k, err := s.IAM.GetKey(r.Context(), r.PathValue("id"))
	return http.StatusOK, keyJSON(k), err
}

func (s *Server) setKey(enabled bool) HandlerFunc {
	return func(r *http.Request) (int, any, error) {
		k, err := s.IAM.SetKeyEnabled(r.Context(), r.PathValue("id"), enabled)
		return http.StatusOK, keyJSON(k), err
	}
}

func (s *Server) deleteKey(r *http.Request) (int, any, error) {
	id := r.PathValue("id")
	k, err := s.IAM.GetKey(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, keyJSON(k), s.IAM.DeleteKey(r.Context(), id)
}

type bindingRequest struct {
	Role    string `json:"role"`
	Subject string `json:"subject"`
	Folder  string `json:"folder"`
	Bucket  string `json:"bucket"`
}

func (s *Server) grant(r *http.Request) (int, any, error) {
	var req bindingRequest
	if err := Decode(r, &req); err != nil {
		return 0, nil, err
	}
	b, err := s.IAM.Grant(r.Context(), iam.Binding(req))
	return http.StatusCreated, bindingJSON(b), err
}

func (s *Server) revoke(r *http.Request) (int, any, error) {
	var req bindingRequest
	if err := Decode(r, &req); err != nil {
		return 0, nil, err
	}
	b, err := s.IAM.Revoke(r.Context(), iam.Binding(req))
	return http.StatusOK, bindingJSON(b), err
}

func (s *Server) listBindings(r *http.Request) (int, any, error) {
	q := r.URL.Query()
	bs, err := s.IAM.ListBindings(r.Context(), q.Get("folder"), q.Get("bucket"))
	return http.StatusOK, mapSlice(bs, bindingJSON), err
}

func (s *Server) createBucket(r *http.Request) (int, any, error) {
	var req struct {
		Name   string `json:"name"`
		Folder string `json:"folder"`
	}
	if err := Decode(r, &req); err != nil {
		return 0, nil, err
	}
	b, err := s.IAM.CreateBucket(r.Context(), req.Name, req.Folder, nil)
	return http.StatusCreated, bucketJSON(b), err
}

func (s *Server) adoptBucket(r *http.Request) (int, any, error) {
	var req struct {
		Name   string `json:"name"`
		Folder string `json:"folder"`
	}
	if err := Decode(r, &req); err != nil {
		return 0, nil, err
	}
	b, err := s.IAM.AdoptBucket(r.Context(), req.Name, req.Folder)
	return http.StatusCreated, bucketJSON(b), err
}

func (s *Server) listBuckets(r *http.Request) (int, any, error) {
	bs, err := s.IAM.ListBuckets(r.Context(), r.URL.Query().Get("folder"))
	return http.StatusOK, mapSlice(bs, bucketJSON), err
}

func (s *Server) deleteBucket(r *http.Request) (int, any, error) {
	name := r.PathValue("name")
	b, err := s.IAM.Store().GetBucket(r.Context(), name)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, bucketJSON(b), s.IAM.DeleteBucket(r.Context(), name)
}
