package cli

import "github.com/spf13/cobra"

// stsCommands returns the session and token-key command groups.
func (r *root) stsCommands() []*cobra.Command { return nil }
