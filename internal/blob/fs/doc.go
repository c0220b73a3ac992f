// Package fs is the local-disk object backend (blob.Store): object bytes in
// files named by random IDs under <root>/blobs, small objects inline in the
// index, and an SQLite index (<root>/index.db) holding buckets, the key → blob
// mapping, multipart uploads and blob references.
//
// Invariants (DESIGN.md §6): an acknowledged write survives kill -9 and power
// loss (file fsync, rename, directory fsync, then an index commit with
// synchronous=FULL); a reader never sees a partial object; keys never become
// file paths; listing is an ordered index scan; orphaned files are collected.
// See README.md in this directory for the layout, the write path and
// benchmark numbers.
package fs
