package core

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/eppokit/eppokit/core/internal/cdn"
)

// redact removes the API key from text this package logs or returns.
func (l *lifecycle) redact(s string) string {
	s = cdn.Redact(s)
	if l.apiKey != "" {
		s = strings.ReplaceAll(s, l.apiKey, cdn.Mask)
	}
	return s
}

// listenerPanicked logs a recovered listener panic, without the API key.
func (l *lifecycle) listenerPanicked(r any) {
	l.logger.LogAttrs(context.Background(), slog.LevelError,
		"eppokit: configuration listener panicked; other listeners still run",
		slog.String("panic", l.redact(fmt.Sprint(r))))
}

// LogValue lets a Config be logged with slog without its API key.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("apiKey", maskKey(c.APIKey)),
		slog.String("baseURL", c.BaseURL),
		slog.Duration("pollInterval", c.PollInterval),
		slog.Duration("pollJitter", c.PollJitter),
		slog.Bool("disablePolling", c.DisablePolling),
		slog.Bool("initialConfiguration", c.InitialConfiguration != nil),
	)
}

// Format prints a Config with any fmt verb without its API key.
func (c Config) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "core.Config{APIKey:%s BaseURL:%q PollInterval:%v PollJitter:%v DisablePolling:%t InitialConfiguration:%t}",
		maskKey(c.APIKey), c.BaseURL, c.PollInterval, c.PollJitter, c.DisablePolling, c.InitialConfiguration != nil)
}

func maskKey(key string) string {
	if key == "" {
		return ""
	}
	return cdn.Mask
}
