package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"slices"
	"time"
)

// Record encoding (schema 3 on).
//
// A record is one byte, its format version (recordVersion), then its
// fields, then the CRC-32C of everything before, 4 bytes little-endian. A
// field is uvarint(tag<<2 | wire) followed by its value:
//
//	wireVarint  uvarint: integers (signed ones zigzag-encoded), booleans
//	wireBytes   uvarint length, then the bytes: strings, []byte, lists,
//	            maps and nested records (fields without version or CRC)
//	wireTime    uvarint(zigzag(Unix seconds)<<1 | hasNanos), then
//	            uvarint(nanoseconds) when hasNanos
//
// Zero values are left out, fields are written in tag order, and a reader
// refuses a tag it does not know: a record from a newer incidentbot is
// reported, never read with a field dropped. The checksum turns a flipped
// bit on disk into an error instead of a wrong title.
//
// Each record type is one table of fields (record.go): the tag, the name
// used in errors, and where the value lives in the domain struct. Encoding
// and decoding both come from that table.

const (
	wireVarint = 0
	wireBytes  = 1
	wireTime   = 2
)

// recordVersion is the first byte of every record. Version 1 was the JSON
// of schemas 1 and 2 (its first byte is '{').
const recordVersion = 2

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorruptRecord marks a value that fails its checksum or does not parse.
var errCorruptRecord = errors.New("corrupt record")

// field is one entry of a record table.
type field[T any] struct {
	tag  uint64
	name string
	wire uint64
	// enc appends the field (key and value) to b unless it is zero.
	enc func(b []byte, x *T) []byte
	// dec stores a value read from the record: u for wireVarint, p for
	// wireBytes, t for wireTime.
	dec func(x *T, u uint64, p []byte, t time.Time) error
	// valid checks a value as dec would, without storing it; nil when
	// every value that reads is valid.
	valid func(u uint64, p []byte) error
}

// recordType is the table of one record type, indexed by tag.
type recordType[T any] struct {
	name   string
	fields []field[T]
	byTag  []*field[T]
}

// newRecordType builds a table; tags must be unique and ascending, which
// it checks once at start-up (a mistake there is a programming error).
func newRecordType[T any](name string, fields ...field[T]) *recordType[T] {
	rt := &recordType[T]{name: name, fields: fields}
	for i := range fields {
		f := &rt.fields[i]
		if f.tag == 0 || (i > 0 && f.tag <= fields[i-1].tag) {
			panic(fmt.Sprintf("record %s: field %s: tags must be positive and ascending", name, f.name))
		}
		for uint64(len(rt.byTag)) <= f.tag {
			rt.byTag = append(rt.byTag, nil)
		}
		rt.byTag[f.tag] = f
	}
	return rt
}

// appendFields appends the fields of x.
func (rt *recordType[T]) appendFields(b []byte, x *T) []byte {
	for i := range rt.fields {
		b = rt.fields[i].enc(b, x)
	}
	return b
}

// marshal returns x as a whole record: version, fields, checksum.
func (rt *recordType[T]) marshal(x *T) []byte {
	b := make([]byte, 1, 128)
	b[0] = recordVersion
	b = rt.appendFields(b, x)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// unmarshal decodes a whole record into x.
func (rt *recordType[T]) unmarshal(data []byte, x *T) error {
	body, err := rt.open(data)
	if err != nil {
		return err
	}
	return rt.walkFields(body, x)
}

// open checks a record's checksum and version and returns its fields.
func (rt *recordType[T]) open(data []byte) ([]byte, error) {
	if len(data) > 0 && data[0] == '{' {
		return nil, fmt.Errorf("%w: a JSON record of schema 2 or older in a schema %d database", errCorruptRecord, schemaVersion)
	}
	if len(data) < 5 {
		return nil, fmt.Errorf("%w: %d bytes", errCorruptRecord, len(data))
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, fmt.Errorf("%w: checksum mismatch", errCorruptRecord)
	}
	if v := body[0]; v != recordVersion {
		return nil, fmt.Errorf("record format %d is not %d, the one this incidentbot reads: it was written by another version; upgrade incidentbot", v, recordVersion)
	}
	return body[1:], nil
}

// decodeFields reads the fields in b into x.
func (rt *recordType[T]) decodeFields(b []byte, x *T) error { return rt.walkFields(b, x) }

// validate checks a whole record as unmarshal would, without building the
// value: Check reads every record this way.
func (rt *recordType[T]) validate(data []byte) error {
	body, err := rt.open(data)
	if err != nil {
		return err
	}
	return rt.walkFields(body, nil)
}

// walkFields reads the fields in b, storing them in x, or only checking
// them when x is nil.
func (rt *recordType[T]) walkFields(b []byte, x *T) error {
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return fmt.Errorf("%w: %s: bad field key", errCorruptRecord, rt.name)
		}
		b = b[n:]
		tag, wire := key>>2, key&3
		if tag >= uint64(len(rt.byTag)) || rt.byTag[tag] == nil {
			return fmt.Errorf("%s has field %d, which this incidentbot does not know: it was written by a newer version; upgrade incidentbot", rt.name, tag)
		}
		f := rt.byTag[tag]
		if wire != f.wire {
			return fmt.Errorf("%w: %s.%s: wire type %d, want %d", errCorruptRecord, rt.name, f.name, wire, f.wire)
		}
		var (
			u   uint64
			p   []byte
			t   time.Time
			err error
		)
		switch wire {
		case wireVarint:
			u, b, err = readUvarint(b)
		case wireBytes:
			p, b, err = readBytes(b)
		case wireTime:
			t, b, err = readTime(b)
		}
		switch {
		case err != nil:
		case x != nil:
			err = f.dec(x, u, p, t)
		case f.valid != nil:
			err = f.valid(u, p)
		}
		if err != nil {
			return fmt.Errorf("%s.%s: %w", rt.name, f.name, err)
		}
	}
	return nil
}

func readUvarint(b []byte) (uint64, []byte, error) {
	u, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, fmt.Errorf("%w: bad varint", errCorruptRecord)
	}
	return u, b[n:], nil
}

func readBytes(b []byte) ([]byte, []byte, error) {
	l, b, err := readUvarint(b)
	if err != nil {
		return nil, nil, err
	}
	if l > uint64(len(b)) {
		return nil, nil, fmt.Errorf("%w: length %d past the end", errCorruptRecord, l)
	}
	return b[:l], b[l:], nil
}

func readTime(b []byte) (time.Time, []byte, error) {
	u, b, err := readUvarint(b)
	if err != nil {
		return time.Time{}, nil, err
	}
	sec := unzigzag(u >> 1)
	var nsec uint64
	if u&1 != 0 {
		if nsec, b, err = readUvarint(b); err != nil {
			return time.Time{}, nil, err
		}
		if nsec >= 1e9 {
			return time.Time{}, nil, fmt.Errorf("%w: %d nanoseconds", errCorruptRecord, nsec)
		}
	}
	return time.Unix(sec, int64(nsec)).UTC(), b, nil
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

func appendKey(b []byte, tag, wire uint64) []byte { return binary.AppendUvarint(b, tag<<2|wire) }

func appendBytesValue(b []byte, tag uint64, p []byte) []byte {
	b = appendKey(b, tag, wireBytes)
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

// Field constructors. get returns where the value lives in x, so one line
// of the table serves both directions.

func strField[T any, S ~string](tag uint64, name string, get func(*T) *S) field[T] {
	return field[T]{tag: tag, name: name, wire: wireBytes,
		enc: func(b []byte, x *T) []byte {
			if s := *get(x); s != "" {
				b = appendKey(b, tag, wireBytes)
				b = binary.AppendUvarint(b, uint64(len(s)))
				b = append(b, s...)
			}
			return b
		},
		dec: func(x *T, _ uint64, p []byte, _ time.Time) error { *get(x) = S(p); return nil },
	}
}

func bytesField[T any](tag uint64, name string, get func(*T) *[]byte) field[T] {
	return field[T]{tag: tag, name: name, wire: wireBytes,
		enc: func(b []byte, x *T) []byte {
			if p := *get(x); len(p) > 0 {
				b = appendBytesValue(b, tag, p)
			}
			return b
		},
		dec: func(x *T, _ uint64, p []byte, _ time.Time) error { *get(x) = bytes.Clone(p); return nil },
	}
}

func intField[T any, I ~int | ~int32 | ~int64](tag uint64, name string, get func(*T) *I) field[T] {
	return field[T]{tag: tag, name: name, wire: wireVarint,
		enc: func(b []byte, x *T) []byte {
			if v := *get(x); v != 0 {
				b = appendKey(b, tag, wireVarint)
				b = binary.AppendUvarint(b, zigzag(int64(v)))
			}
			return b
		},
		dec: func(x *T, u uint64, _ []byte, _ time.Time) error {
			v := unzigzag(u)
			if int64(I(v)) != v {
				return fmt.Errorf("%w: %d out of range", errCorruptRecord, v)
			}
			*get(x) = I(v)
			return nil
		},
		valid: func(u uint64, _ []byte) error {
			if v := unzigzag(u); int64(I(v)) != v {
				return fmt.Errorf("%w: %d out of range", errCorruptRecord, v)
			}
			return nil
		},
	}
}

func uintField[T any](tag uint64, name string, get func(*T) *uint64) field[T] {
	return field[T]{tag: tag, name: name, wire: wireVarint,
		enc: func(b []byte, x *T) []byte {
			if v := *get(x); v != 0 {
				b = appendKey(b, tag, wireVarint)
				b = binary.AppendUvarint(b, v)
			}
			return b
		},
		dec: func(x *T, u uint64, _ []byte, _ time.Time) error { *get(x) = u; return nil },
	}
}

func boolField[T any](tag uint64, name string, get func(*T) *bool) field[T] {
	return field[T]{tag: tag, name: name, wire: wireVarint,
		enc: func(b []byte, x *T) []byte {
			if *get(x) {
				b = appendKey(b, tag, wireVarint)
				b = append(b, 1)
			}
			return b
		},
		dec: func(x *T, u uint64, _ []byte, _ time.Time) error {
			*get(x) = u == 1
			return checkBool(u)
		},
		valid: func(u uint64, _ []byte) error { return checkBool(u) },
	}
}

func checkBool(u uint64) error {
	if u > 1 {
		return fmt.Errorf("%w: boolean %d", errCorruptRecord, u)
	}
	return nil
}

// timeField keeps the instant to the nanosecond; the location becomes UTC.
func timeField[T any](tag uint64, name string, get func(*T) *time.Time) field[T] {
	return field[T]{tag: tag, name: name, wire: wireTime,
		enc: func(b []byte, x *T) []byte {
			t := *get(x)
			if t.IsZero() {
				return b
			}
			b = appendKey(b, tag, wireTime)
			sec, nsec := t.Unix(), t.Nanosecond()
			if nsec == 0 {
				return binary.AppendUvarint(b, zigzag(sec)<<1)
			}
			b = binary.AppendUvarint(b, zigzag(sec)<<1|1)
			return binary.AppendUvarint(b, uint64(nsec))
		},
		dec: func(x *T, _ uint64, _ []byte, t time.Time) error { *get(x) = t; return nil },
	}
}

// stringsField stores a list of strings (empty ones included) as one
// value: a count, then each string with its length.
func stringsField[T any, S ~string](tag uint64, name string, get func(*T) *[]S) field[T] {
	return field[T]{tag: tag, name: name, wire: wireBytes,
		enc: func(b []byte, x *T) []byte {
			l := *get(x)
			if len(l) == 0 {
				return b
			}
			var p []byte
			p = binary.AppendUvarint(p, uint64(len(l)))
			for _, s := range l {
				p = binary.AppendUvarint(p, uint64(len(s)))
				p = append(p, s...)
			}
			return appendBytesValue(b, tag, p)
		},
		dec: func(x *T, _ uint64, p []byte, _ time.Time) error {
			l, err := readStrings(p, 1, true)
			if l == nil {
				*get(x) = nil
				return err
			}
			out := make([]S, len(l))
			for i, v := range l {
				out[i] = S(v)
			}
			*get(x) = out
			return err
		},
		valid: func(_ uint64, p []byte) error { _, err := readStrings(p, 1, false); return err },
	}
}

// mapField stores a map of strings as one value: a count, then the keys
// and values in key order.
func mapField[T any](tag uint64, name string, get func(*T) *map[string]string) field[T] {
	return field[T]{tag: tag, name: name, wire: wireBytes,
		enc: func(b []byte, x *T) []byte {
			m := *get(x)
			if len(m) == 0 {
				return b
			}
			var p []byte
			p = binary.AppendUvarint(p, uint64(len(m)))
			for _, k := range slices.Sorted(maps.Keys(m)) {
				p = binary.AppendUvarint(p, uint64(len(k)))
				p = append(p, k...)
				p = binary.AppendUvarint(p, uint64(len(m[k])))
				p = append(p, m[k]...)
			}
			return appendBytesValue(b, tag, p)
		},
		dec: func(x *T, _ uint64, p []byte, _ time.Time) error {
			kv, err := readStrings(p, 2, true)
			if err != nil {
				return err
			}
			m := make(map[string]string, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				m[kv[i]] = kv[i+1]
			}
			*get(x) = m
			return nil
		},
		valid: func(_ uint64, p []byte) error { _, err := readStrings(p, 2, false); return err },
	}
}

// readStrings reads a count n and n*per strings; with keep false it only
// checks them.
func readStrings(p []byte, per uint64, keep bool) ([]string, error) {
	n, p, err := readUvarint(p)
	if err != nil {
		return nil, err
	}
	// Every string takes at least its length byte: a count beyond that is
	// corruption, not a reason to allocate.
	if n == 0 || n*per > uint64(len(p)) || n > uint64(len(p)) {
		return nil, fmt.Errorf("%w: %d items in %d bytes", errCorruptRecord, n, len(p))
	}
	var out []string
	if keep {
		out = make([]string, 0, n*per)
	}
	for range n * per {
		var s []byte
		if s, p, err = readBytes(p); err != nil {
			return nil, err
		}
		if keep {
			out = append(out, string(s))
		}
	}
	if len(p) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the list", errCorruptRecord, len(p))
	}
	return out, nil
}

// listField stores a list of nested records, one field occurrence each.
func listField[T, E any](tag uint64, name string, get func(*T) *[]E, sub *recordType[E]) field[T] {
	return field[T]{tag: tag, name: name, wire: wireBytes,
		enc: func(b []byte, x *T) []byte {
			for i := range *get(x) {
				b = appendBytesValue(b, tag, sub.appendFields(nil, &(*get(x))[i]))
			}
			return b
		},
		dec: func(x *T, _ uint64, p []byte, _ time.Time) error {
			var e E
			if err := sub.decodeFields(p, &e); err != nil {
				return err
			}
			*get(x) = append(*get(x), e)
			return nil
		},
		valid: func(_ uint64, p []byte) error { return sub.walkFields(p, nil) },
	}
}

// ptrField stores an optional nested record; nil is left out.
func ptrField[T, E any](tag uint64, name string, get func(*T) **E, sub *recordType[E]) field[T] {
	return field[T]{tag: tag, name: name, wire: wireBytes,
		enc: func(b []byte, x *T) []byte {
			if e := *get(x); e != nil {
				b = appendBytesValue(b, tag, sub.appendFields(nil, e))
			}
			return b
		},
		dec: func(x *T, _ uint64, p []byte, _ time.Time) error {
			e := new(E)
			if err := sub.decodeFields(p, e); err != nil {
				return err
			}
			*get(x) = e
			return nil
		},
		valid: func(_ uint64, p []byte) error { return sub.walkFields(p, nil) },
	}
}
