// Package snowflake issues and decodes 64-bit Snowflake ids that are
// bit-compatible with NoETL's PostgreSQL function noetl.snowflake_id().
//
// # Layout
//
// An id packs three fields into a positive int64:
//
//	 63  62                          23 22     18 17              0
//	+---+------------------------------+---------+----------------+
//	| 0 |  milliseconds since Epoch    |  shard  |    sequence    |
//	+---+------------------------------+---------+----------------+
//	      40 usable bits (41 in SQL)     5 bits       18 bits
//
// that is
//
//	id = (unix_ms - 1704067200000) << 23 | (shard & 31) << 18 | sequence
//
// with Epoch at 2024-01-01T00:00:00Z. This is exactly the expression
// noetl.snowflake_id() evaluates, so ids made by this package and ids made by
// the database sort together by time and can share a BIGINT primary key.
//
// The database function nominally leaves 41 bits for the time, but the top
// one is the sign bit of a BIGINT: an id stays positive only while the time
// field fits in 40 bits. The layout therefore ends at MaxTime,
// 2058-11-03T19:53:47.775Z (Epoch + 2^40 - 1 ms). This package refuses to
// produce ids after that instant, returning ErrTimeOverflow, instead of
// wrapping around or going negative. Every non-negative int64 decodes to a
// valid time, shard and sequence.
//
// # Shards
//
// Within a shard, a generator never repeats a (millisecond, sequence) pair,
// so ids are unique as long as no two live generators share a shard. There
// are 32 shards, 0 through MaxShard.
//
// noetl.snowflake_id() always uses shard 1. Generators in Go processes that
// write to the same tables must therefore use shard 0 or 2 through 31.
//
// noetldb's stores lease a shard from the database by default: a store
// opened without a shard takes the first free one in [LeaseOrder], holds it
// for its life and frees it on Close or when its process dies (an advisory
// lock on a connection of its own on PostgreSQL, a lease row renewed while
// the store lives on a SQLite file). A deployment may instead assign shards
// statically, one per process that creates a Generator, for example:
//
//   - from configuration or an environment variable set per replica;
//   - from the ordinal of a Kubernetes StatefulSet pod (pod "noetl-3" takes a
//     fixed offset plus 3), which stays stable across restarts.
//
// Whatever the scheme, two generators that are alive at the same time must
// never share a shard, and a process should create a single Generator per
// shard and share it between goroutines. A restarted process may reuse its
// shard once the wall clock is past the time of the last id the previous
// process issued (normally at once; see Generator for clocks that step back).
//
// # Ids from NoETL's Python server
//
// NoETL's Python server issues ids from the same epoch in another layout:
// ms<<22 | node<<12 | seq (12-bit sequence, 10-bit node). A Go id of shard s
// and sequence q has the same bits as a Python id of node ((s&15)<<6)|(q>>12)
// issued at twice the elapsed time, so the two can meet in one table. The
// Python server's default node is 0, which only Go shards 0 and 16 reach
// (with sequences below 4096): [LeaseOrder] leaves both out, and a static
// assignment should avoid them too when the Python server writes to the
// same tables.
//
// # Generating ids
//
// A Generator is safe for concurrent use, lock-free and allocation-free. It
// issues strictly increasing ids: it uses the full 18-bit sequence within a
// millisecond (262,144 ids), waits for the next millisecond only once that
// sequence is exhausted, and never goes backwards when the wall clock does.
// Block reserves up to 262,144 consecutive ids, all in one millisecond, in a
// single call.
//
// # Encoding
//
// ID marshals to JSON as a decimal string ("123"), because JSON numbers lose
// precision above 2^53 in JavaScript and in many other decoders; it
// unmarshals from either a string or a number. ID also implements
// encoding.TextMarshaler, encoding.TextUnmarshaler, sql.Scanner and
// driver.Valuer, and stores as a BIGINT.
package snowflake
