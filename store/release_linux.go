//go:build linux

package store

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// releaseMapped tells the kernel that this process no longer needs the
// first size bytes of the file's memory map. bbolt reads the file through
// a read-only shared map, so every page a long read touches (an export
// reads them all) stays in the process's resident set; dropped, the pages
// stay in the page cache and the next read of one maps it again, a minor
// fault. It must run inside a transaction, so the map cannot move.
func releaseMapped(tx *bolt.Tx) {
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, tx.DB().Info().Data, uintptr(tx.Size()), syscall.MADV_DONTNEED)
}
