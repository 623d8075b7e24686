package csv

import (
	"bytes"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"syscall"
)

// ErrHeaderMismatch is returned by [NewSink] when an existing file's header differs from the columns this
// sink writes (another naming, another version, or not an eppokit file).
var ErrHeaderMismatch = errors.New("csv: existing file has a different header")

// file is what a table writes to: an *os.File opened for appending, or a test's failing wrapper of one.
type file interface {
	io.Writer
	Truncate(size int64) error
	Sync() error
	Close() error
}

type osFile = os.File

// table is one CSV file and the buffer a batch is encoded into before it is appended in one write.
type table struct {
	path   string
	f      file
	size   int64 // bytes known to be in the file: where a failed write is cut back to
	buf    bytes.Buffer
	w      *stdcsv.Writer
	header []string
	// newline is set when the file may end inside a row (an old crash, a failed rollback): the next
	// append starts with a line break so our rows stay whole.
	newline bool
}

// openTable opens path for appending, creating it with a header row or checking the header it has.
func openTable(path string, header []string, wrap func(*osFile) file) (*table, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("csv: cannot open %s for writing: %w", path, err)
	}
	t := &table{path: path, header: header}
	t.w = stdcsv.NewWriter(&t.buf)
	if err := t.prepare(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	t.f = f
	if wrap != nil {
		t.f = wrap(f)
	}
	if t.size == 0 {
		// A new or empty file: the header is the first row, written now so that a full disk or a
		// read-only path fails NewSink rather than the first batch.
		if err := t.w.Write(header); err != nil {
			_ = t.f.Close()
			return nil, fmt.Errorf("csv: encoding header: %w", err)
		}
		if err := t.append(); err != nil {
			_ = t.f.Close()
			return nil, fmt.Errorf("csv: writing header to %s: %w", path, err)
		}
	}
	return t, nil
}

// prepare reads an existing file's header and last byte.
func (t *table) prepare(f *os.File) error {
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("csv: stat %s: %w", t.path, err)
	}
	if !info.Mode().IsRegular() {
		// A device such as /dev/full, or a pipe: nothing to read back, treat as empty.
		return nil
	}
	t.size = info.Size()
	if t.size == 0 {
		return nil
	}
	r := stdcsv.NewReader(io.NewSectionReader(f, 0, t.size))
	r.FieldsPerRecord = -1
	got, err := r.Read()
	if err != nil {
		return fmt.Errorf("%w: %s: reading its header: %v", ErrHeaderMismatch, t.path, err)
	}
	if len(got) > 0 {
		got[0] = strings.TrimPrefix(got[0], "\ufeff") // a byte-order mark left by a spreadsheet program
	}
	if !slices.Equal(got, t.header) {
		return fmt.Errorf("%w: %s has columns %q, this sink writes %q", ErrHeaderMismatch, t.path, got, t.header)
	}
	var last [1]byte
	if _, err := f.ReadAt(last[:], t.size-1); err != nil {
		return fmt.Errorf("csv: reading the end of %s: %w", t.path, err)
	}
	t.newline = last[0] != '\n'
	return nil
}

// append writes what is buffered in one write. On failure it cuts the file back to its previous size so
// that no partial row stays behind, and drops the buffer: the caller reports the rows as failed.
func (t *table) append() error {
	t.w.Flush()
	if err := t.w.Error(); err != nil {
		t.buf.Reset()
		return err
	}
	if t.buf.Len() == 0 {
		return nil
	}
	data := t.buf.Bytes()
	if t.newline {
		data = slices.Insert(data, 0, '\n')
	}
	n, err := t.f.Write(data)
	t.buf.Reset()
	if err == nil {
		t.size += int64(n)
		t.newline = false
		return nil
	}
	if n > 0 {
		if terr := t.f.Truncate(t.size); terr != nil {
			t.size += int64(n)
			t.newline = true
			return errors.Join(err, fmt.Errorf("cutting back a partial row of %s: %w", t.path, terr))
		}
	}
	return err
}

func (t *table) sync() error {
	// Devices such as /dev/null cannot be fsynced (EINVAL); there is nothing to make durable.
	if err := t.f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return fmt.Errorf("csv: fsync %s: %w", t.path, err)
	}
	return nil
}

func (t *table) close() error {
	return errors.Join(t.sync(), t.f.Close())
}
