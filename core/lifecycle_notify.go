package core

import (
	"context"
	"sync"
)

// change is one configuration change waiting to be told to the listeners registered when it happened.
type change struct {
	old, new  ConfigurationInfo
	listeners []func(old, new ConfigurationInfo)
}

// notifier calls listeners in order on a goroutine that exists only while changes are pending, so an
// idle or offline client runs no goroutine at all.
type notifier struct {
	onPanic func(recovered any) // reports a listener's panic

	mu      sync.Mutex
	queue   []change
	running chan struct{} // closed when the current delivery goroutine exits; nil when idle
}

func (n *notifier) enqueue(c change) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.queue = append(n.queue, c)
	if n.running == nil {
		n.running = make(chan struct{})
		go n.deliver(n.running)
	}
}

func (n *notifier) deliver(done chan struct{}) {
	defer close(done)
	for {
		n.mu.Lock()
		if len(n.queue) == 0 {
			n.running = nil
			n.mu.Unlock()
			return
		}
		c := n.queue[0]
		n.queue[0] = change{}
		n.queue = n.queue[1:]
		n.mu.Unlock()
		for _, f := range c.listeners {
			n.call(f, c)
		}
	}
}

func (n *notifier) call(f func(old, new ConfigurationInfo), c change) {
	defer func() {
		if r := recover(); r != nil {
			n.onPanic(r)
		}
	}()
	f(c.old, c.new)
}

// wait returns when no delivery is in progress, or ctx's error.
func (n *notifier) wait(ctx context.Context) error {
	for {
		n.mu.Lock()
		running := n.running
		n.mu.Unlock()
		if running == nil {
			return nil
		}
		select {
		case <-running:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
