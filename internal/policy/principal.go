package policy

import (
	"strings"
)

// principalMatcher is a compiled Principal or NotPrincipal value.
type principalMatcher struct {
	any bool // "*", {"AWS": "*"} or {"CanonicalUser": "*"}: everyone, anonymous included
	// arns are exact principal ARNs: arn:aws:iam::<folder>:user/<sa-name> (which also covers the
	// SA's temporary keys) or arn:aws:sts::<folder>:assumed-role/<sa-name>/<session>.
	arns []string
	// accounts are folder IDs from arn:aws:iam::<folder>:root: every principal of the folder.
	accounts []string
	// ids are bare IDs in {"AWS": ...}: an SA ID, or a folder ID meaning the whole folder.
	ids []string
	// canonical are SA IDs from {"CanonicalUser": ...}.
	canonical []string
	// Service and Federated principals are accepted so that AWS policies validate, and never
	// match: Hourglass has no such callers.
}

func parsePrincipal(n *node, elem string, kind Kind, not bool) (principalMatcher, error) {
	var pm principalMatcher
	if kind == Session {
		if not {
			return pm, newErr(elem, ErrInvalidPrincipal, "a session policy cannot use NotPrincipal")
		}
		if isStar(n) || (n.kind == kindObject && len(n.obj) == 1 && n.obj[0].key == "AWS" && isStar(n.obj[0].val)) {
			pm.any = true
			return pm, nil
		}
		return pm, newErr(elem, ErrInvalidPrincipal, "in a session policy Principal must be \"*\"")
	}
	if isStar(n) {
		pm.any = true
		return pm, nil
	}
	if n.kind != kindObject || len(n.obj) == 0 {
		return pm, newErr(elem, ErrInvalidPrincipal, "Principal must be \"*\" or an object such as {\"AWS\": ...}")
	}
	for _, m := range n.obj {
		sub := elem + "." + m.key
		var err error
		switch m.key {
		case "AWS":
			err = stringList(m.val, sub, func(s, e string) error { return pm.addAWS(s, e) })
		case "CanonicalUser":
			err = stringList(m.val, sub, func(s, e string) error {
				switch {
				case s == "*":
					pm.any = true
				case s == "" || strings.ContainsAny(s, "*?"):
					return newErr(e, ErrInvalidPrincipal, "invalid canonical user "+quote(s))
				default:
					pm.canonical = append(pm.canonical, s)
				}
				return nil
			})
		case "Service", "Federated":
			err = stringList(m.val, sub, func(s, e string) error {
				if s == "" {
					return newErr(e, ErrInvalidPrincipal, "empty principal")
				}
				return nil
			})
		default:
			err = newErr(sub, ErrInvalidPrincipal, "unknown principal type "+quote(m.key)+" (AWS, CanonicalUser, Service or Federated)")
		}
		if err != nil {
			return pm, err
		}
	}
	return pm, nil
}

func isStar(n *node) bool { return n.kind == kindString && n.str == "*" }

func (pm *principalMatcher) addAWS(s, elem string) error {
	switch {
	case s == "*":
		pm.any = true
		return nil
	case s == "" || strings.ContainsAny(s, "*?"):
		// IAM allows no partial wildcards in Principal; use aws:PrincipalArn with ArnLike.
		return newErr(elem, ErrInvalidPrincipal, "invalid principal "+quote(s)+": wildcards are allowed only as \"*\"")
	case strings.HasPrefix(s, "arn:"):
		parts, ok := splitArn(s)
		if !ok || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
			return newErr(elem, ErrInvalidPrincipal, "invalid principal ARN "+quote(s))
		}
		if parts[2] == "iam" && parts[5] == "root" {
			pm.accounts = append(pm.accounts, parts[4])
		} else {
			pm.arns = append(pm.arns, s)
		}
	default:
		pm.ids = append(pm.ids, s)
	}
	return nil
}

// match reports whether the caller is one of the listed principals.
func (pm *principalMatcher) match(p *Principal) bool {
	if pm.any {
		return true
	}
	if p.Type == Anonymous {
		return false
	}
	for _, a := range pm.arns {
		if a == p.ARN || (p.UserARN != "" && a == p.UserARN) {
			return true
		}
	}
	if p.AccountID != "" {
		for _, a := range pm.accounts {
			if a == p.AccountID {
				return true
			}
		}
	}
	for _, id := range pm.ids {
		if (p.CanonicalID != "" && id == p.CanonicalID) || (p.AccountID != "" && id == p.AccountID) {
			return true
		}
	}
	if p.CanonicalID != "" {
		for _, id := range pm.canonical {
			if id == p.CanonicalID {
				return true
			}
		}
	}
	return false
}
