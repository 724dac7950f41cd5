package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones even where the system has none (distroless containers)

	"github.com/robfig/cron/v3"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// ---- next-run computation -------------------------------------------------

// cronParser reads standard 5-field expressions and the descriptors
// (@yearly, @monthly, @weekly, @daily, @hourly, @every <duration>).
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// trigger is when a schedule runs: a cron expression read in a zone, an
// interval, or both.
type trigger struct {
	cron     cron.Schedule // nil without a cron expression
	interval time.Duration // 0 without an interval
	loc      *time.Location
}

// parseTrigger checks and reads a schedule's cron, interval and timezone;
// every refusal wraps ErrInvalid. now is used to refuse a cron expression
// that never fires (such as February 30th).
func parseTrigger(spec *string, intervalSec *int, tz string, now time.Time) (trigger, error) {
	var tr trigger
	loc, err := noetl.ValidateTimezone(tz)
	if err != nil {
		return tr, err
	}
	tr.loc = loc
	if intervalSec != nil {
		if *intervalSec <= 0 {
			return tr, noetl.Invalidf("schedule interval %d s: must be positive", *intervalSec)
		}
		tr.interval = time.Duration(*intervalSec) * time.Second
	}
	if spec != nil {
		s := strings.TrimSpace(*spec)
		if strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ=") {
			return tr, noetl.Invalidf("schedule cron %q: give the zone as the schedule's timezone, not in the expression", *spec)
		}
		if tr.cron, err = cronParser.Parse(s); err != nil {
			return tr, noetl.Invalidf("schedule cron %q: %v", *spec, err)
		}
		if tr.cron.Next(now.In(loc)).IsZero() {
			return tr, noetl.Invalidf("schedule cron %q: never fires", *spec)
		}
	}
	if tr.cron == nil && tr.interval == 0 {
		return tr, noetl.Invalidf("schedule: needs a cron expression or an interval")
	}
	return tr, nil
}

// earliest returns the earlier of the set times, in UTC to the microsecond,
// or nil when neither is set.
func earliest(a, b time.Time) *time.Time {
	switch {
	case a.IsZero() && b.IsZero():
		return nil
	case a.IsZero() || (!b.IsZero() && b.Before(a)):
		a = b
	}
	t := noetl.UTC(a)
	return &t
}

// first is the first run after now: the cron's next slot or now plus the
// interval, whichever comes first.
func (tr trigger) first(now time.Time) *time.Time {
	var c, i time.Time
	if tr.cron != nil {
		c = tr.cron.Next(now.In(tr.loc))
	}
	if tr.interval > 0 {
		i = now.Add(tr.interval)
	}
	return earliest(c, i)
}

// after is the first run strictly after at, for a schedule whose slot at or
// before at was just claimed: slots missed in between are skipped. The
// interval keeps its phase (slot + k·interval).
func (tr trigger) after(slot, at time.Time) *time.Time {
	var c, i time.Time
	if tr.cron != nil {
		c = tr.cron.Next(at.In(tr.loc))
	}
	if tr.interval > 0 {
		i = slot.Add(tr.interval)
		if !i.After(at) {
			i = slot.Add((at.Sub(slot)/tr.interval + 1) * tr.interval)
		}
	}
	return earliest(c, i)
}

// ---- schedules ----------------------------------------------------------------

type scheduleRepo struct{ s *Store }

const scheduleCols = "schedule_id, playbook_path, playbook_version, cron, interval_sec, enabled, timezone, next_run_at, last_run_at, last_status, input_payload, created_at, updated_at, meta"

func scanSchedule(r Row) (noetl.Schedule, error) {
	var v noetl.Schedule
	err := r.Scan(&v.ScheduleID, &v.PlaybookPath, &v.PlaybookVersion, &v.Cron, &v.IntervalSec, BoolDest(&v.Enabled),
		&v.Timezone, NullTimeDest(&v.NextRunAt), NullTimeDest(&v.LastRunAt), &v.LastStatus, JSONDest(&v.InputPayload),
		TimeDest(&v.CreatedAt), TimeDest(&v.UpdatedAt), JSONDest(&v.Meta))
	return v, err
}

// forUpdate locks the selected rows on PostgreSQL; SQLite transactions hold
// the write lock already.
func forUpdate(d *Dialect) string {
	if d.Postgres() {
		return " FOR UPDATE"
	}
	return ""
}

// enabledTrue is the predicate of the partial index schedule_next_run_idx,
// spelled as each engine's index is, so the planner uses it.
func enabledTrue(d *Dialect) string {
	if d.Postgres() {
		return "enabled"
	}
	return "enabled = 1"
}

// triggerOf reads the trigger of a schedule row.
func triggerOf(v noetl.Schedule, now time.Time) (trigger, error) {
	return parseTrigger(v.Cron, v.IntervalSec, v.Timezone, now)
}

func (r scheduleRepo) Create(ctx context.Context, in noetl.NewSchedule) (noetl.Schedule, error) {
	if err := in.Validate(); err != nil {
		return noetl.Schedule{}, err
	}
	now := r.s.now()
	v := noetl.Schedule{
		PlaybookPath: in.PlaybookPath, PlaybookVersion: in.PlaybookVersion, Enabled: !in.Disabled,
		Timezone: in.Timezone, InputPayload: in.InputPayload, Meta: in.Meta, CreatedAt: now, UpdatedAt: now,
	}
	if v.Timezone == "" {
		v.Timezone = "UTC"
	}
	if c := strings.TrimSpace(in.Cron); c != "" {
		v.Cron = &c
	}
	if in.IntervalSec != 0 {
		iv := in.IntervalSec
		v.IntervalSec = &iv
	}
	tr, err := triggerOf(v, now)
	if err != nil {
		return noetl.Schedule{}, err
	}
	if v.Enabled {
		v.NextRunAt = tr.first(now)
	}
	if v.ScheduleID, err = r.s.newID(); err != nil {
		return noetl.Schedule{}, err
	}
	q := r.s.d.SQL("schedule.create", func() string {
		return "INSERT INTO {schedule} (" + scheduleCols + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?, ?, ?)"
	})
	_, err = r.s.q.Exec(ctx, q, v.ScheduleID, v.PlaybookPath, v.PlaybookVersion, v.Cron, ptrArg(v.IntervalSec),
		r.s.d.Bool(v.Enabled), v.Timezone, r.s.d.NullTime(v.NextRunAt), r.s.d.JSON(v.InputPayload),
		r.s.d.Time(now), r.s.d.Time(now), r.s.d.JSON(v.Meta))
	if err != nil {
		return noetl.Schedule{}, r.s.wrap(err, "create schedule for %q", v.PlaybookPath)
	}
	return v, nil
}

func (r scheduleRepo) Get(ctx context.Context, id snowflake.ID) (noetl.Schedule, error) {
	q := r.s.d.SQL("schedule.get", func() string { return "SELECT " + scheduleCols + " FROM {schedule} WHERE schedule_id = ?" })
	v, err := scanSchedule(r.s.q.QueryRow(ctx, q, id))
	return v, r.s.wrap(err, "schedule %s", id)
}

// getForUpdate reads the schedule and, on PostgreSQL, locks it until the
// transaction ends, so a concurrent claim or update cannot interleave.
func (r scheduleRepo) getForUpdate(ctx context.Context, id snowflake.ID) (noetl.Schedule, error) {
	q := r.s.d.SQL("schedule.getforupdate", func() string {
		return "SELECT " + scheduleCols + " FROM {schedule} WHERE schedule_id = ?" + forUpdate(r.s.d)
	})
	v, err := scanSchedule(r.s.q.QueryRow(ctx, q, id))
	return v, r.s.wrap(err, "schedule %s", id)
}

func (r scheduleRepo) List(ctx context.Context, qr noetl.ScheduleQuery) (noetl.Page[noetl.Schedule], error) {
	if err := qr.Validate(); err != nil {
		return noetl.Page[noetl.Schedule]{}, err
	}
	limit, _ := noetl.ClampLimit(qr.Limit)
	var after int64
	if _, err := DecodeCursor("schedule", qr.After, &after); err != nil {
		return noetl.Page[noetl.Schedule]{}, err
	}
	args := []any{after}
	key := "schedule.list"
	if qr.PlaybookPath != "" {
		key += ".path"
		args = append(args, qr.PlaybookPath)
	}
	if qr.Enabled != nil {
		key += ".enabled"
		args = append(args, r.s.d.Bool(*qr.Enabled))
	}
	q := r.s.d.SQL(key, func() string {
		q := "SELECT " + scheduleCols + " FROM {schedule} WHERE schedule_id > ?"
		if qr.PlaybookPath != "" {
			q += " AND playbook_path = ?"
		}
		if qr.Enabled != nil {
			q += " AND enabled = ?"
		}
		return q + " ORDER BY schedule_id LIMIT ?"
	})
	items, err := collect(ctx, r.s.q, q, append(args, limit+1), scanSchedule)
	if err != nil {
		return noetl.Page[noetl.Schedule]{}, r.s.wrap(err, "list schedules")
	}
	return pageOf(items, limit, "schedule", func(v noetl.Schedule) any { return int64(v.ScheduleID) }), nil
}

// save writes every changeable column of v and returns the row.
func (r scheduleRepo) save(ctx context.Context, v noetl.Schedule) (noetl.Schedule, error) {
	q := r.s.d.SQL("schedule.save", func() string {
		return "UPDATE {schedule} SET playbook_path = ?, playbook_version = ?, cron = ?, interval_sec = ?, enabled = ?," +
			" timezone = ?, next_run_at = ?, input_payload = ?, meta = ?, updated_at = ? WHERE schedule_id = ? RETURNING " + scheduleCols
	})
	got, err := scanSchedule(r.s.q.QueryRow(ctx, q, v.PlaybookPath, v.PlaybookVersion, v.Cron, ptrArg(v.IntervalSec),
		r.s.d.Bool(v.Enabled), v.Timezone, r.s.d.NullTime(v.NextRunAt), r.s.d.JSON(v.InputPayload), r.s.d.JSON(v.Meta),
		r.s.d.Time(v.UpdatedAt), v.ScheduleID))
	return got, r.s.wrap(err, "update schedule %s", v.ScheduleID)
}

func (r scheduleRepo) Update(ctx context.Context, id snowflake.ID, u noetl.ScheduleUpdate) (noetl.Schedule, error) {
	if err := u.Validate(); err != nil {
		return noetl.Schedule{}, err
	}
	if u == (noetl.ScheduleUpdate{}) {
		return r.Get(ctx, id)
	}
	var out noetl.Schedule
	err := r.s.inTx(ctx, func(ctx context.Context, ts *Store) error {
		tr := scheduleRepo{ts}
		v, err := tr.getForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if u.PlaybookPath != nil {
			v.PlaybookPath = *u.PlaybookPath
		}
		if u.PlaybookVersion != nil {
			v.PlaybookVersion = nil
			if *u.PlaybookVersion != "" {
				v.PlaybookVersion = u.PlaybookVersion
			}
		}
		if u.Cron != nil {
			v.Cron = nil
			if c := strings.TrimSpace(*u.Cron); c != "" {
				v.Cron = &c
			}
		}
		if u.IntervalSec != nil {
			v.IntervalSec = nil
			if *u.IntervalSec != 0 {
				v.IntervalSec = u.IntervalSec
			}
		}
		if u.Timezone != nil {
			v.Timezone = *u.Timezone
			if v.Timezone == "" {
				v.Timezone = "UTC"
			}
		}
		if u.InputPayload != nil {
			v.InputPayload = *u.InputPayload
		}
		if u.Meta != nil {
			v.Meta = *u.Meta
		}
		now := ts.now()
		trg, err := triggerOf(v, now)
		if err != nil {
			return fmt.Errorf("update schedule %s: %w", id, err)
		}
		v.NextRunAt = nil
		if v.Enabled {
			v.NextRunAt = trg.first(now)
		}
		v.UpdatedAt = now
		out, err = tr.save(ctx, v)
		return err
	})
	return out, err
}

func (r scheduleRepo) Enable(ctx context.Context, id snowflake.ID) (noetl.Schedule, error) {
	var out noetl.Schedule
	err := r.s.inTx(ctx, func(ctx context.Context, ts *Store) error {
		tr := scheduleRepo{ts}
		v, err := tr.getForUpdate(ctx, id)
		if err != nil {
			return err
		}
		now := ts.now()
		trg, err := triggerOf(v, now)
		if err != nil {
			return fmt.Errorf("enable schedule %s: %w", id, err)
		}
		v.Enabled, v.NextRunAt, v.UpdatedAt = true, trg.first(now), now
		out, err = tr.save(ctx, v)
		return err
	})
	return out, err
}

func (r scheduleRepo) Disable(ctx context.Context, id snowflake.ID) (noetl.Schedule, error) {
	q := r.s.d.SQL("schedule.disable", func() string {
		return "UPDATE {schedule} SET enabled = ?, next_run_at = NULL, updated_at = ? WHERE schedule_id = ? RETURNING " + scheduleCols
	})
	v, err := scanSchedule(r.s.q.QueryRow(ctx, q, r.s.d.Bool(false), r.s.d.Time(r.s.now()), id))
	return v, r.s.wrap(err, "disable schedule %s", id)
}

func (r scheduleRepo) Delete(ctx context.Context, id snowflake.ID) error {
	q := r.s.d.SQL("schedule.delete", func() string { return "DELETE FROM {schedule} WHERE schedule_id = ?" })
	n, err := r.s.q.Exec(ctx, q, id)
	if err != nil {
		return r.s.wrap(err, "delete schedule %s", id)
	}
	if n == 0 {
		return noetl.NewError(noetl.ErrNotFound, "schedule %s", id)
	}
	return nil
}

func (r scheduleRepo) RecordRun(ctx context.Context, id snowflake.ID, status string) (noetl.Schedule, error) {
	if err := noetl.ValidateName("run status", status); err != nil {
		return noetl.Schedule{}, err
	}
	q := r.s.d.SQL("schedule.recordrun", func() string {
		return "UPDATE {schedule} SET last_status = ?, updated_at = ? WHERE schedule_id = ? RETURNING " + scheduleCols
	})
	v, err := scanSchedule(r.s.q.QueryRow(ctx, q, status, r.s.d.Time(r.s.now()), id))
	return v, r.s.wrap(err, "record run of schedule %s", id)
}

// Claim selects the due rows and moves them on in one transaction. The next
// slot of each row depends on its cron expression, which SQL cannot compute,
// so it is computed here and written back with one statement for all rows.
// PostgreSQL: the SELECT locks the rows it returns and skips rows other
// claimers hold (FOR UPDATE SKIP LOCKED); a row another claimer moved on and
// committed meanwhile is re-checked against next_run_at <= at and dropped.
// SQLite: the transaction holds the write lock from its start, so claimers
// run one after another.
func (r scheduleRepo) Claim(ctx context.Context, at time.Time, limit int) ([]noetl.ScheduleClaim, error) {
	limit, err := noetl.ClampLimit(limit)
	if err != nil {
		return nil, err
	}
	if err := noetl.ValidateTime("claim time", at); err != nil {
		return nil, err
	}
	at = noetl.UTC(at)
	sel := r.s.d.SQL("schedule.claim.select", func() string {
		q := "SELECT " + scheduleCols + " FROM {schedule} WHERE " + enabledTrue(r.s.d) +
			" AND next_run_at <= ? ORDER BY next_run_at, schedule_id LIMIT ?"
		if r.s.d.Postgres() {
			q += " FOR UPDATE SKIP LOCKED"
		}
		return q
	})
	upd := r.s.d.SQL("schedule.claim.update", func() string {
		if r.s.d.Postgres() {
			return "UPDATE {schedule} AS s SET next_run_at = v.next, last_run_at = ?, updated_at = ?" +
				" FROM unnest(CAST(? AS BIGINT[]), CAST(? AS TIMESTAMPTZ[])) AS v(id, next) WHERE s.schedule_id = v.id"
		}
		return "UPDATE {schedule} SET next_run_at = v.next, last_run_at = ?, updated_at = ?" +
			" FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS next FROM json_each(?)) AS v" +
			" WHERE schedule.schedule_id = v.id"
	})
	var claims []noetl.ScheduleClaim
	err = r.s.inTx(ctx, func(ctx context.Context, ts *Store) error {
		rows, err := collect(ctx, ts.q, sel, []any{ts.d.Time(at), limit}, scanSchedule)
		if err != nil {
			return ts.wrap(err, "claim schedules due at %s", at.Format(time.RFC3339))
		}
		claims = make([]noetl.ScheduleClaim, len(rows))
		now := ts.now()
		for i, v := range rows {
			slot := *v.NextRunAt
			v.NextRunAt = nil
			// A row whose cron or zone does not parse (written by another
			// program) runs this once and stops, rather than being due forever.
			if trg, err := triggerOf(v, at); err == nil {
				v.NextRunAt = trg.after(slot, at)
			}
			v.LastRunAt = &at
			v.UpdatedAt = now
			claims[i] = noetl.ScheduleClaim{Schedule: v, Slot: slot}
		}
		if len(claims) == 0 {
			return nil
		}
		var args []any
		if ts.d.Postgres() {
			ids := make([]int64, len(claims))
			next := make([]*time.Time, len(claims))
			for i, c := range claims {
				ids[i], next[i] = int64(c.Schedule.ScheduleID), c.Schedule.NextRunAt
			}
			args = []any{ts.d.Time(at), ts.d.Time(now), ids, next}
		} else {
			pairs := make([][2]any, len(claims))
			for i, c := range claims {
				pairs[i] = [2]any{int64(c.Schedule.ScheduleID), nil}
				if c.Schedule.NextRunAt != nil {
					pairs[i][1] = c.Schedule.NextRunAt.UnixMicro()
				}
			}
			b, _ := json.Marshal(pairs)
			args = []any{ts.d.Time(at), ts.d.Time(now), string(b)}
		}
		n, err := ts.q.Exec(ctx, upd, args...)
		if err != nil {
			return ts.wrap(err, "claim schedules due at %s", at.Format(time.RFC3339))
		}
		if n != int64(len(claims)) {
			return fmt.Errorf("claim schedules: moved %d of %d claimed rows", n, len(claims))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return claims, nil
}

// Ensure reads the playbook's oldest schedule, and when there is none
// creates it in a transaction that first takes a lock on the playbook path
// (an advisory lock on PostgreSQL; SQLite's write transactions are
// serialised already) and reads again, so concurrent callers create one.
func (r scheduleRepo) Ensure(ctx context.Context, in noetl.NewSchedule) (noetl.Schedule, bool, error) {
	if err := in.Validate(); err != nil {
		return noetl.Schedule{}, false, err
	}
	probe := noetl.Schedule{Timezone: in.Timezone}
	if c := strings.TrimSpace(in.Cron); c != "" {
		probe.Cron = &c
	}
	if in.IntervalSec != 0 {
		probe.IntervalSec = &in.IntervalSec
	}
	if _, err := triggerOf(probe, r.s.now()); err != nil {
		return noetl.Schedule{}, false, err
	}
	if v, ok, err := r.oldest(ctx, in.PlaybookPath); ok || err != nil {
		return v, false, err
	}
	var (
		v       noetl.Schedule
		created bool
	)
	err := r.s.inTx(ctx, func(ctx context.Context, ts *Store) error {
		if err := ts.lockXact(ctx, "schedule", in.PlaybookPath); err != nil {
			return err
		}
		tr := scheduleRepo{ts}
		old, ok, err := tr.oldest(ctx, in.PlaybookPath)
		if ok || err != nil {
			v = old
			return err
		}
		v, err = tr.Create(ctx, in)
		created = err == nil
		return err
	})
	if err != nil {
		return noetl.Schedule{}, false, err
	}
	return v, created, nil
}

// oldest returns the playbook's first schedule by id, and whether it has
// one.
func (r scheduleRepo) oldest(ctx context.Context, path string) (noetl.Schedule, bool, error) {
	p, err := r.List(ctx, noetl.ScheduleQuery{PlaybookPath: path, Limit: 1})
	if err != nil || len(p.Items) == 0 {
		return noetl.Schedule{}, false, err
	}
	return p.Items[0], true, nil
}
