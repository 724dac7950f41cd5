package sqlstore

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	sq "github.com/Masterminds/squirrel"
)

// Dialect is what differs between the engines, as the repositories see it.
type Dialect struct {
	// Name is "postgres" or "sqlite".
	Name string
	// Schema qualifies table names on PostgreSQL ("noetl" by default); empty
	// on SQLite.
	Schema string
	// Classify maps a driver error to a noetl sentinel (ErrConflict,
	// ErrReferenced, ErrInvalid) and the constraint or columns it names, or
	// returns a nil kind for other errors.
	Classify func(err error) (kind error, constraint string)

	stmts sync.Map // key -> finished SQL text
}

// Postgres reports whether the dialect is PostgreSQL.
func (d *Dialect) Postgres() bool { return d.Name == "postgres" }

// T returns the table name as queries must spell it.
func (d *Dialect) T(table string) string {
	if d.Schema == "" {
		return table
	}
	return d.Schema + "." + table
}

// Builder returns a squirrel builder with the dialect's placeholders.
func (d *Dialect) Builder() sq.StatementBuilderType {
	if d.Postgres() {
		return sq.StatementBuilder.PlaceholderFormat(sq.Dollar)
	}
	return sq.StatementBuilder.PlaceholderFormat(sq.Question)
}

// SQL returns the statement stored under key, building it on first use.
// build writes "?" placeholders and "{table}" for each table name; SQL
// rewrites both for the dialect, once.
func (d *Dialect) SQL(key string, build func() string) string {
	if v, ok := d.stmts.Load(key); ok {
		return v.(string)
	}
	s := d.Rebind(d.tables(build()))
	d.stmts.Store(key, s)
	return s
}

// tables replaces every {name} with the qualified table name.
func (d *Dialect) tables(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(d.T(s[i+1 : i+j]))
		s = s[i+j+1:]
	}
}

// Rebind turns "?" placeholders into "$1, $2..." on PostgreSQL. A "?" inside
// a quoted string is left alone.
func (d *Dialect) Rebind(s string) string {
	if !d.Postgres() || !strings.Contains(s, "?") {
		return s
	}
	var b strings.Builder
	n, quoted := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// Time is how a time travels as a parameter: a UTC time.Time on PostgreSQL,
// integer microseconds since the Unix epoch on SQLite.
func (d *Dialect) Time(t time.Time) any {
	if d.Postgres() {
		return t.UTC().Truncate(time.Microsecond)
	}
	return t.UnixMicro()
}

// NullTime is Time for an optional time; nil stays NULL.
func (d *Dialect) NullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return d.Time(*t)
}

// JSON is how a JSON value travels: text, or NULL when empty.
func (d *Dialect) JSON(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return string(raw)
}

// Bool is how a boolean travels: bool on PostgreSQL, 0/1 on SQLite.
func (d *Dialect) Bool(b bool) any {
	if d.Postgres() {
		return b
	}
	if b {
		return 1
	}
	return 0
}

// Strings is how a TEXT[] travels: a []string on PostgreSQL, a JSON array on
// SQLite; nil stays NULL.
func (d *Dialect) Strings(v []string) any {
	if v == nil {
		return nil
	}
	if d.Postgres() {
		return v
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// In returns "(?, ?, ...)" with n placeholders, to be passed through Rebind.
func In(n int) string {
	if n <= 0 {
		return "(NULL)"
	}
	return "(" + strings.Repeat("?, ", n-1) + "?)"
}

// byteOrder makes name comparisons and ORDER BY follow byte order on
// PostgreSQL whatever the database's locale, as SQLite's BINARY collation
// does, so both engines sort names the same.
func byteOrder(d *Dialect) string {
	if d.Postgres() {
		return ` COLLATE "C"`
	}
	return ""
}
