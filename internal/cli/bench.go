package cli

import "github.com/spf13/cobra"

// benchCommands returns the load generator and null server commands.
func (r *root) benchCommands() []*cobra.Command { return nil }
