package core

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
)

// cdnState is what the poller remembers between rounds. Only the poller goroutine touches it.
type cdnState struct {
	last        *Configuration // the configuration last installed from the CDN (nil before)
	flagsSum    [sha256.Size]byte
	flagsETag   string
	models      *banditModels // the bandit models last installed (nil when none)
	banditsETag string
	// banditsLag: the models loaded do not have the versions the flags reference (the CDN's bandit
	// endpoint lags its flags endpoint); fetch them again next round even if the flags are unchanged.
	banditsLag bool
}

// errNotModifiedUnknown reports a 304 for a resource this client does not hold (its state was reset).
var errNotModifiedUnknown = errors.New("eppokit: CDN answered 304 for bandit models this client does not hold")

// refresh fetches the flags and, when needed, the bandit models, and returns the configuration to
// install (with its description), or nil when nothing changed. Nothing is installed unless every request of the round succeeded and parsed: the
// last good configuration keeps serving. After a failure the remembered ETags are dropped so the next
// round downloads everything again instead of being told "not modified".
func (l *lifecycle) refresh(ctx context.Context) (*Configuration, ConfigurationInfo, error) {
	s := &l.cdn
	var none ConfigurationInfo
	resp, err := l.fetcher.FetchFlags(ctx)
	if err != nil {
		return nil, none, err
	}
	cfg, flagsETag, flagsSum := s.last, s.flagsETag, s.flagsSum
	flagsChanged := false
	if !resp.NotModified {
		if sum := sha256.Sum256(resp.Body); s.last == nil || sum != s.flagsSum {
			cfg, err = NewConfiguration(resp.Body, nil)
			if err != nil {
				l.fetcher.ResetETags()
				return nil, none, chain("flags configuration from the CDN rejected; the previous one keeps serving", err)
			}
			flagsChanged, flagsSum = true, sum
		}
		flagsETag = resp.ETag
	}
	if !flagsChanged && !s.banditsLag {
		s.flagsETag = flagsETag
		return nil, none, nil
	}

	models, banditsETag, err := l.banditsFor(ctx, cfg)
	if err != nil {
		l.fetcher.ResetETags()
		return nil, none, err
	}
	if !flagsChanged && models == s.models {
		return nil, none, nil // still lagging; nothing new to serve
	}
	cfg = cfg.withBandits(models)

	*s = cdnState{last: cfg, flagsSum: flagsSum, flagsETag: flagsETag, models: models, banditsETag: banditsETag,
		banditsLag: models != nil && lagging(models, cfg.ReferencedBanditVersions())}
	info := infoFor(cfg, SourceCDN, l.client.now())
	info.ETag, info.BanditsETag = flagsETag, banditsETag
	return cfg, info, nil
}

// banditsFor returns the bandit models to serve with flags cfg: none when the flags reference no
// bandit; the loaded ones when they already have every referenced version; otherwise the CDN's
// (a conditional request, so unchanged models cost a 304).
func (l *lifecycle) banditsFor(ctx context.Context, cfg *Configuration) (*banditModels, string, error) {
	s := &l.cdn
	refs := cfg.ReferencedBanditVersions()
	if len(refs) == 0 {
		return nil, "", nil
	}
	if !needFetch(s.models, refs) {
		return s.models, s.banditsETag, nil
	}
	resp, err := l.fetcher.FetchBandits(ctx)
	if err != nil {
		return nil, "", err
	}
	if resp.NotModified {
		if s.models == nil {
			return nil, "", errNotModifiedUnknown
		}
		return s.models, s.banditsETag, nil
	}
	models, err := parseBanditModels(resp.Body)
	if err != nil {
		return nil, "", chain("bandit models from the CDN rejected; the previous configuration keeps serving", err,
			ErrInvalidConfiguration)
	}
	if lagging(models, refs) {
		l.logger.LogAttrs(ctx, slog.LevelWarn,
			"eppokit: the bandit models lack versions the flags reference; serving them and fetching again next round")
	}
	return models, resp.ETag, nil
}

// needFetch reports whether models may not be the ones refs (bandit key → referenced model version,
// "" when unknown) asks for. An unknown version is fetched (conditionally) whenever the flags change.
func needFetch(models *banditModels, refs map[string]string) bool {
	if models == nil {
		return true
	}
	for key, want := range refs {
		m, ok := models.Bandits[key]
		if !ok || want == "" || m.Version != want {
			return true
		}
	}
	return false
}

// lagging reports whether models definitely miss what refs asks for: a bandit absent, or present with
// another known version.
func lagging(models *banditModels, refs map[string]string) bool {
	for key, want := range refs {
		m, ok := models.Bandits[key]
		if !ok || (want != "" && m.Version != want) {
			return true
		}
	}
	return false
}
