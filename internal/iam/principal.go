package iam

import (
	"time"

	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/policy"
)

// Principal is who made a request, as authentication established it: anonymous, a service
// account with its static key, or a temporary key (an assumed-role session of a service account).
// It embeds the policy package's view used for Principal matching and aws: variables.
type Principal struct {
	policy.Principal
	KeyID    string
	SAID     string
	SAName   string
	FolderID string

	// Temporary keys only.
	SessionID   string // hex
	SessionName string
	IssuedAt    time.Time
	ExpiresAt   time.Time
	// SessionPolicy is nil when the session has no policy (the SA's full permissions). A policy
	// with no statements is non-nil and denies everything.
	SessionPolicy *policy.Policy
	// PolicySHA256 is the hex SHA-256 of the session policy document, for audit.
	PolicySHA256 string
}

// AnonymousPrincipal is the principal of unauthenticated requests.
var AnonymousPrincipal = &Principal{Principal: policy.Principal{Type: policy.Anonymous}}

// Anonymous reports whether p is unauthenticated.
func (p *Principal) Anonymous() bool { return p == nil || p.Type == policy.Anonymous }

// Temporary reports whether p authenticated with a temporary key.
func (p *Principal) Temporary() bool { return p != nil && p.Type == policy.AssumedRole }

// UserARN returns the service account's user ARN.
func UserARN(folderID, saName string) string {
	return "arn:aws:iam::" + folderID + ":user/" + saName
}

// SessionARN returns a temporary key's assumed-role ARN.
func SessionARN(folderID, saName, sessionName string) string {
	return "arn:aws:sts::" + folderID + ":assumed-role/" + saName + "/" + sessionName
}

// StaticPrincipal is the principal of a request signed with a static key of sa.
func StaticPrincipal(sa meta.ServiceAccount, keyID string) *Principal {
	arn := UserARN(sa.FolderID, sa.Name)
	return &Principal{
		Principal: policy.Principal{Type: policy.User, ARN: arn, UserARN: arn, UserID: sa.ID, Username: sa.Name,
			AccountID: sa.FolderID, CanonicalID: sa.ID},
		KeyID: keyID, SAID: sa.ID, SAName: sa.Name, FolderID: sa.FolderID,
	}
}

// SessionPrincipal is the principal of a request signed with a temporary key of sa.
func SessionPrincipal(sa meta.ServiceAccount, keyID, sessionID, sessionName string, issued, expires time.Time, pol *policy.Policy, polHash string) *Principal {
	name := sessionName
	if name == "" {
		name = keyID // GetSessionToken sessions have no name; AWS uses the user name there
	}
	return &Principal{
		Principal: policy.Principal{Type: policy.AssumedRole, ARN: SessionARN(sa.FolderID, sa.Name, name),
			UserARN: UserARN(sa.FolderID, sa.Name), UserID: sa.ID + ":" + name,
			AccountID: sa.FolderID, CanonicalID: sa.ID},
		KeyID: keyID, SAID: sa.ID, SAName: sa.Name, FolderID: sa.FolderID,
		SessionID: sessionID, SessionName: sessionName, IssuedAt: issued, ExpiresAt: expires,
		SessionPolicy: pol, PolicySHA256: polHash,
	}
}
