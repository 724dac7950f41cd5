package sqlstore

import (
	"context"
	"fmt"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// credentialRepo stores credentials sealed with the store's keyring. The
// sealed column is read only by Reveal and Rotate; every other statement
// leaves it out, so no other path can carry it.
type credentialRepo struct{ s *Store }

// credentialCols lists the columns a Credential holds. PostgreSQL sends
// tags (TEXT[]) as a JSON array, which StringsDest reads on both engines.
func credentialCols(d *Dialect) string {
	tags := "tags"
	if d.Postgres() {
		tags = "array_to_json(tags)"
	}
	return "id, name, type, meta, " + tags + ", description, created_at, updated_at"
}

func scanCredential(r Row) (noetl.Credential, error) {
	var v noetl.Credential
	err := r.Scan(&v.ID, &v.Name, &v.Type, JSONDest(&v.Meta), StringsDest(&v.Tags), &v.Description,
		TimeDest(&v.CreatedAt), TimeDest(&v.UpdatedAt))
	return v, err
}

// keyring returns the store's keyring, or ErrNoKeyring after what.
func (r credentialRepo) keyring(what string) (*noetl.Keyring, error) {
	k := r.s.cfg.Keyring
	if k == nil || k.Primary() == "" {
		return nil, fmt.Errorf("%s: %w", what, noetl.ErrNoKeyring)
	}
	return k, nil
}

func (r credentialRepo) Put(ctx context.Context, in noetl.NewCredential) (noetl.Credential, error) {
	if err := in.Validate(); err != nil {
		return noetl.Credential{}, err
	}
	k, err := r.keyring(fmt.Sprintf("put credential %q", in.Name))
	if err != nil {
		return noetl.Credential{}, err
	}
	// The name is the additional data: sealed data moved to another row
	// does not open.
	sealed, err := k.Seal(in.Name, []byte(in.Data.Reveal()))
	if err != nil {
		return noetl.Credential{}, fmt.Errorf("credential %q: seal: %w", in.Name, err)
	}
	id, err := r.s.newID()
	if err != nil {
		return noetl.Credential{}, err
	}
	now := r.s.d.Time(r.s.now())
	q := r.s.d.SQL("credential.put", func() string {
		return "INSERT INTO {credential} (id, name, type, data_encrypted, meta, tags, description, created_at, updated_at)" +
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET type = excluded.type," +
			" data_encrypted = excluded.data_encrypted, meta = excluded.meta, tags = excluded.tags," +
			" description = excluded.description, updated_at = excluded.updated_at RETURNING " + credentialCols(r.s.d)
	})
	v, err := scanCredential(r.s.q.QueryRow(ctx, q, id, in.Name, in.Type, sealed, r.s.d.JSON(in.Meta),
		r.s.d.Strings(in.Tags), in.Description, now, now))
	if err != nil {
		return noetl.Credential{}, r.s.wrap(err, "put credential %q", in.Name)
	}
	return v, nil
}

func (r credentialRepo) Get(ctx context.Context, id snowflake.ID) (noetl.Credential, error) {
	q := r.s.d.SQL("credential.get", func() string { return "SELECT " + credentialCols(r.s.d) + " FROM {credential} WHERE id = ?" })
	v, err := scanCredential(r.s.q.QueryRow(ctx, q, id))
	return v, r.s.wrap(err, "credential %s", id)
}

func (r credentialRepo) GetByName(ctx context.Context, name string) (noetl.Credential, error) {
	if err := noetl.ValidateString("credential name", name); err != nil {
		return noetl.Credential{}, err
	}
	q := r.s.d.SQL("credential.byname", func() string { return "SELECT " + credentialCols(r.s.d) + " FROM {credential} WHERE name = ?" })
	v, err := scanCredential(r.s.q.QueryRow(ctx, q, name))
	return v, r.s.wrap(err, "credential %q", name)
}

func (r credentialRepo) List(ctx context.Context, qr noetl.CredentialQuery) (noetl.Page[noetl.Credential], error) {
	if err := qr.Validate(); err != nil {
		return noetl.Page[noetl.Credential]{}, err
	}
	limit, _ := noetl.ClampLimit(qr.Limit)
	var after string
	if _, err := DecodeCursor("credential", qr.After, &after); err != nil {
		return noetl.Page[noetl.Credential]{}, err
	}
	args := []any{after}
	key := "credential.list"
	if qr.Type != "" {
		key += ".type"
		args = append(args, qr.Type)
	}
	if qr.Tag != "" {
		key += ".tag"
		args = append(args, qr.Tag)
	}
	q := r.s.d.SQL(key, func() string {
		q := "SELECT " + credentialCols(r.s.d) + " FROM {credential} WHERE name" + byteOrder(r.s.d) + " > ?"
		if qr.Type != "" {
			q += " AND type = ?"
		}
		if qr.Tag != "" {
			if r.s.d.Postgres() {
				q += " AND ? = ANY (tags)"
			} else {
				q += " AND EXISTS (SELECT 1 FROM json_each(tags) WHERE value = ?)"
			}
		}
		return q + " ORDER BY name" + byteOrder(r.s.d) + " LIMIT ?"
	})
	items, err := collect(ctx, r.s.q, q, append(args, limit+1), scanCredential)
	if err != nil {
		return noetl.Page[noetl.Credential]{}, r.s.wrap(err, "list credentials")
	}
	return pageOf(items, limit, "credential", func(v noetl.Credential) any { return v.Name }), nil
}

func (r credentialRepo) Reveal(ctx context.Context, name string) (noetl.Secret, error) {
	if err := noetl.ValidateString("credential name", name); err != nil {
		return "", err
	}
	k, err := r.keyring(fmt.Sprintf("reveal credential %q", name))
	if err != nil {
		return "", err
	}
	q := r.s.d.SQL("credential.sealed", func() string { return "SELECT data_encrypted FROM {credential} WHERE name = ?" })
	var sealed string
	if err := r.s.q.QueryRow(ctx, q, name).Scan(&sealed); err != nil {
		return "", r.s.wrap(err, "credential %q", name)
	}
	plain, err := k.Open(name, sealed)
	if err != nil {
		return "", fmt.Errorf("credential %q: %w", name, err)
	}
	return noetl.Secret(plain), nil
}

func (r credentialRepo) Delete(ctx context.Context, name string) error {
	if err := noetl.ValidateString("credential name", name); err != nil {
		return err
	}
	q := r.s.d.SQL("credential.delete", func() string { return "DELETE FROM {credential} WHERE name = ?" })
	n, err := r.s.q.Exec(ctx, q, name)
	if kind, _ := r.s.constraint(err); kind == noetl.ErrReferenced {
		return &noetl.Error{Kind: kind, Msg: fmt.Sprintf("delete credential %q: still used by catalog entries", name), Cause: err}
	}
	if err != nil {
		return r.s.wrap(err, "delete credential %q", name)
	}
	if n == 0 {
		return noetl.NewError(noetl.ErrNotFound, "credential %q", name)
	}
	return nil
}

func (r credentialRepo) Rotate(ctx context.Context) (int, error) {
	k, err := r.keyring("rotate credentials")
	if err != nil {
		return 0, err
	}
	primary := k.Primary()
	sel := r.s.d.SQL("credential.rotate.select", func() string {
		q := "SELECT name, data_encrypted FROM {credential} ORDER BY name"
		if r.s.d.Postgres() {
			q += " FOR UPDATE" // no Put may slip in between read and re-seal
		}
		return q
	})
	upd := r.s.d.SQL("credential.rotate.update", func() string {
		return "UPDATE {credential} SET data_encrypted = ? WHERE name = ?"
	})
	type sealedRow struct{ name, sealed string }
	n := 0
	err = r.s.inTx(ctx, func(ctx context.Context, ts *Store) error {
		rows, err := collect(ctx, ts.q, sel, nil, func(row Row) (sealedRow, error) {
			var v sealedRow
			return v, row.Scan(&v.name, &v.sealed)
		})
		if err != nil {
			return ts.wrap(err, "rotate credentials")
		}
		for _, row := range rows {
			if id, err := noetl.KeyIDOf(row.sealed); err == nil && id == primary {
				continue
			}
			plain, err := k.Open(row.name, row.sealed)
			if err != nil {
				return fmt.Errorf("rotate credentials: credential %q: %w", row.name, err)
			}
			resealed, err := k.Seal(row.name, plain)
			clear(plain)
			if err != nil {
				return fmt.Errorf("rotate credentials: credential %q: seal: %w", row.name, err)
			}
			if _, err := ts.q.Exec(ctx, upd, resealed, row.name); err != nil {
				return ts.wrap(err, "rotate credential %q", row.name)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
