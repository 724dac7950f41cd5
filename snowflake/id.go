package snowflake

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Layout constants. They match noetl.snowflake_id().
const (
	// EpochMillis is Epoch in milliseconds since the Unix epoch.
	EpochMillis = 1704067200000

	// MaxShard is the largest shard number; shards run from 0 to MaxShard.
	// The database function noetl.snowflake_id() uses shard 1.
	MaxShard = 1<<shardBits - 1

	// MaxSequence is the largest sequence number within one millisecond of
	// one shard. A shard issues at most MaxSequence+1 ids per millisecond.
	MaxSequence = 1<<sequenceBits - 1

	// MaxMillis is the largest number of milliseconds after Epoch that an
	// id can hold while remaining a positive int64 (2^40 - 1).
	MaxMillis = 1<<(63-timeShift) - 1
)

const (
	sequenceBits = 18
	shardBits    = 5
	shardShift   = sequenceBits
	timeShift    = sequenceBits + shardBits
)

var (
	// Epoch is the zero time of the layout, 2024-01-01T00:00:00Z.
	Epoch = time.UnixMilli(EpochMillis).UTC()

	// MaxTime is the last instant an id can represent,
	// 2058-11-03T19:53:47.775Z. Later times would set the sign bit.
	MaxTime = time.UnixMilli(EpochMillis + MaxMillis).UTC()

	// layoutEnd is the first instant after the last representable millisecond.
	layoutEnd = MaxTime.Add(time.Millisecond)
)

// Sentinel errors. Errors returned by this package wrap one of them; test
// with errors.Is.
var (
	// ErrInvalidID reports text, JSON or a database value that is not a
	// valid id, or an id or sequence number out of range.
	ErrInvalidID = errors.New("snowflake: invalid id")

	// ErrShard reports a shard outside 0..MaxShard.
	ErrShard = errors.New("snowflake: shard out of range")

	// ErrTimeOverflow reports a time outside the layout, before Epoch or
	// after MaxTime. A Generator returns it instead of wrapping around.
	ErrTimeOverflow = errors.New("snowflake: time outside the id layout")

	// ErrBlockSize reports a Block size outside 1..MaxSequence+1.
	ErrBlockSize = errors.New("snowflake: block size out of range")

	// ErrSuspended reports a Generator that issues no ids until resumed
	// (Generator.Suspend): its shard may be held by another generator.
	ErrSuspended = errors.New("snowflake: generator suspended")
)

// ID is a Snowflake id: milliseconds since Epoch, shard and sequence packed
// into a positive int64 (see the package documentation for the layout).
// The zero ID means "no id".
//
// The accessors assume a valid id, that is a non-negative one; ParseID,
// UnmarshalJSON, UnmarshalText, Scan, Compose and Generator never produce
// anything else.
type ID int64

// Compose builds the id for time t (truncated to the millisecond), shard
// and sequence number seq. It is meant for tests, decoding and range
// queries (Compose(t, 0, 0) is the smallest id of t's millisecond);
// use a Generator to issue ids. It fails with ErrTimeOverflow if t is
// before Epoch or after MaxTime, ErrShard if shard is outside 0..MaxShard,
// and ErrInvalidID if seq is outside 0..MaxSequence.
func Compose(t time.Time, shard, seq int) (ID, error) {
	if t.Before(Epoch) || !t.Before(layoutEnd) {
		return 0, fmt.Errorf("%w: %s", ErrTimeOverflow, t.UTC().Format(time.RFC3339Nano))
	}
	if shard < 0 || shard > MaxShard {
		return 0, fmt.Errorf("%w: %d", ErrShard, shard)
	}
	if seq < 0 || seq > MaxSequence {
		return 0, fmt.Errorf("%w: sequence %d out of range", ErrInvalidID, seq)
	}
	ms := t.UnixMilli() - EpochMillis
	return ID(ms<<timeShift | int64(shard)<<shardShift | int64(seq)), nil
}

// ParseID parses the decimal form of an id, as produced by ID.String. It
// accepts only ASCII digits (no sign, spaces or prefixes) and values up to
// the largest int64. Errors wrap ErrInvalidID.
func ParseID(s string) (ID, error) {
	n, err := strconv.ParseUint(s, 10, 63)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrInvalidID, err)
	}
	return ID(n), nil
}

// Time returns the millisecond the id was issued in, in UTC.
func (id ID) Time() time.Time {
	return time.UnixMilli(EpochMillis + int64(id)>>timeShift).UTC()
}

// Shard returns the shard that issued the id, 0..MaxShard.
func (id ID) Shard() int {
	return int(id>>shardShift) & MaxShard
}

// Sequence returns the id's sequence number within its millisecond and
// shard, 0..MaxSequence.
func (id ID) Sequence() int {
	return int(id) & MaxSequence
}

// String returns the id in decimal.
func (id ID) String() string {
	return strconv.FormatInt(int64(id), 10)
}

// Int64 returns the id as an int64, the value stored in a BIGINT column.
func (id ID) Int64() int64 {
	return int64(id)
}

// IsZero reports whether id is the zero ID.
func (id ID) IsZero() bool {
	return id == 0
}

// MarshalJSON encodes the id as a JSON string holding its decimal form,
// such as "123", so that decoders that read JSON numbers as float64 keep
// every digit. A negative id is rejected with ErrInvalidID.
func (id ID) MarshalJSON() ([]byte, error) {
	if id < 0 {
		return nil, invalid(id)
	}
	b := make([]byte, 0, 21) // 19 digits and two quotes
	b = append(b, '"')
	b = strconv.AppendInt(b, int64(id), 10)
	return append(b, '"'), nil
}

// UnmarshalJSON decodes an id from a JSON string holding a decimal id
// ("123") or from a JSON integer (123). JSON null leaves the id unchanged,
// following the encoding/json convention, so a fresh ID stays zero.
// Floats, exponents, negative numbers and other values are rejected with an
// error wrapping ErrInvalidID.
func (id *ID) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	text := data
	if n := len(data); n >= 2 && data[0] == '"' && data[n-1] == '"' {
		text = data[1 : n-1]
	} else if n > 1 && data[0] == '0' {
		// JSON forbids leading zeros in numbers.
		return fmt.Errorf("%w: JSON number %q has a leading zero", ErrInvalidID, data)
	}
	v, err := ParseID(string(text))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// MarshalText encodes the id in decimal. A negative id is rejected with
// ErrInvalidID.
func (id ID) MarshalText() ([]byte, error) {
	if id < 0 {
		return nil, invalid(id)
	}
	return strconv.AppendInt(nil, int64(id), 10), nil
}

// UnmarshalText decodes a decimal id, as ParseID does.
func (id *ID) UnmarshalText(text []byte) error {
	v, err := ParseID(string(text))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// Scan implements sql.Scanner. It accepts an int64 (a BIGINT column), a
// decimal id as string or []byte, and NULL, which sets the zero ID. Other
// types and negative values are rejected with an error wrapping
// ErrInvalidID, leaving the id unchanged.
func (id *ID) Scan(src any) error {
	var (
		v   ID
		err error
	)
	switch src := src.(type) {
	case nil:
	case int64:
		if src < 0 {
			return invalid(ID(src))
		}
		v = ID(src)
	case []byte:
		v, err = ParseID(string(src))
	case string:
		v, err = ParseID(src)
	default:
		return fmt.Errorf("%w: cannot scan %T", ErrInvalidID, src)
	}
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// Value implements driver.Valuer, storing the id as an int64. The zero ID
// is stored as 0, not NULL; use a pointer or sql.Null[ID] for a nullable
// column. A negative id is rejected with ErrInvalidID.
func (id ID) Value() (driver.Value, error) {
	if id < 0 {
		return nil, invalid(id)
	}
	return int64(id), nil
}

func invalid(id ID) error {
	return fmt.Errorf("%w: %d is negative", ErrInvalidID, int64(id))
}
