package sqlstore

import (
	"context"
	"time"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

type runtimeRepo struct{ s *Store }

const runtimeCols = "runtime_id, name, component_type, base_url, status, labels, capabilities, capacity, runtime, last_heartbeat, created_at, updated_at"

func scanRuntime(r Row) (noetl.Runtime, error) {
	var v noetl.Runtime
	err := r.Scan(&v.RuntimeID, &v.Name, &v.ComponentType, &v.BaseURL, &v.Status, JSONDest(&v.Labels),
		JSONDest(&v.Capabilities), &v.Capacity, JSONDest(&v.Runtime), TimeDest(&v.LastHeartbeat),
		TimeDest(&v.CreatedAt), TimeDest(&v.UpdatedAt))
	return v, err
}

func (r runtimeRepo) Register(ctx context.Context, in noetl.NewRuntime) (noetl.Runtime, error) {
	if err := in.Validate(); err != nil {
		return noetl.Runtime{}, err
	}
	status := in.Status
	if status == "" {
		status = noetl.StatusReady
	}
	id, err := r.s.newID()
	if err != nil {
		return noetl.Runtime{}, err
	}
	now := r.s.d.Time(r.s.now())
	// One upsert on the unique (component_type, name): a re-registration
	// keeps runtime_id and created_at and replaces the rest.
	q := r.s.d.SQL("runtime.register", func() string {
		return "INSERT INTO {runtime} (" + runtimeCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" +
			" ON CONFLICT (component_type, name) DO UPDATE SET base_url = excluded.base_url, status = excluded.status," +
			" labels = excluded.labels, capabilities = excluded.capabilities, capacity = excluded.capacity," +
			" runtime = excluded.runtime, last_heartbeat = excluded.last_heartbeat, updated_at = excluded.updated_at" +
			" RETURNING " + runtimeCols
	})
	v, err := scanRuntime(r.s.q.QueryRow(ctx, q, id, in.Name, string(in.ComponentType), in.BaseURL, status,
		r.s.d.JSON(in.Labels), r.s.d.JSON(in.Capabilities), ptrArg(in.Capacity), r.s.d.JSON(in.Runtime), now, now, now))
	return v, r.s.wrap(err, "register %s %q", in.ComponentType, in.Name)
}

func (r runtimeRepo) Heartbeat(ctx context.Context, id snowflake.ID, status string) (noetl.Runtime, error) {
	if status != "" {
		if err := noetl.ValidateName("runtime status", status); err != nil {
			return noetl.Runtime{}, err
		}
	}
	q := r.s.d.SQL("runtime.heartbeat", func() string {
		return "UPDATE {runtime} SET last_heartbeat = ?, updated_at = ?," +
			" status = COALESCE(CAST(? AS TEXT), CASE WHEN status = '" + noetl.StatusOffline + "' THEN '" + noetl.StatusReady + "' ELSE status END)" +
			" WHERE runtime_id = ? RETURNING " + runtimeCols
	})
	now := r.s.d.Time(r.s.now())
	v, err := scanRuntime(r.s.q.QueryRow(ctx, q, now, now, nullString(status), id))
	return v, r.s.wrap(err, "heartbeat of runtime %s (register it again)", id)
}

func (r runtimeRepo) Deregister(ctx context.Context, id snowflake.ID) (noetl.Runtime, error) {
	q := r.s.d.SQL("runtime.deregister", func() string {
		return "UPDATE {runtime} SET status = '" + noetl.StatusOffline + "', updated_at = ? WHERE runtime_id = ? RETURNING " + runtimeCols
	})
	v, err := scanRuntime(r.s.q.QueryRow(ctx, q, r.s.d.Time(r.s.now()), id))
	return v, r.s.wrap(err, "deregister runtime %s", id)
}

func (r runtimeRepo) Get(ctx context.Context, id snowflake.ID) (noetl.Runtime, error) {
	q := r.s.d.SQL("runtime.get", func() string { return "SELECT " + runtimeCols + " FROM {runtime} WHERE runtime_id = ?" })
	v, err := scanRuntime(r.s.q.QueryRow(ctx, q, id))
	return v, r.s.wrap(err, "runtime %s", id)
}

func (r runtimeRepo) GetByName(ctx context.Context, ct noetl.ComponentType, name string) (noetl.Runtime, error) {
	if err := noetl.ValidateString("runtime name", name); err != nil {
		return noetl.Runtime{}, err
	}
	if !ct.Valid() {
		_, err := noetl.ParseComponentType(string(ct))
		return noetl.Runtime{}, err
	}
	q := r.s.d.SQL("runtime.byname", func() string {
		return "SELECT " + runtimeCols + " FROM {runtime} WHERE component_type = ? AND name = ?"
	})
	v, err := scanRuntime(r.s.q.QueryRow(ctx, q, string(ct), name))
	return v, r.s.wrap(err, "%s %q", ct, name)
}

func (r runtimeRepo) List(ctx context.Context, qr noetl.RuntimeQuery) (noetl.Page[noetl.Runtime], error) {
	if err := qr.Validate(); err != nil {
		return noetl.Page[noetl.Runtime]{}, err
	}
	limit, _ := noetl.ClampLimit(qr.Limit)
	var after int64
	if _, err := DecodeCursor("runtime", qr.After, &after); err != nil {
		return noetl.Page[noetl.Runtime]{}, err
	}
	args := []any{after}
	key := "runtime.list"
	if qr.ComponentType != "" {
		key += ".type"
		args = append(args, string(qr.ComponentType))
	}
	if qr.Status != "" {
		key += ".status"
		args = append(args, qr.Status)
	}
	if qr.LabelKey != "" {
		key += ".label"
		if r.s.d.Postgres() {
			args = append(args, qr.LabelKey, qr.LabelKey, qr.LabelValue)
		} else {
			// Validate refused quotes and backslashes in the key.
			path := `$."` + qr.LabelKey + `"`
			args = append(args, path, path, qr.LabelValue)
		}
	}
	q := r.s.d.SQL(key, func() string {
		q := "SELECT " + runtimeCols + " FROM {runtime} WHERE runtime_id > ?"
		if qr.ComponentType != "" {
			q += " AND component_type = ?"
		}
		if qr.Status != "" {
			q += " AND status = ?"
		}
		if qr.LabelKey != "" {
			// Only JSON string values match: the engines render numbers and
			// booleans as text differently (1.50 or 1.5, true or 1).
			if r.s.d.Postgres() {
				q += " AND jsonb_typeof(labels -> CAST(? AS TEXT)) = 'string' AND labels ->> CAST(? AS TEXT) = ?"
			} else {
				q += " AND json_type(labels, ?) = 'text' AND json_extract(labels, ?) = ?"
			}
		}
		return q + " ORDER BY runtime_id LIMIT ?"
	})
	items, err := collect(ctx, r.s.q, q, append(args, limit+1), scanRuntime)
	if err != nil {
		return noetl.Page[noetl.Runtime]{}, r.s.wrap(err, "list runtimes")
	}
	return pageOf(items, limit, "runtime", func(v noetl.Runtime) any { return int64(v.RuntimeID) }), nil
}

func (r runtimeRepo) MarkOffline(ctx context.Context, olderThan time.Duration) (int64, error) {
	if olderThan < 0 {
		return 0, noetl.Invalidf("mark runtimes offline: duration %s is negative", olderThan)
	}
	now := r.s.now()
	q := r.s.d.SQL("runtime.markoffline", func() string {
		return "UPDATE {runtime} SET status = '" + noetl.StatusOffline + "', updated_at = ?" +
			" WHERE last_heartbeat < ? AND status <> '" + noetl.StatusOffline + "'"
	})
	n, err := r.s.q.Exec(ctx, q, r.s.d.Time(now), r.s.d.Time(now.Add(-olderThan)))
	return n, r.s.wrap(err, "mark runtimes silent for %s offline", olderThan)
}
