package fs

import (
	"os"
	"syscall"
)

// syncFileRangeWrite is SYNC_FILE_RANGE_WRITE: start writeback, do not wait.
const syncFileRangeWrite = 2

// startWriteback asks the kernel to begin writing a freshly written range to
// disk. Without it a large body sits in the page cache until the final fsync
// (the dirty thresholds are GBs on big machines), so the disk writes only
// after the MD5 is done; with it, disk writes overlap hashing and the fsync
// finds little left to do. Errors are ignored: the fsync reports them.
func startWriteback(f *os.File, off, n int64) {
	_ = syscall.SyncFileRange(int(f.Fd()), off, n, syncFileRangeWrite)
}
