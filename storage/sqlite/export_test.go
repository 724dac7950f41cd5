package sqlite

import "time"

// NewDialect exposes the dialect to the external tests (benchmarks build a
// recording store over it).
var NewDialect = newDialect

// SetLeaseRenew makes stores opened from now on renew their shard lease
// every d, until the returned function restores the interval. Tests of
// this package run one at a time, so nothing reads it meanwhile.
func SetLeaseRenew(d time.Duration) (restore func()) {
	old := leaseRenew
	leaseRenew = d
	return func() { leaseRenew = old }
}
