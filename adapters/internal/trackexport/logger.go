package trackexport

import (
	"context"
	"fmt"
	"log/slog"
)

// LibraryLogger forwards the library's log lines to slog at debug level: the pipeline already logs every
// failure, rate-limited and with counts, so the library's per-attempt lines are only useful when
// debugging. Its method set matches both libraries' Logger interfaces.
type LibraryLogger struct {
	L       *slog.Logger
	Adapter string
}

// Logf logs an informational line from the library.
func (l LibraryLogger) Logf(format string, args ...any) { l.log(format, args) }

// Errorf logs an error line from the library.
func (l LibraryLogger) Errorf(format string, args ...any) { l.log(format, args) }

func (l LibraryLogger) log(format string, args []any) {
	if l.L == nil || !l.L.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	l.L.Debug(fmt.Sprintf(format, args...), "adapter", l.Adapter)
}
