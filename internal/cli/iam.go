package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/hourglass-sts/hourglass/internal/adminapi"
)

func ts(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func onOff(b bool) string {
	if b {
		return "enabled"
	}
	return "disabled"
}

func printFolders(fs []adminapi.Folder) func(io.Writer) {
	return func(w io.Writer) {
		fmt.Fprintln(w, "ID\tNAME\tSTS\tCREATED")
		for _, f := range fs {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", f.ID, f.Name, onOff(f.STSEnabled), ts(f.CreatedAt))
		}
	}
}

func printSAs(sas []adminapi.ServiceAccount) func(io.Writer) {
	return func(w io.Writer) {
		fmt.Fprintln(w, "ID\tNAME\tFOLDER\tSTS\tCREATED")
		for _, s := range sas {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.Name, s.FolderID, onOff(s.STSEnabled), ts(s.CreatedAt))
		}
	}
}

func printKeys(ks []adminapi.Key) func(io.Writer) {
	return func(w io.Writer) {
		fmt.Fprintln(w, "ACCESS KEY ID\tSERVICE ACCOUNT\tSTATUS\tCREATED")
		for _, k := range ks {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", k.AccessKeyID, k.ServiceAccountID, k.Status, ts(k.CreatedAt))
		}
	}
}

func printBindings(bs []adminapi.RoleBinding) func(io.Writer) {
	return func(w io.Writer) {
		fmt.Fprintln(w, "ROLE\tSUBJECT\tSCOPE\tSCOPE ID")
		for _, b := range bs {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", b.Role, b.Subject, b.ScopeType, b.ScopeID)
		}
	}
}

func printBuckets(bs []adminapi.Bucket) func(io.Writer) {
	return func(w io.Writer) {
		fmt.Fprintln(w, "NAME\tFOLDER\tCREATED")
		for _, b := range bs {
			fmt.Fprintf(w, "%s\t%s\t%s\n", b.Name, b.FolderID, ts(b.CreatedAt))
		}
	}
}

func (r *root) folderCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "folder", Short: "Manage folders (namespaces owning buckets and service accounts)"}
	var force bool
	del := &cobra.Command{
		Use: "delete NAME", Short: "Delete a folder (refused while it has buckets, or service accounts unless --force)", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var out adminapi.Folder
			return r.call(c.Context(), http.MethodDelete, "/v1/folders/"+url.PathEscape(args[0]), map[string]string{"force": strconv.FormatBool(force)}, nil, &out,
				func(w io.Writer) { fmt.Fprintf(w, "Deleted folder %s (%s).\n", out.Name, out.ID) })
		},
	}
	del.Flags().BoolVar(&force, "force", false, "also delete the folder's service accounts, their keys and bindings")
	var sts bool
	update := &cobra.Command{
		Use: "update NAME --sts=true|false", Short: "Enable or disable temporary-key issuance for a whole folder", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if !c.Flags().Changed("sts") {
				return fmt.Errorf("nothing to update: give --sts=true or --sts=false")
			}
			var out adminapi.Folder
			return r.call(c.Context(), http.MethodPatch, "/v1/folders/"+url.PathEscape(args[0]), nil, map[string]bool{"sts_enabled": sts}, &out,
				func(w io.Writer) { printFolders([]adminapi.Folder{out})(w) })
		},
	}
	update.Flags().BoolVar(&sts, "sts", true, "allow AssumeRole/GetSessionToken for the folder's service accounts")
	cmd.AddCommand(&cobra.Command{
		Use: "create NAME", Short: "Create a folder", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var out adminapi.Folder
			return r.call(c.Context(), http.MethodPost, "/v1/folders", nil, map[string]string{"name": args[0]}, &out,
				func(w io.Writer) { printFolders([]adminapi.Folder{out})(w) })
		},
	}, &cobra.Command{
		Use: "list", Short: "List folders", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			var out []adminapi.Folder
			return r.call(c.Context(), http.MethodGet, "/v1/folders", nil, nil, &out, func(w io.Writer) { printFolders(out)(w) })
		},
	}, del, update)
	return cmd
}

func (r *root) saCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "sa", Short: "Manage service accounts"}
	var folder, desc string
	create := &cobra.Command{
		Use: "create NAME", Short: "Create a service account", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var out adminapi.ServiceAccount
			return r.call(c.Context(), http.MethodPost, "/v1/service-accounts", nil,
				map[string]string{"name": args[0], "folder": folder, "description": desc}, &out,
				func(w io.Writer) { printSAs([]adminapi.ServiceAccount{out})(w) })
		},
	}
	create.Flags().StringVar(&folder, "folder", "", "folder name or ID (default: default)")
	create.Flags().StringVar(&desc, "description", "", "free-text description")
	var listFolder string
	list := &cobra.Command{
		Use: "list", Short: "List service accounts of a folder", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			var out []adminapi.ServiceAccount
			return r.call(c.Context(), http.MethodGet, "/v1/service-accounts", map[string]string{"folder": listFolder}, nil, &out,
				func(w io.Writer) { printSAs(out)(w) })
		},
	}
	list.Flags().StringVar(&listFolder, "folder", "", "folder name or ID (default: default; * for all)")
	var delFolder string
	var force bool
	del := &cobra.Command{
		Use: "delete SA", Short: "Delete a service account (refused while it has keys unless --force)", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var out adminapi.ServiceAccount
			return r.call(c.Context(), http.MethodDelete, "/v1/service-accounts/"+url.PathEscape(args[0]),
				map[string]string{"folder": delFolder, "force": strconv.FormatBool(force)}, nil, &out,
				func(w io.Writer) { fmt.Fprintf(w, "Deleted service account %s (%s).\n", out.Name, out.ID) })
		},
	}
	del.Flags().StringVar(&delFolder, "folder", "", "folder to resolve an SA name in (default: default)")
	del.Flags().BoolVar(&force, "force", false, "also delete the service account's keys")
	var upFolder string
	var sts bool
	update := &cobra.Command{
		Use: "update SA --sts=true|false", Short: "Enable or disable temporary-key issuance for a service account", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if !c.Flags().Changed("sts") {
				return fmt.Errorf("nothing to update: give --sts=true or --sts=false")
			}
			var out adminapi.ServiceAccount
			return r.call(c.Context(), http.MethodPatch, "/v1/service-accounts/"+url.PathEscape(args[0]),
				map[string]string{"folder": upFolder}, map[string]bool{"sts_enabled": sts}, &out,
				func(w io.Writer) { printSAs([]adminapi.ServiceAccount{out})(w) })
		},
	}
	update.Flags().StringVar(&upFolder, "folder", "", "folder to resolve an SA name in (default: default)")
	update.Flags().BoolVar(&sts, "sts", true, "allow AssumeRole/GetSessionToken with this SA's keys")
	cmd.AddCommand(create, list, del, update)
	return cmd
}

func (r *root) keyCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "key", Short: "Manage static access keys"}
	var sa, folder, desc string
	create := &cobra.Command{
		Use: "create --sa SA", Short: "Create a static key (the secret is shown only now)", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if sa == "" {
				return fmt.Errorf("--sa is required")
			}
			var out adminapi.NewKey
			return r.call(c.Context(), http.MethodPost, "/v1/keys", nil,
				map[string]string{"service_account": sa, "folder": folder, "description": desc}, &out,
				func(w io.Writer) {
					fmt.Fprintf(w, "access_key_id:\t%s\nsecret_access_key:\t%s\nservice_account_id:\t%s\n", out.AccessKeyID, out.SecretAccessKey, out.ServiceAccountID)
					fmt.Fprintln(w, "\nStore the secret now: it cannot be shown again.")
				})
		},
	}
	create.Flags().StringVar(&sa, "sa", "", "service account name or ID")
	create.Flags().StringVar(&folder, "folder", "", "folder to resolve an SA name in (default: default)")
	create.Flags().StringVar(&desc, "description", "", "free-text description")
	var lsa, lfolder string
	list := &cobra.Command{
		Use: "list [--sa SA]", Short: "List static keys (never their secrets)", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			var out []adminapi.Key
			return r.call(c.Context(), http.MethodGet, "/v1/keys", map[string]string{"service_account": lsa, "folder": lfolder}, nil, &out,
				func(w io.Writer) { printKeys(out)(w) })
		},
	}
	list.Flags().StringVar(&lsa, "sa", "", "only keys of this service account")
	list.Flags().StringVar(&lfolder, "folder", "", "folder to resolve an SA name in (default: default)")
	action := func(use, short, method, suffix, verb string) *cobra.Command {
		return &cobra.Command{
			Use: use + " KEY_ID", Short: short, Args: cobra.ExactArgs(1),
			RunE: func(c *cobra.Command, args []string) error {
				var out adminapi.Key
				return r.call(c.Context(), method, "/v1/keys/"+url.PathEscape(args[0])+suffix, nil, nil, &out,
					func(w io.Writer) { fmt.Fprintf(w, "%s key %s.\n", verb, out.AccessKeyID) })
			},
		}
	}
	cmd.AddCommand(create, list,
		action("disable", "Disable a key; every temporary key issued from it stops working at once", http.MethodPost, "/disable", "Disabled"),
		action("enable", "Enable a key again (sessions issued before it was disabled stay revoked)", http.MethodPost, "/enable", "Enabled"),
		action("delete", "Delete a key; every temporary key issued from it stops working at once", http.MethodDelete, "", "Deleted"))
	return cmd
}

func (r *root) roleCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "role", Short: "Grant and revoke storage roles (storage.viewer … storage.admin)"}
	binding := func(use, short, method, path, verb string) *cobra.Command {
		var to, folder, bucket string
		c := &cobra.Command{
			Use: use + " ROLE --to SA|allUsers|allAuthenticatedUsers (--folder F | --bucket B)", Short: short, Args: cobra.ExactArgs(1),
			RunE: func(c *cobra.Command, args []string) error {
				if to == "" {
					return fmt.Errorf("--to is required")
				}
				var out adminapi.RoleBinding
				return r.call(c.Context(), method, path, nil,
					map[string]string{"role": args[0], "subject": to, "folder": folder, "bucket": bucket}, &out,
					func(w io.Writer) {
						fmt.Fprintf(w, "%s %s for %s on %s %s.\n", verb, out.Role, out.Subject, out.ScopeType, out.ScopeID)
					})
			},
		}
		c.Flags().StringVar(&to, "to", "", "service account (name or ID), allUsers or allAuthenticatedUsers")
		c.Flags().StringVar(&folder, "folder", "", "scope: a folder (covers every bucket in it)")
		c.Flags().StringVar(&bucket, "bucket", "", "scope: one bucket")
		return c
	}
	var folder, bucket string
	list := &cobra.Command{
		Use: "list [--folder F | --bucket B]", Short: "List role bindings", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			var out []adminapi.RoleBinding
			return r.call(c.Context(), http.MethodGet, "/v1/role-bindings", map[string]string{"folder": folder, "bucket": bucket}, nil, &out,
				func(w io.Writer) { printBindings(out)(w) })
		},
	}
	list.Flags().StringVar(&folder, "folder", "", "only bindings on this folder")
	list.Flags().StringVar(&bucket, "bucket", "", "only bindings on this bucket")
	cmd.AddCommand(binding("grant", "Grant a role", http.MethodPost, "/v1/role-bindings", "Granted"),
		binding("revoke", "Revoke a role", http.MethodPost, "/v1/role-bindings/revoke", "Revoked"), list)
	return cmd
}

func (r *root) bucketCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bucket", Short: "Manage buckets"}
	var folder string
	create := &cobra.Command{
		Use: "create NAME", Short: "Create a bucket in a folder", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var out adminapi.Bucket
			return r.call(c.Context(), http.MethodPost, "/v1/buckets", nil, map[string]string{"name": args[0], "folder": folder}, &out,
				func(w io.Writer) { printBuckets([]adminapi.Bucket{out})(w) })
		},
	}
	create.Flags().StringVar(&folder, "folder", "", "folder name or ID (default: default)")
	var lfolder string
	list := &cobra.Command{
		Use: "list", Short: "List buckets of a folder", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			var out []adminapi.Bucket
			return r.call(c.Context(), http.MethodGet, "/v1/buckets", map[string]string{"folder": lfolder}, nil, &out,
				func(w io.Writer) { printBuckets(out)(w) })
		},
	}
	list.Flags().StringVar(&lfolder, "folder", "", "folder name or ID (default: default; * for all)")
	cmd.AddCommand(r.bucketConfigCommands()...)
	var afolder string
	adopt := &cobra.Command{
		Use: "adopt NAME [--folder F]", Short: "Register a bucket that already exists in the object store (e.g. an upstream S3 bucket)", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var out adminapi.Bucket
			return r.call(c.Context(), http.MethodPost, "/v1/buckets/adopt", nil, map[string]string{"name": args[0], "folder": afolder}, &out,
				func(w io.Writer) { printBuckets([]adminapi.Bucket{out})(w) })
		},
	}
	adopt.Flags().StringVar(&afolder, "folder", "", "folder name or ID (default: default)")
	cmd.AddCommand(adopt)
	cmd.AddCommand(create, list, &cobra.Command{
		Use: "delete NAME", Short: "Delete an empty bucket", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var out adminapi.Bucket
			return r.call(c.Context(), http.MethodDelete, "/v1/buckets/"+url.PathEscape(args[0]), nil, nil, &out,
				func(w io.Writer) { fmt.Fprintf(w, "Deleted bucket %s.\n", out.Name) })
		},
	})
	return cmd
}
