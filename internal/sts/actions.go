package sts

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/hourglass-sts/hourglass/internal/audit"
	"github.com/hourglass-sts/hourglass/internal/policy"
	"github.com/hourglass-sts/hourglass/internal/session"
	"github.com/hourglass-sts/hourglass/internal/sessiontoken"
)

// Issuance outcomes counted with session.CountIssuance.
const (
	outcomeIssued      = "issued"
	outcomeInvalid     = "invalid"
	outcomeDenied      = "denied"
	outcomeThrottled   = "throttled"
	outcomeError       = "error"
	outcomeAuditFailed = "audit_failed"
)

func (h *Handler) assumeRole(q *request) *Error {
	in := q.params
	var v validation
	roleArn := v.required(in, "RoleArn", "roleArn", 20, 2048, textRune, patText)
	name := v.required(in, "RoleSessionName", "roleSessionName", 2, 64, sessionNameRune, patSessionName)
	dur, hasDur := v.integer(in, "DurationSeconds", "durationSeconds", int(MinDuration/time.Second), int(MaxDurationLimit/time.Second))
	doc, hasPolicy := v.str(in, "Policy", "policy", 1, policy.MaxSessionPolicyChars, textRune, patText)
	sourceIdentity, _ := v.str(in, "SourceIdentity", "sourceIdentity", 2, 64, sessionNameRune, patSessionName)
	v.str(in, "ExternalId", "externalId", 2, 1224, externalIDRune, patExternalID)
	v.mfa(in)
	v.tags(in)
	policyArns := v.list(in, "PolicyArns", "policyArns", 10)
	for i := 1; i <= policyArns; i++ {
		n := strconv.Itoa(i)
		v.required(in, "PolicyArns.member."+n+".arn", "policyArns."+n+".member.arn", 20, 2048, textRune, patText)
	}
	contexts := v.list(in, "ProvidedContexts", "providedContexts", 5)
	for i := 1; i <= contexts; i++ {
		n := strconv.Itoa(i)
		v.str(in, "ProvidedContexts.member."+n+".ProviderArn", "providedContexts."+n+".member.providerArn", 20, 2048, textRune, patText)
		v.str(in, "ProvidedContexts.member."+n+".ContextAssertion", "providedContexts."+n+".member.contextAssertion", 4, 2048, textRune, patText)
	}
	if e := v.err(); e != nil {
		h.o.Sessions.CountIssuance(ActionAssumeRole, outcomeInvalid)
		return e
	}
	if policyArns > 0 {
		// Managed policies narrow a session; ignoring them would hand out more than was asked.
		h.o.Sessions.CountIssuance(ActionAssumeRole, outcomeInvalid)
		return errValidation("PolicyArns are not supported: Hourglass has no managed policies. Pass the session policy inline with the Policy parameter.")
	}
	if !hasDur {
		dur = min(DefaultAssumeRoleSeconds, h.maxDur)
	} else if dur > h.maxDur {
		h.o.Sessions.CountIssuance(ActionAssumeRole, outcomeInvalid)
		return errValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	var compiled *policy.Policy
	if hasPolicy {
		var e *Error
		if compiled, e = h.pols.parse(doc); e != nil {
			h.o.Sessions.CountIssuance(ActionAssumeRole, outcomeInvalid)
			return e
		}
	}
	p := q.principal
	if p.Temporary() {
		h.o.Sessions.CountIssuance(ActionAssumeRole, outcomeDenied)
		h.denied(q, ActionAssumeRole, "temporary credentials cannot call AssumeRole")
		return errAccessDenied("User: " + p.ARN + " is not authorized to perform: sts:AssumeRole on resource: " + echo(roleArn) +
			" because temporary credentials cannot call AssumeRole; sign the request with the service account's static key.")
	}
	var pdoc []byte
	if hasPolicy {
		pdoc = []byte(doc)
	}
	iss, e := h.issue(q, ActionAssumeRole, session.IssueRequest{
		Kind: sessiontoken.KindAssumeRole, SessionName: name, Duration: time.Duration(dur) * time.Second,
		Policy: pdoc, CompiledPolicy: compiled,
	}, roleArn)
	if e != nil {
		return e
	}
	var b xmlBuf
	b.open(ActionAssumeRole)
	b.credentials(iss.AccessKeyID, iss.Secret, iss.Token, iss.Expiration)
	b.raw("<AssumedRoleUser>")
	b.elem("AssumedRoleId", iss.AccessKeyID+":"+name)
	b.elem("Arn", roleArn+"/"+name)
	b.raw("</AssumedRoleUser>")
	if hasPolicy {
		b.elem("PackedPolicySize", strconv.Itoa(iss.PackedPolicySize))
	}
	// AWS's newer members: the token's size and its share of the size limit (1,024 here).
	b.elem("SessionTokenSize", strconv.Itoa(len(iss.Token)))
	b.elem("SessionTokenUtilization", strconv.Itoa((len(iss.Token)*100+sessiontoken.MaxTokenLen-1)/sessiontoken.MaxTokenLen))
	if sourceIdentity != "" {
		b.elem("SourceIdentity", sourceIdentity)
	}
	b.close(ActionAssumeRole, q.info.ID)
	writeXML(q.w, http.StatusOK, q.info.ID, b)
	return nil
}

func (h *Handler) getSessionToken(q *request) *Error {
	var v validation
	dur, hasDur := v.integer(q.params, "DurationSeconds", "durationSeconds", int(MinDuration/time.Second), int(MaxDurationLimit/time.Second))
	v.mfa(q.params)
	if e := v.err(); e != nil {
		h.o.Sessions.CountIssuance(ActionGetSessionToken, outcomeInvalid)
		return e
	}
	if !hasDur {
		dur = h.maxDur // AWS's default for GetSessionToken is 12 h
	} else if dur > h.maxDur {
		h.o.Sessions.CountIssuance(ActionGetSessionToken, outcomeInvalid)
		var v validation
		v.add("durationSeconds", strconv.Itoa(dur), maxVal(h.maxDur))
		return v.err()
	}
	if q.principal.Temporary() {
		h.o.Sessions.CountIssuance(ActionGetSessionToken, outcomeDenied)
		h.denied(q, ActionGetSessionToken, "temporary credentials cannot call GetSessionToken")
		return errAccessDenied("Cannot call GetSessionToken with session credentials")
	}
	iss, e := h.issue(q, ActionGetSessionToken, session.IssueRequest{
		Kind: sessiontoken.KindGetSessionToken, Duration: time.Duration(dur) * time.Second,
	}, "")
	if e != nil {
		return e
	}
	var b xmlBuf
	b.open(ActionGetSessionToken)
	b.credentials(iss.AccessKeyID, iss.Secret, iss.Token, iss.Expiration)
	b.close(ActionGetSessionToken, q.info.ID)
	writeXML(q.w, http.StatusOK, q.info.ID, b)
	return nil
}

func (h *Handler) getCallerIdentity(q *request) *Error {
	p := q.principal
	var b xmlBuf
	b.open(ActionGetCallerIdentity)
	b.elem("Arn", p.ARN)
	b.elem("UserId", p.UserID)
	b.elem("Account", p.FolderID)
	if p.Temporary() {
		// Not in AWS's model (SDKs skip it); the handle for `hourglass session revoke`.
		b.elem("SessionId", p.SessionID)
	}
	b.close(ActionGetCallerIdentity, q.info.ID)
	writeXML(q.w, http.StatusOK, q.info.ID, b)
	return nil
}

func (h *Handler) getAccessKeyInfo(q *request) *Error {
	var v validation
	id := v.required(q.params, "AccessKeyId", "accessKeyId", 16, 128, isWord, patKeyID)
	if e := v.err(); e != nil {
		return e
	}
	k, ok := h.o.Dir.Key(id)
	if !ok {
		// AWS: "Providing a deleted access key might return an error that the key doesn't
		// exist." Hourglass keeps nothing of a deleted key, so that is always the answer.
		return newError(http.StatusNotFound, CodeNoSuchEntity, "The access key ID "+echo(id)+" does not exist.")
	}
	var b xmlBuf
	b.open(ActionGetAccessKeyInfo)
	b.elem("Account", k.FolderID)
	b.close(ActionGetAccessKeyInfo, q.info.ID)
	writeXML(q.w, http.StatusOK, q.info.ID, b)
	return nil
}

// issue applies issuance control (STS enabled for the SA and its folder, the rate limit),
// issues the temporary key and audits it. Nothing is returned to the client unless the audit
// event was written.
func (h *Handler) issue(q *request, op string, req session.IssueRequest, roleArn string) (session.Issued, *Error) {
	p := q.principal
	key, ok := h.o.Dir.Key(p.KeyID)
	sa, ok2 := h.o.Dir.SA(p.SAID)
	if !ok || !ok2 {
		h.o.Sessions.CountIssuance(op, outcomeDenied)
		return session.Issued{}, newError(http.StatusForbidden, CodeInvalidClientTokenID, msgInvalidClientToken).
			with(errors.New("static key or service account removed during the request"))
	}
	folder, _ := h.o.Dir.Folder(sa.FolderID)
	switch {
	case sa.STSDisabled:
		h.o.Sessions.CountIssuance(op, outcomeDenied)
		h.denied(q, op, "temporary credentials are disabled for the service account")
		return session.Issued{}, errAccessDenied("Temporary credentials are disabled for service account " + sa.Name + " (" + sa.ID + ").")
	case folder.STSDisabled:
		h.o.Sessions.CountIssuance(op, outcomeDenied)
		h.denied(q, op, "temporary credentials are disabled for the folder")
		return session.Issued{}, errAccessDenied("Temporary credentials are disabled for folder " + folder.Name + " (" + folder.ID + ").")
	}
	if h.lim != nil && !h.lim.allow(key.ID) {
		h.o.Sessions.CountIssuance(op, outcomeThrottled)
		return session.Issued{}, newError(http.StatusBadRequest, CodeThrottling, msgRateExceeded)
	}
	req.Key, req.SA = key, sa
	iss, err := h.o.Sessions.Issue(q.r.Context(), req)
	if err != nil {
		h.o.Sessions.CountIssuance(op, outcomeError)
		if errors.Is(err, sessiontoken.ErrNoActiveKey) {
			return session.Issued{}, errUnavailable("No token key is active on this node; retry shortly.", err)
		}
		if errors.Is(err, sessiontoken.ErrTooLarge) {
			return session.Issued{}, newError(http.StatusBadRequest, CodePackedPolicyTooLarge,
				"The session token would exceed its size limit; use a smaller policy.").with(err)
		}
		return session.Issued{}, errInternal(err)
	}
	q.info.Session = iss.SessionID
	exp := iss.Expiration
	ev := audit.Event{
		Time: h.o.Now().UTC(), Event: audit.CreateTemporaryAccessKey, RequestID: q.info.ID,
		SourceIP: h.sourceIP(q.r), UserAgent: clip(q.r.UserAgent(), 512),
		Principal: p.ARN, AccessKeyID: key.ID, SAID: sa.ID, FolderID: sa.FolderID, SessionID: iss.SessionID,
		SessionName: req.SessionName, RoleArn: roleArn, PolicySHA256: iss.PolicySHA256, Expiration: &exp,
		Operation: op, Outcome: outcomeIssued,
	}
	if err := h.o.Audit.Emit(ev); err != nil {
		h.o.Sessions.CountIssuance(op, outcomeAuditFailed)
		return session.Issued{}, errUnavailable("Temporary credentials cannot be issued right now; retry shortly.", err)
	}
	h.o.Sessions.CountIssuance(op, outcomeIssued)
	return iss, nil
}

// denied records a refused issuance in the audit log. A failing sink is logged, not fatal: the
// request is refused either way.
func (h *Handler) denied(q *request, op, reason string) {
	p := q.principal
	err := h.o.Audit.Emit(audit.Event{
		Time: h.o.Now().UTC(), Event: audit.IssuanceDenied, RequestID: q.info.ID,
		SourceIP: h.sourceIP(q.r), UserAgent: clip(q.r.UserAgent(), 512),
		Principal: p.ARN, AccessKeyID: p.KeyID, SAID: p.SAID, FolderID: p.FolderID, SessionID: p.SessionID,
		Operation: op, Decision: "Deny", Reason: reason,
	})
	if err != nil {
		h.o.Logger.Error("audit event lost", "request_id", q.info.ID, "event", audit.IssuanceDenied, "err", err)
	}
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (v *validation) mfa(in params) {
	v.str(in, "SerialNumber", "serialNumber", 9, 256, serialRune, patSerial)
	v.str(in, "TokenCode", "tokenCode", 6, 6, digitRune, patTokenCode)
}

func (v *validation) tags(in params) {
	n := v.list(in, "Tags", "tags", 50)
	for i := 1; i <= n; i++ {
		s := strconv.Itoa(i)
		v.required(in, "Tags.member."+s+".Key", "tags."+s+".member.key", 1, 128, tagRune, patTagKey)
		v.required(in, "Tags.member."+s+".Value", "tags."+s+".member.value", 0, 256, tagRune, patTagValue)
	}
	n = v.list(in, "TransitiveTagKeys", "transitiveTagKeys", 50)
	for i := 1; i <= n; i++ {
		s := strconv.Itoa(i)
		v.required(in, "TransitiveTagKeys.member."+s, "transitiveTagKeys."+s+".member", 1, 128, tagRune, patTagKey)
	}
}

// policyCache keeps compiled session policies by the SHA-256 of their text, so a client that
// asks for the same policy again (the common case) does not pay for parsing it again.
type policyCache struct {
	mu sync.RWMutex
	m  map[[sha256.Size]byte]*policy.Policy
}

const policyCacheSize = 4096

func newPolicyCache() *policyCache {
	return &policyCache{m: map[[sha256.Size]byte]*policy.Policy{}}
}

func (c *policyCache) parse(doc string) (*policy.Policy, *Error) {
	sum := sha256.Sum256([]byte(doc))
	c.mu.RLock()
	p, ok := c.m[sum]
	c.mu.RUnlock()
	if ok {
		return p, nil
	}
	p, err := policy.Parse([]byte(doc), policy.Session, policy.MaxSessionPolicyChars)
	if err != nil {
		var pe *policy.Error
		if errors.Is(err, policy.ErrTooLarge) {
			var v validation
			v.add("policy", doc, maxLen(policy.MaxSessionPolicyChars))
			return nil, v.err().with(err)
		}
		msg := "The policy document is malformed."
		if errors.As(err, &pe) {
			msg = "The policy document is malformed: " + pe.Msg
			if pe.Element != "" {
				msg = "The policy document is malformed: " + pe.Element + ": " + pe.Msg
			}
		}
		return nil, newError(http.StatusBadRequest, CodeMalformedPolicyDocument, msg).with(err)
	}
	c.mu.Lock()
	if len(c.m) >= policyCacheSize {
		clear(c.m)
	}
	c.m[sum] = p
	c.mu.Unlock()
	return p, nil
}
