// Package schema holds the noetldb database schema as plain, numbered SQL
// files for each dialect (embedded in the binary) and the migrator that
// applies them.
//
// The files under postgres/ and sqlite/ are ordinary SQL a DBA can read and
// that goose or golang-migrate users can run themselves: each file is one
// migration, applied in one transaction, in the order of its number.
//
// On PostgreSQL every object lives in one schema, "noetl" by default, the
// same name, tables and snowflake_id() function as the NoETL server's own
// schema. A service may place it under another name: [Migrations] and [SQL]
// rewrite the schema name in the files when asked to.
//
// The [Migrator] records applied versions in a schema_migrations table
// (inside the noetl schema on PostgreSQL), applies each pending file in its
// own transaction, is idempotent, serialises concurrent migrators (an advisory
// lock on PostgreSQL, an immediate transaction on SQLite) and refuses a
// database whose recorded version is newer than the files it knows
// ([ErrTooNew]). On PostgreSQL the lock is a transaction advisory lock taken
// in each migration's transaction, so migrators also serialise through a
// transaction pooler such as PgBouncer.
//
// CITUS.md beside this file is a design note on running the schema on
// Citus (distributed PostgreSQL): the distribution column of each table,
// the keys that would change, and what noetldb would need there.
package schema

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Dialect names a SQL dialect the schema is written for.
type Dialect string

// The dialects noetldb ships a schema for.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// DefaultSchemaName is the PostgreSQL schema that holds the NoETL tables,
// the one the NoETL server itself uses.
const DefaultSchemaName = "noetl"

// ErrTooNew is returned when a database records a schema version newer than
// the newest migration this build knows: an older binary must not write to a
// database a newer one has changed.
var ErrTooNew = errors.New("schema: database schema is newer than this build knows")

// ErrInvalidName is returned for a PostgreSQL schema name that is not a
// plain lower-case identifier.
var ErrInvalidName = errors.New("schema: invalid schema name")

// Migration is one numbered SQL file.
type Migration struct {
	// Version is the file's number, starting at 1.
	Version int
	// Name is the file name, such as "0001_init.sql".
	Name string
	// SQL is the file's text, with the schema name already applied.
	SQL string
}

var (
	schemaNameRE = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)
	noetlWordRE  = regexp.MustCompile(`\bnoetl\b`)
)

// ValidateSchemaName reports whether name can hold the NoETL tables on
// PostgreSQL: a lower-case identifier of at most 63 characters that needs no
// quoting.
func ValidateSchemaName(name string) error {
	if !schemaNameRE.MatchString(name) {
		return fmt.Errorf("%w %q: want a lower-case identifier ([a-z_][a-z0-9_]*, at most 63 characters)", ErrInvalidName, name)
	}
	return nil
}

func (d Dialect) valid() error {
	switch d {
	case Postgres, SQLite:
		return nil
	}
	return fmt.Errorf("schema: unknown dialect %q (want %q or %q)", string(d), Postgres, SQLite)
}

// Migrations returns the dialect's migrations in order. schemaName applies to
// PostgreSQL only ("" means [DefaultSchemaName]) and is ignored for SQLite.
func Migrations(d Dialect, schemaName string) ([]Migration, error) {
	if err := d.valid(); err != nil {
		return nil, err
	}
	if d == Postgres {
		if schemaName == "" {
			schemaName = DefaultSchemaName
		}
		if err := ValidateSchemaName(schemaName); err != nil {
			return nil, err
		}
	}
	entries, err := fs.ReadDir(files, string(d))
	if err != nil {
		return nil, fmt.Errorf("schema: read embedded %s files: %w", d, err)
	}
	out := make([]Migration, 0, len(entries))
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("schema: embedded file %s is not named NNNN_name.sql", name)
		}
		b, err := files.ReadFile(path.Join(string(d), name))
		if err != nil {
			return nil, fmt.Errorf("schema: read %s: %w", name, err)
		}
		text := string(b)
		if d == Postgres && schemaName != DefaultSchemaName {
			text = noetlWordRE.ReplaceAllString(text, schemaName)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: text})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("schema: %s migrations are not numbered 1..n without gaps (found %s at position %d)", d, m.Name, i+1)
		}
	}
	return out, nil
}

// Latest returns the newest migration version for the dialect.
func Latest(d Dialect) int {
	ms, err := Migrations(d, "")
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
}

// SQL returns every migration of the dialect as one script, in order, for a
// DBA or another migration tool. schemaName applies to PostgreSQL only.
func SQL(d Dialect, schemaName string) (string, error) {
	ms, err := Migrations(d, schemaName)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "-- migration %d: %s\n", m.Version, m.Name)
		b.WriteString(m.SQL)
		if !strings.HasSuffix(m.SQL, "\n") {
			b.WriteByte('\n')
		}
	}
	return b.String(), nil
}
