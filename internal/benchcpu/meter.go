// Package benchcpu measures the CPU time a benchmark's process spends per
// operation, beside the wall time testing.B reports. On PostgreSQL the
// server runs in processes of its own, so a store's CPU per call is the
// client's share (the Go layer and the driver), which wall time mixes with
// the server's work and with waiting for the network.
package benchcpu

import (
	"testing"
	"time"
)

// Meter accumulates the process's CPU time (user and system, from
// getrusage) over a benchmark's timed regions.
type Meter struct {
	b            *testing.B
	total, since time.Duration
}

// Start returns a Meter running from now. Create it right before the timed
// loop, and call Report after it.
func Start(b *testing.B) *Meter {
	return &Meter{b: b, since: processCPU()}
}

// Stop stops the benchmark's timer and the meter, for untimed setup inside
// the loop.
func (m *Meter) Stop() {
	m.b.StopTimer()
	m.total += processCPU() - m.since
}

// Resume restarts the meter and the benchmark's timer.
func (m *Meter) Resume() {
	m.since = processCPU()
	m.b.StartTimer()
}

// Report adds the metric cpu-ns/op: the process's CPU time over the timed
// regions, divided by b.N. It reports nothing where the platform does not
// give a process's CPU time.
func (m *Meter) Report() {
	now := processCPU()
	if now < 0 || m.b.N == 0 {
		return
	}
	m.b.ReportMetric(float64(m.total+now-m.since)/float64(m.b.N), "cpu-ns/op")
}
