package postgres

// NewDialect exposes the dialect to the external tests (benchmarks build a
// recording store over it).
var NewDialect = newDialect
