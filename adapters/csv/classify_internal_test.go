package csv

import (
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/eppokit/eppokit/batching"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err       error
		permanent bool
	}{
		{syscall.ENOSPC, false},
		{syscall.EDQUOT, false},
		{syscall.EIO, false},
		{syscall.EACCES, true},
		{syscall.EROFS, true},
		{os.ErrClosed, true},
	} {
		if got := batching.IsPermanent(classify(&fs.PathError{Op: "write", Path: "x", Err: tc.err})); got != tc.permanent {
			t.Errorf("classify(%v): permanent = %v, want %v", tc.err, got, tc.permanent)
		}
	}
}
