package openfeature

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eppokit/eppokit/core"
	of "github.com/open-feature/go-sdk/openfeature"
)

// ErrShutdown is returned by InitWithContext once the provider was shut down.
var ErrShutdown = errors.New("openfeature: provider is shut down")

// errNilClient reports a provider built with a nil client: it cannot evaluate anything.
var errNilClient = errors.New("openfeature: NewProvider was given a nil *core.Client")

// Init waits for the client's first configuration; see InitWithContext.
func (p *Provider) Init(evalCtx of.EvaluationContext) error {
	return p.InitWithContext(context.Background(), evalCtx)
}

// InitWithContext waits until the client has its first configuration. It returns early with an error
// when ctx ends, when the provider is shut down (ErrShutdown) or when the client cannot get one (a
// rejected API key is reported as a fatal ProviderInitError).
func (p *Provider) InitWithContext(ctx context.Context, _ of.EvaluationContext) error {
	if p.client == nil {
		return &of.ProviderInitError{ErrorCode: of.ProviderFatalCode, Message: errNilClient.Error()}
	}
	p.mu.Lock()
	if p.state == stateShutdown {
		p.mu.Unlock()
		return ErrShutdown
	}
	if !p.listening {
		p.listening = true
		p.client.OnConfigurationChange(p.configurationChanged)
	}
	done := p.done
	p.mu.Unlock()

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-done:
			cancel(ErrShutdown)
		case <-ctx.Done():
		}
	}()
	if err := p.waitFirst(ctx); err != nil {
		if errors.Is(context.Cause(ctx), ErrShutdown) {
			return ErrShutdown
		}
		if errors.Is(err, core.ErrUnauthorized) {
			return &of.ProviderInitError{ErrorCode: of.ProviderFatalCode, Message: err.Error()}
		}
		return fmt.Errorf("openfeature: %w", err)
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == stateShutdown {
		return ErrShutdown
	}
	p.state = stateReady
	if p.last == nil {
		p.last = p.client.Configuration()
	}
	if p.watching == nil && p.client.Stats().Polling {
		p.watching = make(chan struct{})
		go p.watch(p.done, p.watching)
	}
	return nil
}

// waitFirst waits for the client's first configuration. An offline client with no configuration yet
// (core.ErrNoConfigurationSource) gets one only through SetConfiguration, which the listener sees.
func (p *Provider) waitFirst(ctx context.Context) error {
	err := p.client.WaitForInitialization(ctx)
	if !errors.Is(err, core.ErrNoConfigurationSource) {
		return err
	}
	select {
	case <-p.first:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Shutdown is ShutdownWithContext bounded by WithShutdownTimeout.
func (p *Provider) Shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.shutdownTimeout)
	defer cancel()
	_ = p.ShutdownWithContext(ctx) // the pipelines count what a deadline drops
}

// ShutdownWithContext stops the provider's health watcher and, with WithOwnedClient, closes the client
// and then the pipelines, flushing them within ctx. It is idempotent: later calls return nil.
func (p *Provider) ShutdownWithContext(ctx context.Context) error {
	p.mu.Lock()
	if p.state == stateShutdown {
		p.mu.Unlock()
		return nil
	}
	p.state = stateShutdown
	close(p.done)
	watching := p.watching
	p.mu.Unlock()

	var errs []error
	if watching != nil {
		select {
		case <-watching:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("openfeature: shutdown: waiting for the health watcher: %w", ctx.Err()))
		}
	}
	if p.opts.owned {
		if p.client != nil {
			if err := p.client.Close(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		for _, c := range p.opts.pipelines {
			if err := c.Close(ctx); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// EventChannel is where the provider sends its events to the SDK.
func (p *Provider) EventChannel() <-chan of.Event { return p.events }

// DroppedEvents counts events not sent because the channel buffer was full.
func (p *Provider) DroppedEvents() uint64 { return p.droppedEvents.Load() }

// emitLocked sends e without ever blocking; the caller holds p.mu, which keeps events in order.
func (p *Provider) emitLocked(t of.EventType, details of.ProviderEventDetails) {
	select {
	case p.events <- of.Event{ProviderName: p.opts.name, EventType: t, ProviderEventDetails: details}:
	default:
		p.droppedEvents.Add(1)
	}
}

// configurationChanged runs on the client's listener goroutine after every configuration swap.
func (p *Provider) configurationChanged(_, _ core.ConfigurationInfo) {
	cur := p.client.Configuration()
	p.mu.Lock()
	defer p.mu.Unlock()
	prev := p.last
	if cur == prev || p.state == stateShutdown {
		return // an earlier call already reported this configuration
	}
	p.last = cur
	if prev == nil {
		close(p.first)
	}
	if prev == nil || p.state == stateNotReady {
		return // the first configuration: the SDK reports PROVIDER_READY when Init returns
	}
	md := map[string]any{}
	if v := p.versionOf(cur); v != "" {
		md[metaVersion] = v
	}
	if env := cur.Environment(); env != "" {
		md[metaFlagSetID] = env
	}
	p.emitLocked(of.ProviderConfigChange, of.ProviderEventDetails{
		Message:       "eppokit configuration changed",
		FlagChanges:   cur.ChangedFlags(prev),
		EventMetadata: md,
	})
}

// watch reads the client's polling statistics every health interval until done is closed or polling
// has ended, and reports stale, failed and recovered polling.
func (p *Provider) watch(done <-chan struct{}, exited chan<- struct{}) {
	defer close(exited)
	t := time.NewTicker(p.opts.healthInterval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if !p.checkHealth() {
				return
			}
		}
	}
}

// checkHealth moves the provider between ready, stale and error from the client's polling statistics
// and emits the matching event on a change. It returns false once polling has ended for good.
func (p *Provider) checkHealth() bool {
	s := p.client.Stats()
	want, details := stateReady, of.ProviderEventDetails{Message: "eppokit configuration fetches succeed again"}
	switch {
	case s.StoppedBy != nil:
		want = stateError
		details = of.ProviderEventDetails{Message: "eppokit configuration polling stopped: " + s.StoppedBy.Error(),
			ErrorCode: of.GeneralCode}
	case s.ConsecutiveFailures >= p.opts.staleAfter:
		want = stateStale
		details = of.ProviderEventDetails{Message: fmt.Sprintf(
			"eppokit configuration is stale: %d fetches failed in a row", s.ConsecutiveFailures)}
		if s.LastError != nil {
			details.Message += ", last: " + s.LastError.Error()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == stateShutdown {
		return false
	}
	if want != p.state {
		p.state = want
		p.emitLocked(eventFor(want), details)
	}
	return s.Polling
}

func eventFor(s state) of.EventType {
	switch s {
	case stateStale:
		return of.ProviderStale
	case stateError:
		return of.ProviderError
	}
	return of.ProviderReady
}
