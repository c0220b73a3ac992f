package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hourglass-sts/hourglass/internal/acl"
	"github.com/hourglass-sts/hourglass/internal/authz"
)

// authzCommands returns the explain command.
func (r *root) authzCommands() []*cobra.Command {
	var req authz.ExplainRequest
	var sessionFile, objectACL, prefix string
	cmd := &cobra.Command{
		Use:   "explain --key KEY_ID --action s3:GetObject --resource arn:aws:s3:::bucket/key",
		Short: "Explain whether a request would be allowed, and by which rule",
		Long: `Explain evaluates one request the way the S3 endpoint would: roles, the bucket policy, the
session policy (with --session-policy, as a temporary key of the key's service account) and the
ACLs, under the node's access model. It prints "decision: Allow" or "decision: Deny" first,
then the chain of checks. --key anonymous explains an unsigned request.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if req.Key == "" {
				return fmt.Errorf("--key is required (an access key ID, or anonymous)")
			}
			if req.Action == "" || req.Resource == "" {
				return fmt.Errorf("--action and --resource are required")
			}
			if sessionFile != "" {
				doc, err := os.ReadFile(sessionFile)
				if err != nil {
					return fmt.Errorf("reading the session policy: %w", err)
				}
				req.SessionPolicy = string(doc)
			}
			if c.Flags().Changed("prefix") {
				req.Prefix = &prefix
			}
			if objectACL != "" {
				body, err := readACLArg(objectACL)
				if err != nil {
					return fmt.Errorf("--object-acl: %w", err)
				}
				req.ObjectACL = body
			}
			var out authz.ExplainResponse
			return r.call(c.Context(), http.MethodPost, "/v1/explain", nil, &req, &out, func(w io.Writer) {
				fmt.Fprintf(w, "decision: %s\n", out.Decision)
				fmt.Fprintf(w, "reason: %s\n", out.Reason)
				fmt.Fprintf(w, "principal: %s\n", out.Principal)
				fmt.Fprintf(w, "access model: %s\n", out.AccessModel)
				fmt.Fprintln(w, "checks:")
				for i, s := range out.Steps {
					fmt.Fprintf(w, "  %d. %s: %s — %s\n", i+1, s.Check, s.Result, s.Detail)
				}
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Key, "key", "", "access key ID whose service account makes the request (anonymous: an unsigned request)")
	f.StringVar(&sessionFile, "session-policy", "", "file with a session policy: evaluate as a temporary key with that policy")
	f.BoolVar(&req.Temporary, "temporary", false, "evaluate as a temporary key (without --session-policy: one with no session policy)")
	f.StringVar(&req.SessionName, "session-name", "", "the temporary key's session name (default explain)")
	f.StringVar(&req.Action, "action", "", "s3: action, e.g. s3:GetObject")
	f.StringVar(&req.Resource, "resource", "", "resource ARN: arn:aws:s3:::bucket, arn:aws:s3:::bucket/key, or * for the service")
	f.StringVar(&req.SourceIP, "source-ip", "", "aws:SourceIp of the request")
	f.BoolVar(&req.SecureTransport, "secure-transport", false, "the request uses TLS (aws:SecureTransport)")
	f.StringVar(&prefix, "prefix", "", "s3:prefix of a listing")
	f.StringVar(&req.UserAgent, "user-agent", "", "aws:UserAgent")
	f.StringVar(&req.Referer, "referer", "", "aws:Referer")
	f.StringVar(&req.CurrentTime, "time", "", "aws:CurrentTime, RFC 3339 (default now)")
	f.StringVar(&objectACL, "object-acl", "", "the object's ACL: a canned ACL name or a file (AccessControlPolicy XML or JSON)")
	return []*cobra.Command{cmd}
}

// bucketConfigCommands returns `bucket policy …` and `bucket acl …`.
func (r *root) bucketConfigCommands() []*cobra.Command {
	pol := &cobra.Command{Use: "policy", Short: "Read, replace or delete a bucket's policy (always possible through the admin API)"}
	pol.AddCommand(&cobra.Command{
		Use: "get NAME", Short: "Print a bucket's policy", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var out authz.BucketPolicyResponse
			return r.call(c.Context(), http.MethodGet, bucketPath(args[0], "policy"), nil, nil, &out,
				func(w io.Writer) { printPolicy(w, out.Policy) })
		},
	}, &cobra.Command{
		Use: "set NAME FILE", Short: "Replace a bucket's policy with the JSON document in FILE", Args: cobra.ExactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			doc, err := os.ReadFile(args[1])
			if err != nil {
				return fmt.Errorf("reading the policy: %w", err)
			}
			var out authz.BucketPolicyResponse
			return r.call(c.Context(), http.MethodPut, bucketPath(args[0], "policy"), nil, map[string]string{"policy": string(doc)}, &out,
				func(w io.Writer) { fmt.Fprintf(w, "Set the policy of bucket %s.\n", out.Bucket) })
		},
	}, &cobra.Command{
		Use: "delete NAME", Short: "Delete a bucket's policy", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var out struct {
				Bucket  string `json:"bucket"`
				Deleted bool   `json:"deleted"`
			}
			return r.call(c.Context(), http.MethodDelete, bucketPath(args[0], "policy"), nil, nil, &out,
				func(w io.Writer) { fmt.Fprintf(w, "Deleted the policy of bucket %s.\n", out.Bucket) })
		},
	})

	aclCmd := &cobra.Command{Use: "acl", Short: "Read or replace a bucket's ACL (always possible through the admin API)"}
	var canned string
	set := &cobra.Command{
		Use: "set NAME (--canned ACL | FILE)", Short: "Replace a bucket's ACL with a canned ACL or the ACL in FILE (XML or JSON)",
		Args: cobra.RangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			var body *authz.ACLBody
			switch {
			case canned != "" && len(args) == 2:
				return fmt.Errorf("give --canned or a FILE, not both")
			case canned != "":
				body = &authz.ACLBody{Canned: canned}
			case len(args) == 2:
				var err error
				if body, err = readACLFile(args[1]); err != nil {
					return err
				}
			default:
				return fmt.Errorf("give --canned ACL (private, public-read, …) or a FILE")
			}
			var out authz.BucketACLResponse
			return r.call(c.Context(), http.MethodPut, bucketPath(args[0], "acl"), nil, body, &out,
				func(w io.Writer) { printACL(w, out) })
		},
	}
	set.Flags().StringVar(&canned, "canned", "", "canned ACL: private, public-read, public-read-write, authenticated-read, bucket-owner-read, bucket-owner-full-control")
	aclCmd.AddCommand(&cobra.Command{
		Use: "get NAME", Short: "Print a bucket's ACL", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var out authz.BucketACLResponse
			return r.call(c.Context(), http.MethodGet, bucketPath(args[0], "acl"), nil, nil, &out,
				func(w io.Writer) { printACL(w, out) })
		},
	}, set)
	return []*cobra.Command{pol, aclCmd}
}

func bucketPath(name, what string) string { return "/v1/buckets/" + url.PathEscape(name) + "/" + what }

func printPolicy(w io.Writer, doc json.RawMessage) {
	var buf bytes.Buffer
	if json.Indent(&buf, doc, "", "  ") != nil {
		buf.Reset()
		buf.Write(doc)
	}
	fmt.Fprintln(w, buf.String())
}

func printACL(w io.Writer, a authz.BucketACLResponse) {
	fmt.Fprintf(w, "bucket %s, owner %s\n", a.Bucket, a.Owner.ID)
	if len(a.Grants) == 0 {
		fmt.Fprintln(w, "no grants")
		return
	}
	fmt.Fprintln(w, "GRANTEE\tTYPE\tPERMISSION")
	for _, g := range a.Grants {
		who := g.Grantee.ID
		if g.Grantee.Type == acl.Group {
			who = g.Grantee.URI
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", who, g.Grantee.Type, g.Permission)
	}
}

// readACLArg reads --object-acl: a canned ACL name or a file.
func readACLArg(v string) (*authz.ACLBody, error) {
	if _, err := acl.FromCanned(v, acl.Owner{}); err == nil {
		return &authz.ACLBody{Canned: v}, nil
	}
	return readACLFile(v)
}

// readACLFile reads an ACL file: an AccessControlPolicy XML document, or JSON with "canned",
// "grants" (the shape `bucket acl get -o json` prints) or "xml".
func readACLFile(path string) (*authz.ACLBody, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the ACL: %w", err)
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '<' {
		return &authz.ACLBody{XML: string(data)}, nil
	}
	var doc struct {
		Canned string          `json:"canned"`
		XML    string          `json:"xml"`
		Grants json.RawMessage `json:"grants"`
	}
	if err := json.Unmarshal(trimmed, &doc); err != nil {
		return nil, fmt.Errorf("%s is neither AccessControlPolicy XML nor JSON: %v", path, err)
	}
	switch {
	case doc.Canned != "":
		return &authz.ACLBody{Canned: doc.Canned}, nil
	case len(doc.Grants) > 0 && !strings.EqualFold(string(doc.Grants), "null"):
		var body authz.ACLBody
		if err := json.Unmarshal(doc.Grants, &body.Grants); err != nil {
			return nil, fmt.Errorf("%s: grants: %v", path, err)
		}
		return &body, nil
	case doc.XML != "":
		return &authz.ACLBody{XML: doc.XML}, nil
	}
	return nil, fmt.Errorf("%s gives no canned ACL, grants or xml", path)
}
