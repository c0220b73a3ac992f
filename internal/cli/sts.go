package cli

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/hourglass-sts/hourglass/internal/meta"
	"github.com/hourglass-sts/hourglass/internal/sts"
)

// stsCommands returns the session and token-key command groups.
func (r *root) stsCommands() []*cobra.Command {
	return []*cobra.Command{r.tokenKeyCmd(), r.sessionCmd()}
}

func printTokenKeys(keys []sts.TokenKey) func(io.Writer) {
	return func(w io.Writer) {
		fmt.Fprintln(w, "ID\tALG\tSTATE\tCREATED\tACTIVATES\tRETIRES\tDROPPABLE")
		for _, k := range keys {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Alg, k.State, ts(k.CreatedAt), ts(k.ActivateAt), ts(k.RetireAt), ts(k.DropAt))
		}
	}
}

func (r *root) tokenKeyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "token-key", Short: "Inspect and rotate the session-token keyring"}
	cmd.AddCommand(&cobra.Command{
		Use: "list", Short: "List token keys (never their material)", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			var out []sts.TokenKey
			return r.call(c.Context(), http.MethodGet, "/v1/token-keys", nil, nil, &out, func(w io.Writer) { printTokenKeys(out)(w) })
		},
	}, &cobra.Command{
		Use:   "rotate",
		Short: "Publish a new token key now; it starts sealing after the publish lead, old keys keep verifying",
		Long: `Publish a new token key to every node. It starts sealing new tokens after the publish
lead (so every node can verify them first); older keys keep verifying the tokens they sealed
until those have expired, so no live session ends. If a key is already pending, that key is the
rotation and nothing is added.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			var out sts.RotateResult
			return r.call(c.Context(), http.MethodPost, "/v1/token-keys/rotate", nil, nil, &out, func(w io.Writer) {
				if out.Added != nil {
					fmt.Fprintf(w, "Published token key %d (%s); it seals new tokens from %s.\n", out.Added.ID, out.Added.Alg, ts(out.Added.ActivateAt))
				} else {
					fmt.Fprintln(w, "A key is already pending activation; it is the rotation. Nothing added.")
				}
				if len(out.Dropped) > 0 {
					fmt.Fprintf(w, "Dropped expired keys: %v\n", out.Dropped)
				}
				fmt.Fprintln(w)
				printTokenKeys(out.Keys)(w)
			})
		},
	})
	return cmd
}

func (r *root) sessionCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "session", Short: "Revoke temporary keys (sessions)"}
	var key, sa, folder, before string
	revoke := &cobra.Command{
		Use:   "revoke SESSION_ID | --key KEY_ID [--before TIME] | --sa SA [--folder F] [--before TIME]",
		Short: "Revoke one session, or every session of a static key or a service account issued before a time",
		Long: `Revoke temporary keys. Every node refuses them within a second.

  hourglass session revoke SESSION_ID              one session (the ID is in GetCallerIdentity's
                                                   SessionId and in CreateTemporaryAccessKey audit events)
  hourglass session revoke --key KEY_ID            every session of a static key issued before now
  hourglass session revoke --sa SA [--folder F]    every session of a service account issued before now

--before takes an RFC 3339 time (2025-01-02T15:04:05Z) instead of now. To end a key's sessions
and refuse new ones, disable or delete the key instead ("hourglass key disable").`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var req sts.RevokeRequest
			given := 0
			if len(args) == 1 {
				req.SessionID = args[0]
				given++
			}
			if key != "" {
				req.Key = key
				given++
			}
			if sa != "" {
				req.SA, req.Folder = sa, folder
				given++
			}
			if given != 1 {
				return fmt.Errorf("give exactly one of SESSION_ID, --key or --sa")
			}
			if folder != "" && sa == "" {
				return fmt.Errorf("--folder only applies with --sa")
			}
			if before != "" {
				if req.SessionID != "" {
					return fmt.Errorf("--before applies to --key and --sa, not to one session")
				}
				if _, err := time.Parse(time.RFC3339, before); err != nil {
					return fmt.Errorf("--before must be an RFC 3339 time such as 2025-01-02T15:04:05Z, not %q", before)
				}
				req.Before = before
			}
			var out meta.Revocation
			return r.call(c.Context(), http.MethodPost, "/v1/sessions/revoke", nil, req, &out, func(w io.Writer) {
				switch out.Kind {
				case meta.RevokeSession:
					fmt.Fprintf(w, "Revoked session %s.\n", out.Target)
				case meta.RevokeKey:
					fmt.Fprintf(w, "Revoked every session of key %s issued before %s.\n", out.Target, ts(out.Before))
				default:
					fmt.Fprintf(w, "Revoked every session of service account %s issued before %s.\n", out.Target, ts(out.Before))
				}
				fmt.Fprintf(w, "The revocation is kept until %s (no session outlives that).\n", ts(out.ExpiresAt))
			})
		},
	}
	revoke.Flags().StringVar(&key, "key", "", "static key ID whose sessions to revoke")
	revoke.Flags().StringVar(&sa, "sa", "", "service account (name or ID) whose sessions to revoke")
	revoke.Flags().StringVar(&folder, "folder", "", "folder to resolve an SA name in (default: default)")
	revoke.Flags().StringVar(&before, "before", "", "revoke sessions issued before this RFC 3339 time (default: now)")
	cmd.AddCommand(revoke)
	return cmd
}
