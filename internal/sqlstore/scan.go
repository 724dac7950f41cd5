package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// The scan targets below accept what either driver hands over for a column:
// pgx gives time.Time for TIMESTAMPTZ and []byte or string for JSONB;
// modernc's SQLite gives int64 microseconds and string. They normalise to
// the domain's types: times in UTC truncated to microseconds, JSON copied.

// timeDest scans a NOT NULL time.
type timeDest struct{ p *time.Time }

func (d timeDest) Scan(src any) error {
	t, ok, err := toTime(src)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("sqlstore: NULL in a NOT NULL time column")
	}
	*d.p = t
	return nil
}

// nullTimeDest scans an optional time.
type nullTimeDest struct{ p **time.Time }

func (d nullTimeDest) Scan(src any) error {
	t, ok, err := toTime(src)
	if err != nil {
		return err
	}
	if !ok {
		*d.p = nil
		return nil
	}
	*d.p = &t
	return nil
}

func toTime(src any) (time.Time, bool, error) {
	switch v := src.(type) {
	case nil:
		return time.Time{}, false, nil
	case time.Time:
		return v.UTC().Truncate(time.Microsecond), true, nil
	case int64:
		return time.UnixMicro(v).UTC(), true, nil
	case float64:
		return time.UnixMicro(int64(v)).UTC(), true, nil
	case []byte:
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("sqlstore: time column holds %q", v)
		}
		return time.UnixMicro(n).UTC(), true, nil
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("sqlstore: time column holds %q", v)
		}
		return time.UnixMicro(n).UTC(), true, nil
	}
	return time.Time{}, false, fmt.Errorf("sqlstore: cannot read %T as a time", src)
}

// jsonDest scans an optional JSON column into a RawMessage (nil for NULL).
type jsonDest struct{ p *json.RawMessage }

func (d jsonDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.p = nil
	case []byte:
		*d.p = append(json.RawMessage(nil), v...)
	case string:
		*d.p = json.RawMessage(v)
	default:
		return fmt.Errorf("sqlstore: cannot read %T as JSON", src)
	}
	return nil
}

// boolDest scans a boolean stored as BOOLEAN or as 0/1.
type boolDest struct{ p *bool }

func (d boolDest) Scan(src any) error {
	switch v := src.(type) {
	case bool:
		*d.p = v
	case int64:
		*d.p = v != 0
	default:
		return fmt.Errorf("sqlstore: cannot read %T as a boolean", src)
	}
	return nil
}

// stringsDest scans a TEXT[] (PostgreSQL) or a JSON array (SQLite).
type stringsDest struct{ p *[]string }

func (d stringsDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.p = nil
		return nil
	case []string:
		*d.p = v
		return nil
	case []any:
		out := make([]string, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("sqlstore: array element %T is not text", e)
			}
			out[i] = s
		}
		*d.p = out
		return nil
	case string:
		return json.Unmarshal([]byte(v), d.p)
	case []byte:
		return json.Unmarshal(v, d.p)
	}
	return fmt.Errorf("sqlstore: cannot read %T as a text array", src)
}

// TimeDest returns a scan target for a NOT NULL time column.
func TimeDest(p *time.Time) any { return timeDest{p} }

// NullTimeDest returns a scan target for an optional time column.
func NullTimeDest(p **time.Time) any { return nullTimeDest{p} }

// JSONDest returns a scan target for an optional JSON column.
func JSONDest(p *json.RawMessage) any { return jsonDest{p} }

// BoolDest returns a scan target for a boolean column.
func BoolDest(p *bool) any { return boolDest{p} }

// StringsDest returns a scan target for a text array column.
func StringsDest(p *[]string) any { return stringsDest{p} }

// jsonTarget is the scan target of an optional JSON column: on PostgreSQL
// the RawMessage itself as a *[]byte, which pgx fills with a copy of its own
// (nil for NULL) without boxing the value for a sql.Scanner; on SQLite
// JSONDest.
func jsonTarget(d *Dialect, p *json.RawMessage) any {
	if d.Postgres() {
		return (*[]byte)(p)
	}
	return JSONDest(p)
}

// nullTextTarget is the scan target of an optional text column: on
// PostgreSQL p itself (pgx allocates the value for a non-NULL column); on
// SQLite nullTextDest, which database/sql calls without reflection.
func nullTextTarget(d *Dialect, p **string) any {
	if d.Postgres() {
		return p
	}
	return nullTextDest{p}
}

// nullFloatTarget is nullTextTarget for an optional number.
func nullFloatTarget(d *Dialect, p **float64) any {
	if d.Postgres() {
		return p
	}
	return nullFloatDest{p}
}

// nullIntTarget is nullTextTarget for an optional integer.
func nullIntTarget(d *Dialect, p **int) any {
	if d.Postgres() {
		return p
	}
	return nullIntDest{p}
}

// nullFloatDest scans an optional number column.
type nullFloatDest struct{ p **float64 }

func (d nullFloatDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.p = nil
	case float64:
		*d.p = &v
	case int64:
		f := float64(v)
		*d.p = &f
	default:
		var f sql.NullFloat64
		if err := f.Scan(src); err != nil {
			return err
		}
		*d.p = &f.Float64
	}
	return nil
}

// nullIntDest scans an optional integer column.
type nullIntDest struct{ p **int }

func (d nullIntDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.p = nil
	case int64:
		if int64(int(v)) != v {
			return fmt.Errorf("sqlstore: %d overflows int", v)
		}
		n := int(v)
		*d.p = &n
	default:
		var n sql.NullInt64
		if err := n.Scan(src); err != nil {
			return err
		}
		if int64(int(n.Int64)) != n.Int64 {
			return fmt.Errorf("sqlstore: %d overflows int", n.Int64)
		}
		i := int(n.Int64)
		*d.p = &i
	}
	return nil
}
