package core

import "context"

// lifecycle owns background configuration fetching. (Offline placeholder; CDN polling lands separately.)
type lifecycle struct {
	client *Client
}

func newLifecycle(c *Client, _ Config) (*lifecycle, error) {
	return &lifecycle{client: c}, nil
}

func (c *Client) swapConfiguration(cfg *Configuration) {
	c.config.Store(cfg)
}

func (l *lifecycle) close(context.Context) error { return nil }
