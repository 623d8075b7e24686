package csv

import (
	"io/fs"
	"os"
	"sync"
	"syscall"
)

// QuotaFile (tests only) is a real file that runs out of space after a byte budget, as a full disk does: the write that
// crosses the budget lands partially and reports ENOSPC.
type QuotaFile struct {
	*os.File
	mu     sync.Mutex
	budget int
}

func (q *QuotaFile) Write(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(p) <= q.budget {
		q.budget -= len(p)
		return q.File.Write(p)
	}
	n, err := q.File.Write(p[:q.budget])
	q.budget = 0
	if err == nil {
		err = &fs.PathError{Op: "write", Path: q.Name(), Err: syscall.ENOSPC}
	}
	return n, err
}

// SetBudget gives the file n more bytes of space.
func (q *QuotaFile) SetBudget(n int) {
	q.mu.Lock()
	q.budget = n
	q.mu.Unlock()
}

// WithQuota (tests only) returns cfg set to wrap every file the sink opens in a [QuotaFile] with budget
// bytes, recorded in files by path.
func WithQuota(cfg Config, files map[string]*QuotaFile, budget int) Config {
	cfg.wrap = func(f *os.File) file {
		q := &QuotaFile{File: f, budget: budget}
		files[f.Name()] = q
		return q
	}
	return cfg
}
