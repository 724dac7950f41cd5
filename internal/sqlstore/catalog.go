package sqlstore

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/noetl/noetldb/noetl"
)

// ---- resource types ---------------------------------------------------------

type resourceRepo struct{ s *Store }

func (r resourceRepo) Ensure(ctx context.Context, name string) (noetl.Resource, error) {
	if err := noetl.ValidateName("resource type", name); err != nil {
		return noetl.Resource{}, err
	}
	if err := r.s.ensureResource(ctx, name); err != nil {
		return noetl.Resource{}, err
	}
	return noetl.Resource{Name: name}, nil
}

// ensureResource adds the resource type unless it exists. ON CONFLICT keeps
// a PostgreSQL transaction usable when it does.
func (s *Store) ensureResource(ctx context.Context, name string) error {
	q := s.d.SQL("resource.ensure", func() string {
		return "INSERT INTO {resource} (name) VALUES (?) ON CONFLICT (name) DO NOTHING"
	})
	_, err := s.q.Exec(ctx, q, name)
	return s.wrap(err, "resource type %q", name)
}

func (r resourceRepo) Get(ctx context.Context, name string) (noetl.Resource, error) {
	if err := noetl.ValidateString("resource type", name); err != nil {
		return noetl.Resource{}, err
	}
	q := r.s.d.SQL("resource.get", func() string { return "SELECT name FROM {resource} WHERE name = ?" })
	var v noetl.Resource
	err := r.s.q.QueryRow(ctx, q, name).Scan(&v.Name)
	return v, r.s.wrap(err, "resource type %q", name)
}

func (r resourceRepo) List(ctx context.Context, qr noetl.ResourceQuery) (noetl.Page[noetl.Resource], error) {
	limit, err := noetl.ClampLimit(qr.Limit)
	if err != nil {
		return noetl.Page[noetl.Resource]{}, err
	}
	var after string
	if _, err := DecodeCursor("resource", qr.After, &after); err != nil {
		return noetl.Page[noetl.Resource]{}, err
	}
	q := r.s.d.SQL("resource.list", func() string {
		return "SELECT name FROM {resource} WHERE name" + byteOrder(r.s.d) + " > ? ORDER BY name" + byteOrder(r.s.d) + " LIMIT ?"
	})
	items, err := collect(ctx, r.s.q, q, []any{after, limit + 1}, func(row Row) (noetl.Resource, error) {
		var v noetl.Resource
		return v, row.Scan(&v.Name)
	})
	if err != nil {
		return noetl.Page[noetl.Resource]{}, r.s.wrap(err, "list resource types")
	}
	return pageOf(items, limit, "resource", func(v noetl.Resource) any { return v.Name }), nil
}

func (r resourceRepo) Delete(ctx context.Context, name string) error {
	if err := noetl.ValidateString("resource type", name); err != nil {
		return err
	}
	q := r.s.d.SQL("resource.delete", func() string { return "DELETE FROM {resource} WHERE name = ?" })
	n, err := r.s.q.Exec(ctx, q, name)
	if kind, _ := r.s.constraint(err); kind == noetl.ErrReferenced {
		return &noetl.Error{Kind: kind, Msg: fmt.Sprintf("delete resource type %q: still used by catalog entries", name), Cause: err}
	}
	if err != nil {
		return r.s.wrap(err, "delete resource type %q", name)
	}
	if n == 0 {
		return noetl.NewError(noetl.ErrNotFound, "resource type %q", name)
	}
	return nil
}

// ---- catalog ----------------------------------------------------------------

type catalogRepo struct{ s *Store }

const catalogCols = "resource_path, resource_type, resource_version, source, resource_location, content, payload, meta, template, timestamp, credential_id"

func scanEntry(r Row) (noetl.CatalogEntry, error) {
	var v noetl.CatalogEntry
	err := r.Scan(&v.ResourcePath, &v.ResourceType, &v.ResourceVersion, &v.Source, &v.ResourceLocation, &v.Content,
		JSONDest(&v.Payload), JSONDest(&v.Meta), &v.Template, TimeDest(&v.Timestamp), &v.CredentialID)
	return v, err
}

// versionKey returns SQL for the three numeric parts of the version text x
// (a column), so versions sort numerically: 0.1.10 after
// 0.1.9. Text that is not three dot-separated numbers (written by another
// program sharing the database) gets -1 for each part and sorts first.
// Both engines compute the same key for any text.
func versionKey(d *Dialect, x string) [3]string {
	var k [3]string
	if d.Postgres() {
		valid := x + ` ~ '^[0-9]+\.[0-9]+\.[0-9]+$'`
		for i := range k {
			k[i] = fmt.Sprintf("CASE WHEN %s THEN CAST(split_part(%s, '.', %d) AS NUMERIC) ELSE -1 END", valid, x, i+1)
		}
		return k
	}
	// SQLite has no split or regex: only digits and dots, exactly two dots,
	// no empty part; CAST reads the leading number of a text.
	valid := fmt.Sprintf("%[1]s NOT GLOB '*[^0-9.]*' AND %[1]s GLOB '[0-9]*[0-9]' AND %[1]s NOT GLOB '*..*'"+
		" AND length(%[1]s) - length(replace(%[1]s, '.', '')) = 2", x)
	rest := fmt.Sprintf("substr(%[1]s, instr(%[1]s, '.') + 1)", x)
	parts := [3]string{
		"CAST(" + x + " AS INTEGER)",
		"CAST(" + rest + " AS INTEGER)",
		fmt.Sprintf("CAST(substr(%s, instr(%s, '.') + 1) AS INTEGER)", rest, rest),
	}
	for i, p := range parts {
		k[i] = fmt.Sprintf("CASE WHEN %s THEN %s ELSE -1 END", valid, p)
	}
	return k
}

// keyedCatalog is "(SELECT catalog columns and vk1, vk2, vk3, the version
// key) c", to select from with an ORDER BY on the key.
func keyedCatalog(d *Dialect, where string) string {
	k := versionKey(d, "resource_version")
	return "(SELECT " + catalogCols + ", " + k[0] + " AS vk1, " + k[1] + " AS vk2, " + k[2] + " AS vk3 FROM {catalog}" +
		where + ") c"
}

// afterVersion is the keyset condition "the row's key is below (or above)
// the key given as three numbers and the version text".
func afterVersion(op string) string {
	return "(vk1, vk2, vk3, resource_version) " + op + " (?, ?, ?, ?)"
}

// keyOf computes in Go the key versionKey computes in SQL, for cursors.
func keyOf(v string) [3]int64 {
	parts := strings.Split(v, ".")
	k := [3]int64{-1, -1, -1}
	if len(parts) != 3 {
		return k
	}
	var n [3]int64
	for i, p := range parts {
		if p == "" || strings.TrimLeft(p, "0123456789") != "" {
			return k
		}
		x, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			x = math.MaxInt64 // SQLite's CAST saturates the same way
		}
		n[i] = x
	}
	return n
}

const newestFirst = " ORDER BY vk1 DESC, vk2 DESC, vk3 DESC, resource_version DESC LIMIT ?"

// latestVersion returns the highest version of path, or "" when it has none.
func (r catalogRepo) latestVersion(ctx context.Context, path string) (string, error) {
	q := r.s.d.SQL("catalog.latestversion", func() string {
		return "SELECT resource_version FROM " + keyedCatalog(r.s.d, " WHERE resource_path = ?") + newestFirst
	})
	var v string
	err := r.s.q.QueryRow(ctx, q, path, 1).Scan(&v)
	if err != nil {
		if err = r.s.wrap(err, "latest version of %q", path); isNotFound(err) {
			return "", nil
		}
		return "", err
	}
	return v, nil
}

// nextVersion is the next patch after latest; versions not written by this
// library may have leading zeros, which are read as numbers. A patch that
// would pass noetl.MaxVersionPart is ErrConflict: that version could not be
// read or deleted.
func nextVersion(path, latest string) (string, error) {
	if latest == "" {
		return noetl.FirstVersion, nil
	}
	parts := strings.Split(latest, ".")
	if len(parts) == 3 {
		var n [3]int
		ok := true
		for i, p := range parts {
			v, err := strconv.Atoi(p)
			ok = ok && err == nil && v >= 0
			n[i] = v
		}
		if ok {
			if n[0] > noetl.MaxVersionPart || n[1] > noetl.MaxVersionPart || n[2] >= noetl.MaxVersionPart {
				return "", noetl.NewError(noetl.ErrConflict, "register catalog %q: the patches after version %s are exhausted; register an explicit version", path, latest)
			}
			return noetl.Version{Major: n[0], Minor: n[1], Patch: n[2]}.NextPatch().String(), nil
		}
	}
	return noetl.FirstVersion, nil
}

// lockPath serialises registrations of one path until the transaction ends.
// PostgreSQL: a transaction-scoped advisory lock on the path's hash (hash
// collisions only make two paths wait for each other). SQLite: the
// transaction already holds the database's write lock.
func (r catalogRepo) lockPath(ctx context.Context, path string) error {
	if !r.s.d.Postgres() {
		return nil
	}
	q := r.s.d.SQL("catalog.lock", func() string { return "SELECT pg_advisory_xact_lock(1852794228, hashtext(?))" })
	_, err := r.s.q.Exec(ctx, q, r.s.d.Schema+"."+path)
	return r.s.wrap(err, "lock catalog path %q", path)
}

func (r catalogRepo) Register(ctx context.Context, in noetl.NewCatalogEntry) (noetl.CatalogEntry, error) {
	if err := in.Validate(); err != nil {
		return noetl.CatalogEntry{}, err
	}
	v := noetl.CatalogEntry{
		ResourcePath: in.Path, ResourceType: in.Type, ResourceVersion: in.Version, Source: in.Source,
		ResourceLocation: in.Location, Content: in.Content, Payload: in.Payload, Meta: in.Meta,
		Template: in.Template, CredentialID: in.CredentialID,
	}
	if v.Source == "" {
		v.Source = noetl.DefaultSource
	}
	if len(v.Payload) == 0 {
		v.Payload = []byte("{}")
	}
	q := r.s.d.SQL("catalog.insert", func() string {
		return "INSERT INTO {catalog} (" + catalogCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" +
			" ON CONFLICT (resource_path, resource_version) DO NOTHING"
	})
	err := r.s.inTx(ctx, func(ctx context.Context, ts *Store) error {
		tr := catalogRepo{ts}
		if err := tr.lockPath(ctx, in.Path); err != nil {
			return err
		}
		if err := ts.ensureResource(ctx, in.Type); err != nil {
			return err
		}
		if v.CredentialID != nil {
			// Checked first so a missing credential is named on both engines
			// (SQLite's foreign key error names no constraint).
			if _, err := (credentialRepo{ts}).Get(ctx, *v.CredentialID); err != nil {
				if isNotFound(err) {
					return noetl.NewError(noetl.ErrReferenced, "register catalog %q: credential %s does not exist", v.ResourcePath, *v.CredentialID)
				}
				return err
			}
		}
		if v.ResourceVersion == "" {
			latest, err := tr.latestVersion(ctx, in.Path)
			if err != nil {
				return err
			}
			if v.ResourceVersion, err = nextVersion(in.Path, latest); err != nil {
				return err
			}
		}
		v.Timestamp = ts.now()
		n, err := ts.q.Exec(ctx, q, v.ResourcePath, v.ResourceType, v.ResourceVersion, v.Source, v.ResourceLocation,
			v.Content, ts.d.JSON(v.Payload), ts.d.JSON(v.Meta), v.Template, ts.d.Time(v.Timestamp), ptrArg(v.CredentialID))
		what := fmt.Sprintf("catalog %q version %s", v.ResourcePath, v.ResourceVersion)
		if err != nil {
			return ts.wrap(err, "register %s", what)
		}
		if n == 0 {
			return noetl.NewError(noetl.ErrConflict, "register %s: already registered", what)
		}
		return nil
	})
	if err != nil {
		return noetl.CatalogEntry{}, err
	}
	return v, nil
}

func (r catalogRepo) Get(ctx context.Context, path, version string) (noetl.CatalogEntry, error) {
	if err := noetl.ValidateString("resource path", path); err != nil {
		return noetl.CatalogEntry{}, err
	}
	if version == "" || version == noetl.LatestVersion {
		q := r.s.d.SQL("catalog.latest", func() string {
			return "SELECT " + catalogCols + " FROM " + keyedCatalog(r.s.d, " WHERE resource_path = ?") + newestFirst
		})
		v, err := scanEntry(r.s.q.QueryRow(ctx, q, path, 1))
		return v, r.s.wrap(err, "catalog %q", path)
	}
	if _, err := noetl.ParseVersion(version); err != nil {
		return noetl.CatalogEntry{}, err
	}
	q := r.s.d.SQL("catalog.get", func() string {
		return "SELECT " + catalogCols + " FROM {catalog} WHERE resource_path = ? AND resource_version = ?"
	})
	v, err := scanEntry(r.s.q.QueryRow(ctx, q, path, version))
	return v, r.s.wrap(err, "catalog %q version %s", path, version)
}

func (r catalogRepo) Versions(ctx context.Context, path string, qr noetl.VersionQuery) (noetl.Page[noetl.CatalogEntry], error) {
	if err := noetl.ValidateString("resource path", path); err != nil {
		return noetl.Page[noetl.CatalogEntry]{}, err
	}
	limit, err := noetl.ClampLimit(qr.Limit)
	if err != nil {
		return noetl.Page[noetl.CatalogEntry]{}, err
	}
	var cur versionCursor
	has, err := DecodeCursor("catalog.versions", qr.After, &cur)
	after := string(cur)
	if err != nil {
		return noetl.Page[noetl.CatalogEntry]{}, err
	}
	var q string
	args := []any{path}
	if has {
		q = r.s.d.SQL("catalog.versions.after", func() string {
			return "SELECT " + catalogCols + " FROM " + keyedCatalog(r.s.d, " WHERE resource_path = ?") +
				" WHERE " + afterVersion("<") + newestFirst
		})
		k := keyOf(after)
		args = append(args, k[0], k[1], k[2], after)
	} else {
		q = r.s.d.SQL("catalog.versions", func() string {
			return "SELECT " + catalogCols + " FROM " + keyedCatalog(r.s.d, " WHERE resource_path = ?") + newestFirst
		})
	}
	items, err := collect(ctx, r.s.q, q, append(args, limit+1), scanEntry)
	if err != nil {
		return noetl.Page[noetl.CatalogEntry]{}, r.s.wrap(err, "versions of %q", path)
	}
	return pageOf(items, limit, "catalog.versions", func(v noetl.CatalogEntry) any { return versionCursor(v.ResourceVersion) }), nil
}

// versionCursor is the keyset position of CatalogRepo.Versions.
type versionCursor string

// catalogCursor is the keyset position of CatalogRepo.List.
type catalogCursor struct {
	Path    string `json:"p"`
	Version string `json:"v"`
}

func (r catalogRepo) List(ctx context.Context, qr noetl.CatalogQuery) (noetl.Page[noetl.CatalogEntry], error) {
	if err := qr.Validate(); err != nil {
		return noetl.Page[noetl.CatalogEntry]{}, err
	}
	limit, _ := noetl.ClampLimit(qr.Limit)
	var cur catalogCursor
	has, err := DecodeCursor("catalog", qr.After, &cur)
	if err != nil {
		return noetl.Page[noetl.CatalogEntry]{}, err
	}
	// Eight statement shapes (type, prefix and cursor each set or not), each
	// built once: the inner query filters, the outer one orders by path and
	// version key.
	var args []any
	key := "catalog.list"
	if qr.Type != "" {
		key += ".type"
		args = append(args, qr.Type)
	}
	if qr.PathPrefix != "" {
		key += ".prefix"
		args = append(args, len([]rune(qr.PathPrefix)), qr.PathPrefix)
	}
	if has {
		key += ".after"
		k := keyOf(cur.Version)
		args = append(args, cur.Path, cur.Path, k[0], k[1], k[2], cur.Version)
	}
	args = append(args, limit+1)
	q := r.s.d.SQL(key, func() string {
		var where []string
		if qr.Type != "" {
			where = append(where, "resource_type = ?")
		}
		if qr.PathPrefix != "" {
			// substr comparison instead of LIKE: no escaping, same on both engines.
			where = append(where, "substr(resource_path, 1, ?) = ?")
		}
		if has {
			// Paths before the cursor's are skipped through the primary key.
			where = append(where, "resource_path"+byteOrder(r.s.d)+" >= ?")
		}
		cond := ""
		if len(where) > 0 {
			cond = " WHERE " + strings.Join(where, " AND ")
		}
		q := "SELECT " + catalogCols + " FROM " + keyedCatalog(r.s.d, cond)
		// Byte order on the text columns, the same on both engines whatever
		// the database's collation.
		c := byteOrder(r.s.d)
		if has {
			q += " WHERE (resource_path" + c + ", vk1, vk2, vk3, resource_version" + c + ") > (?, ?, ?, ?, ?)"
		}
		return q + " ORDER BY resource_path" + c + ", vk1, vk2, vk3, resource_version" + c + " LIMIT ?"
	})
	items, err := collect(ctx, r.s.q, q, args, scanEntry)
	if err != nil {
		return noetl.Page[noetl.CatalogEntry]{}, r.s.wrap(err, "list catalog")
	}
	return pageOf(items, limit, "catalog", func(v noetl.CatalogEntry) any {
		return catalogCursor{Path: v.ResourcePath, Version: v.ResourceVersion}
	}), nil
}

func (r catalogRepo) Delete(ctx context.Context, path, version string) error {
	if err := noetl.ValidateString("resource path", path); err != nil {
		return err
	}
	if _, err := noetl.ParseVersion(version); err != nil {
		return err
	}
	q := r.s.d.SQL("catalog.delete", func() string {
		return "DELETE FROM {catalog} WHERE resource_path = ? AND resource_version = ?"
	})
	n, err := r.s.q.Exec(ctx, q, path, version)
	if err != nil {
		return r.s.wrap(err, "delete catalog %q version %s", path, version)
	}
	if n == 0 {
		return noetl.NewError(noetl.ErrNotFound, "catalog %q version %s", path, version)
	}
	return nil
}
