//go:build !linux

package store

import bolt "go.etcd.io/bbolt"

// releaseMapped does nothing where we have not measured madvise's effect.
func releaseMapped(*bolt.Tx) {}
