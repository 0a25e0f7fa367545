package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// The bbolt file format (version 2), as far as Open and Check read it
// themselves. bbolt maps the file into memory and trusts it: a page number
// past the end of the file makes it fault (SIGBUS) and a bad page type
// makes it panic, in Open or in any later read. So Open first reads the
// header pages with plain file reads and refuses what bbolt would crash
// on.
//
// Every page starts with a 16-byte header: id u64, flags u16, count u16,
// overflow u32. Pages 0 and 1 are meta pages (written alternately, the one
// with the higher txid is current); after the header comes the meta:
// magic u32, version u32, pageSize u32, flags u32, root bucket {root pgid
// u64, sequence u64}, freelist pgid u64, pgid u64 (the high-water mark:
// pages in use are below it), txid u64, checksum u64 (FNV-64a of the meta
// bytes before it). All integers are little-endian on the platforms we
// run on (amd64, arm64).
const (
	pageHeaderSize = 16
	metaMagic      = 0xED0CDAED
	metaVersion    = 2
	metaSize       = 64
	metaSumLen     = 56

	pageBranch   = 0x01
	pageLeaf     = 0x02
	pageMeta     = 0x04
	pageFreelist = 0x10

	// noFreelist is the freelist pgid of a file written without one.
	noFreelist = 0xFFFFFFFFFFFFFFFF
	// leafBucket flags a leaf element whose value is a bucket.
	leafBucket = 0x01

	minPageSize = 1024
	maxPageSize = 64 << 10
)

// errCorruptFile marks a file that is, or was, a bbolt file but is damaged.
var errCorruptFile = errors.New("the database file is corrupt")

// fileMeta is the part of a meta page we use.
type fileMeta struct {
	page     uint64 // 0 or 1
	pageSize uint64
	root     uint64
	freelist uint64
	pgid     uint64
	txid     uint64
}

// parseMeta decodes the meta at the start of buf (a page), or says why it
// is not valid.
func parseMeta(buf []byte) (fileMeta, error) {
	if len(buf) < pageHeaderSize+metaSize {
		return fileMeta{}, errors.New("short page")
	}
	m := buf[pageHeaderSize : pageHeaderSize+metaSize]
	le := binary.LittleEndian
	if le.Uint32(m[0:]) != metaMagic {
		return fileMeta{}, errors.New("no bbolt magic number")
	}
	if flags := le.Uint16(buf[8:]); flags != pageMeta {
		return fileMeta{}, fmt.Errorf("page flags %#x are not a meta page's", flags)
	}
	if v := le.Uint32(m[4:]); v != metaVersion {
		return fileMeta{}, fmt.Errorf("bbolt file format %d, not %d", v, metaVersion)
	}
	h := fnv.New64a()
	h.Write(m[:metaSumLen])
	if h.Sum64() != le.Uint64(m[56:]) {
		return fileMeta{}, errors.New("checksum mismatch")
	}
	fm := fileMeta{
		page:     le.Uint64(buf[0:]),
		pageSize: uint64(le.Uint32(m[8:])),
		root:     le.Uint64(m[16:]),
		freelist: le.Uint64(m[32:]),
		pgid:     le.Uint64(m[40:]),
		txid:     le.Uint64(m[48:]),
	}
	if fm.pageSize < minPageSize || fm.pageSize > maxPageSize || fm.pageSize&(fm.pageSize-1) != 0 {
		return fileMeta{}, fmt.Errorf("page size %d", fm.pageSize)
	}
	return fm, nil
}

// verifyFile reads the meta pages and the freelist of the bbolt file at
// path with plain reads, and returns the meta bbolt will use. It refuses
// what would make bbolt crash when opening or reading the file: no valid
// meta page, a file shorter than its high-water mark, a root or freelist
// page past it, a malformed freelist, a damaged tree of bucket names
// (verifyRoots). It reads a few pages whatever the size of the file. An
// empty file is left to bbolt, which initialises it.
//
// A file with one valid meta page is accepted: that is what a crash in the
// middle of writing a meta page leaves, and bbolt then uses the other,
// older one (losing the last transaction, whose pages are still intact).
func verifyFile(path string) (fileMeta, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return fileMeta{}, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fileMeta{}, nil, err
	}
	size := fi.Size()
	if size == 0 {
		return fileMeta{}, nil, nil
	}

	// Meta page 0 is at offset 0; its page size says where page 1 is. If
	// page 0 is damaged, look for page 1 at every possible page size.
	var metas []fileMeta
	var reasons []string
	buf := make([]byte, pageHeaderSize+metaSize)
	read := func(off int64) error {
		_, err := f.ReadAt(buf, off)
		return err
	}
	if err := read(0); err != nil {
		return fileMeta{}, nil, notOurs(size, "too short to be a database")
	}
	m0, err0 := parseMeta(buf)
	if err0 == nil && m0.page == 0 {
		metas = append(metas, m0)
	} else {
		reasons = append(reasons, fmt.Sprintf("meta page 0: %v", errOr(err0, "it names itself page %d", m0.page)))
	}
	for ps := int64(minPageSize); ps <= maxPageSize; ps *= 2 {
		if err0 == nil && ps != int64(m0.pageSize) {
			continue
		}
		if read(ps) != nil {
			continue
		}
		m1, err := parseMeta(buf)
		if err == nil && m1.page == 1 && m1.pageSize == uint64(ps) {
			metas = append(metas, m1)
			break
		}
		// Past page 0's damage, report page 1 where it has a magic
		// number, or at the usual page size.
		if err0 == nil || (err != nil && err.Error() != "no bbolt magic number") || ps == 4096 {
			reasons = append(reasons, fmt.Sprintf("meta page 1: %v", errOr(err, "it names itself page %d", m1.page)))
		}
	}
	if len(metas) == 0 {
		if err0 != nil && err0.Error() == "no bbolt magic number" && size >= 16 {
			return fileMeta{}, nil, notOurs(size, "not a bbolt file")
		}
		return fileMeta{}, nil, fmt.Errorf("%w: no valid meta page (%s); restore a backup", errCorruptFile, joinReasons(reasons))
	}
	if len(metas) == 2 && metas[0].pageSize != metas[1].pageSize {
		return fileMeta{}, nil, fmt.Errorf("%w: the meta pages disagree on the page size; restore a backup", errCorruptFile)
	}
	m := metas[0]
	if len(metas) == 2 && metas[1].txid > m.txid {
		m = metas[1]
	}

	ps := int64(m.pageSize)
	if m.pgid < 2 || m.root < 2 || m.root >= m.pgid {
		return fileMeta{}, nil, fmt.Errorf("%w: the root page %d is outside the %d pages in use; restore a backup", errCorruptFile, m.root, m.pgid)
	}
	if need := int64(m.pgid) * ps; size < need || need/ps != int64(m.pgid) {
		return fileMeta{}, nil, fmt.Errorf("%w: the file is truncated: %d bytes, but its header says %d pages of %d bytes (%d bytes); restore a backup", errCorruptFile, size, m.pgid, ps, need)
	}
	if m.freelist != noFreelist {
		if err := verifyFreelist(f, m); err != nil {
			return fileMeta{}, nil, fmt.Errorf("%w: freelist page %d: %v; restore a backup", errCorruptFile, m.freelist, err)
		}
	}
	if err := verifyRoots(f, m); err != nil {
		return fileMeta{}, nil, fmt.Errorf("%w; restore a backup", err)
	}
	return m, reasons, nil
}

// verifyFreelist checks the freelist page of m: in range, of the right
// type, its page IDs within the file.
func verifyFreelist(f io.ReaderAt, m fileMeta) error {
	if m.freelist < 2 || m.freelist >= m.pgid {
		return fmt.Errorf("outside the %d pages in use", m.pgid)
	}
	p, err := readPage(f, m, m.freelist)
	if err != nil {
		return err
	}
	if p.flags != pageFreelist {
		return fmt.Errorf("page type %#x is not a freelist's", p.flags)
	}
	_, err = freelistIDs(p, m)
	return err
}

// page is one page (with its overflow pages) read from the file.
type page struct {
	id       uint64
	flags    uint16
	count    int
	overflow uint64
	data     []byte // the whole page, header included
}

// readPage reads page id and its overflow pages with plain file reads,
// checking that they lie below the high-water mark and that the page
// names itself.
func readPage(f io.ReaderAt, m fileMeta, id uint64) (*page, error) {
	if id >= m.pgid {
		return nil, fmt.Errorf("page %d is past the %d pages in use", id, m.pgid)
	}
	ps := int64(m.pageSize)
	buf := make([]byte, ps)
	if _, err := f.ReadAt(buf, int64(id)*ps); err != nil {
		return nil, fmt.Errorf("page %d: %w", id, err)
	}
	le := binary.LittleEndian
	p := &page{id: id, flags: le.Uint16(buf[8:]), count: int(le.Uint16(buf[10:])), overflow: uint64(le.Uint32(buf[12:])), data: buf}
	if got := le.Uint64(buf); got != id {
		return nil, fmt.Errorf("page %d names itself page %d", id, got)
	}
	if p.overflow >= m.pgid-id {
		return nil, fmt.Errorf("page %d has %d overflow pages, past the %d pages in use", id, p.overflow, m.pgid)
	}
	if p.overflow > 0 {
		p.data = make([]byte, int64(p.overflow+1)*ps)
		copy(p.data, buf)
		if _, err := f.ReadAt(p.data[ps:], int64(id+1)*ps); err != nil {
			return nil, fmt.Errorf("page %d: %w", id, err)
		}
	}
	return p, nil
}

// freelistIDs returns the page IDs listed on a freelist page.
func freelistIDs(p *page, m fileMeta) ([]uint64, error) {
	n, off := p.count, pageHeaderSize
	if n == 0xFFFF {
		if len(p.data) < off+8 {
			return nil, errors.New("truncated count")
		}
		n64 := binary.LittleEndian.Uint64(p.data[off:])
		if n64 > uint64(len(p.data)) {
			return nil, fmt.Errorf("%d IDs do not fit in the page", n64)
		}
		n, off = int(n64), off+8
	}
	if off+8*n > len(p.data) {
		return nil, fmt.Errorf("%d IDs do not fit in the page", n)
	}
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = binary.LittleEndian.Uint64(p.data[off+8*i:])
		if ids[i] < 2 || ids[i] >= m.pgid {
			return nil, fmt.Errorf("free page %d is outside the %d pages in use", ids[i], m.pgid)
		}
	}
	return ids, nil
}

// notOurs is the error for a file that is not a bbolt database at all.
func notOurs(size int64, why string) error {
	return errForeign{fmt.Sprintf("%s: %d bytes", why, size)}
}

func errOr(err error, format string, args ...any) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf(format, args...)
}

func joinReasons(rs []string) string {
	s := ""
	for i, r := range rs {
		if i > 0 {
			s += "; "
		}
		s += r
	}
	if s == "" {
		return "none found"
	}
	return s
}
