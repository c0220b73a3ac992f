//go:build !linux

package s3blob

import (
	"errors"
	"net"
)

// spliceSupported: only Linux splices socket to socket; elsewhere bodies
// are copied through the process.
const spliceSupported = false

func tcpProgress(*net.TCPConn) (uint64, int, error) {
	return 0, 0, errors.New("s3blob: TCP progress is not available on this system")
}

// socketQuiet: the raw client runs only where splicing does.
func socketQuiet(*net.TCPConn) bool { return false }
