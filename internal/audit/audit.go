// Package audit defines the audit event schema and its sinks: JSON lines to a file or stdout.
// Events never carry secrets or whole tokens. A sink that fails makes the audited operation fail
// closed; the caller decides (see Logger.Emit).
package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Event types.
const (
	CreateTemporaryAccessKey = "CreateTemporaryAccessKey"
	RevokeSessions           = "RevokeSessions"
	AdminChange              = "AdminChange"
	AccessDenied             = "AccessDenied"
	IssuanceDenied           = "IssuanceDenied"
)

// Event is one audit record. Empty fields are omitted.
type Event struct {
	Time      time.Time `json:"time"`
	Event     string    `json:"event"`
	RequestID string    `json:"request_id,omitempty"`
	SourceIP  string    `json:"source_ip,omitempty"`
	UserAgent string    `json:"user_agent,omitempty"`

	// Who acted.
	Principal   string `json:"principal,omitempty"`
	AccessKeyID string `json:"access_key_id,omitempty"`
	SAID        string `json:"service_account_id,omitempty"`
	FolderID    string `json:"folder_id,omitempty"`
	SessionID   string `json:"session_id,omitempty"`

	// Issuance.
	SessionName  string     `json:"session_name,omitempty"`
	RoleArn      string     `json:"role_arn,omitempty"`
	PolicySHA256 string     `json:"policy_sha256,omitempty"`
	Expiration   *time.Time `json:"expiration,omitempty"`

	// Requests and decisions.
	Operation string `json:"operation,omitempty"`
	Action    string `json:"action,omitempty"`
	Resource  string `json:"resource,omitempty"`
	Decision  string `json:"decision,omitempty"`
	Reason    string `json:"reason,omitempty"`

	// Admin changes and revocations.
	Target  string `json:"target,omitempty"`
	Outcome string `json:"outcome,omitempty"`
	Error   string `json:"error,omitempty"`
}

// ErrUnavailable is returned when the sink cannot record an event.
var ErrUnavailable = errors.New("audit: sink unavailable")

// Logger writes events to a sink.
type Logger struct {
	mu       sync.Mutex
	w        io.Writer
	closer   io.Closer
	now      func() time.Time
	failures prometheus.Counter
	events   *prometheus.CounterVec
}

// Options configure a Logger.
type Options struct {
	// Target is a file path, "stdout", or "" for a logger that drops everything.
	Target   string
	Now      func() time.Time
	Registry prometheus.Registerer
}

// Open opens the sink.
func Open(o Options) (*Logger, error) {
	l := &Logger{now: o.Now}
	if l.now == nil {
		l.now = time.Now
	}
	switch o.Target {
	case "":
	case "stdout":
		l.w = os.Stdout
	default:
		f, err := os.OpenFile(o.Target, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		l.w, l.closer = f, f
	}
	l.failures = prometheus.NewCounter(prometheus.CounterOpts{Name: "hourglass_audit_failures_total", Help: "Audit events that could not be written."})
	l.events = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hourglass_audit_events_total", Help: "Audit events written, by type."}, []string{"event"})
	if o.Registry != nil {
		o.Registry.MustRegister(l.failures, l.events)
	}
	return l, nil
}

// NewWriter returns a logger writing to w (tests).
func NewWriter(w io.Writer, now func() time.Time) *Logger {
	l, _ := Open(Options{Now: now})
	l.w = w
	return l
}

// Enabled reports whether events are recorded.
func (l *Logger) Enabled() bool { return l != nil && l.w != nil }

// Emit records ev (stamping Time if zero). It returns ErrUnavailable when the sink fails, so that
// operations that must be audited fail closed.
func (l *Logger) Emit(ev Event) error {
	if !l.Enabled() {
		return nil
	}
	if ev.Time.IsZero() {
		ev.Time = l.now().UTC()
	}
	line, err := json.Marshal(ev)
	if err != nil {
		l.failures.Inc()
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	line = append(line, '\n')
	l.mu.Lock()
	_, err = l.w.Write(line)
	l.mu.Unlock()
	if err != nil {
		l.failures.Inc()
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	l.events.WithLabelValues(ev.Event).Inc()
	return nil
}

// Close closes a file sink.
func (l *Logger) Close() error {
	if l != nil && l.closer != nil {
		return l.closer.Close()
	}
	return nil
}
