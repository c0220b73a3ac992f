package s3blob

import (
	"net"

	"golang.org/x/sys/unix"
)

// spliceSupported: Linux splices socket to socket (net.TCPConn.ReadFrom).
const spliceSupported = true

// tcpProgress returns how many payload bytes c has received so far and how
// many of them wait unread in its receive queue.
func tcpProgress(c *net.TCPConn) (received uint64, unread int, err error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	cerr := raw.Control(func(fd uintptr) {
		var info *unix.TCPInfo
		if info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO); err != nil {
			return
		}
		received = info.Bytes_received
		unread, err = unix.IoctlGetInt(int(fd), unix.SIOCINQ)
	})
	if cerr != nil {
		return 0, 0, cerr
	}
	return received, unread, err
}

// socketQuiet reports whether nothing waits to be read on c and its peer has
// not closed it: a non-blocking peek at the socket (bytes or an end of
// stream mean the connection is not fit for another request).
func socketQuiet(c *net.TCPConn) bool {
	raw, err := c.SyscallConn()
	if err != nil {
		return false
	}
	quiet := false
	var b [1]byte
	cerr := raw.Control(func(fd uintptr) {
		_, _, err := unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		quiet = err == unix.EAGAIN || err == unix.EWOULDBLOCK
	})
	return cerr == nil && quiet
}
