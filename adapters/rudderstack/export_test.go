package rudderstack

// Late and Requests expose the shared exporter's counters to this package's tests.
func (s *Sink) Late() (delivered, failed uint64)  { return s.s.Late() }
func (s *Sink) Requests() (sent, replayed uint64) { return s.s.Requests() }
