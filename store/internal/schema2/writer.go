package schema2

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/bot/incident"
)

// Writer writes a schema-2 database as the schema-2 store did: the same
// buckets, keys, indexes and JSON records, with bbolt's default fill. It
// exists so that benchmarks can measure the old format on the same data
// and tests can migrate large old files; the bot never writes schema 2.
type Writer struct {
	db *bolt.DB
}

// Bucket names and the meta keys of schema 2.
var (
	bucketMeta      = []byte("meta")
	bucketIncidents = []byte("incidents")
	bucketTimeline  = []byte("timeline")
	bucketOpen      = []byte("open")
	bucketDue       = []byte("due")
	bucketByChannel = []byte("by_channel")
	bucketSeen      = []byte("seen")
	bucketOutbox    = []byte("outbox")
	bucketInbox     = []byte("inbox")
)

// Create makes a new schema-2 database at path, which must not exist.
func Create(path string) (*Writer, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketMeta) != nil {
			return fmt.Errorf("%s is not empty", path)
		}
		for _, name := range [][]byte{bucketMeta, bucketIncidents, bucketTimeline, bucketOpen, bucketDue, bucketByChannel, bucketSeen, bucketOutbox, bucketInbox} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put([]byte("app"), []byte("incidentbot")); err != nil {
			return err
		}
		return meta.Put([]byte("schema_version"), itob(2))
	})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Writer{db: db}, nil
}

// Add stores incidents with their events in one transaction, as
// CreateIncident of schema 2 did: the next IDs, Rev 1, indexes updated,
// events numbered from 1 (a zero At stays zero).
func (w *Writer) Add(incs []*incident.Incident, events [][]incident.Event) error {
	return w.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIncidents)
		for i, inc := range incs {
			id, err := b.NextSequence()
			if err != nil {
				return err
			}
			c := *inc
			c.ID, c.Rev = int64(id), 1
			data, err := MarshalIncident(&c)
			if err != nil {
				return err
			}
			key := itob(id)
			if err := b.Put(key, data); err != nil {
				return err
			}
			if c.Status != incident.StatusClosed {
				if err := tx.Bucket(bucketOpen).Put(key, nil); err != nil {
					return err
				}
			}
			if !c.WakeAt.IsZero() {
				k := append(itob(uint64(c.WakeAt.UnixNano())^(1<<63)), key...)
				if err := tx.Bucket(bucketDue).Put(k, nil); err != nil {
					return err
				}
			}
			if c.ChannelID != "" {
				if err := tx.Bucket(bucketByChannel).Put([]byte(c.ChannelID), key); err != nil {
					return err
				}
			}
			for j, e := range events[i] {
				data, err := MarshalEvent(e)
				if err != nil {
					return err
				}
				if err := tx.Bucket(bucketTimeline).Put(append(itob(id), itob(uint64(j+1))...), data); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Seen records deduplication keys as seen at the given times.
func (w *Writer) Seen(keys []string, at []time.Time) error {
	return w.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSeen)
		for i, k := range keys {
			if err := b.Put([]byte(k), itob(uint64(at[i].UnixNano()))); err != nil {
				return err
			}
		}
		return nil
	})
}

// Close syncs and closes the file.
func (w *Writer) Close() error {
	if err := w.db.Sync(); err != nil {
		_ = w.db.Close()
		return err
	}
	return w.db.Close()
}

func itob(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }
