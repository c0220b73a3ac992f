package cli

import "github.com/spf13/cobra"

// authzCommands returns the explain command.
func (r *root) authzCommands() []*cobra.Command { return nil }

// bucketConfigCommands returns `bucket policy …` and `bucket acl …`.
func (r *root) bucketConfigCommands() []*cobra.Command { return nil }
