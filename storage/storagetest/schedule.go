package storagetest

import (
	"context"

	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() {
	register("schedules", testSchedules)
}

func canonSchedule(s noetl.Schedule) noetl.Schedule {
	s.InputPayload, s.Meta = canon(s.InputPayload), canon(s.Meta)
	return s
}

func countSchedules(t *testing.T, s noetl.Store) int {
	t.Helper()
	p, err := s.Schedules().List(ctx(t), noetl.ScheduleQuery{Limit: noetl.MaxLimit})
	require.NoError(t, err)
	return len(p.Items)
}

func clockAt(hhmmss string) time.Time {
	t, err := time.Parse(time.DateTime, "2030-01-01 "+hhmmss)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func newSchedule(t *testing.T, s noetl.Store, in noetl.NewSchedule) noetl.Schedule {
	t.Helper()
	if in.PlaybookPath == "" {
		in.PlaybookPath = "flows/nightly"
	}
	v, err := s.Schedules().Create(ctx(t), in)
	require.NoError(t, err)
	return v
}

func claimAll(t *testing.T, s noetl.Store, when time.Time) []noetl.ScheduleClaim {
	t.Helper()
	c, err := s.Schedules().Claim(ctx(t), when, 0)
	require.NoError(t, err)
	require.NotNil(t, c)
	return c
}

func testSchedules(t *testing.T, h Harness) {
	store := func(t *testing.T) (noetl.Store, *testClock) {
		clock := newClock(t0) // 2030-01-01 10:17:30 UTC, a Tuesday
		return newWith(t, h, StoreOptions{Now: clock.Now}), clock
	}
	t.Run("CreateWithCronComputesNextRun", func(t *testing.T) {
		s, _ := store(t)
		for cron, want := range map[string]time.Time{
			"*/15 * * * *": clockAt("10:30:00"),
			"@hourly":      clockAt("11:00:00"),
			"0 0 * * *":    clockAt("00:00:00").AddDate(0, 0, 1),
			"@daily":       clockAt("00:00:00").AddDate(0, 0, 1),
			"@every 90s":   t0.Add(90 * time.Second),
			"5 10 * * 2":   clockAt("10:05:00").AddDate(0, 0, 7), // Tuesdays 10:05: next week
		} {
			v := newSchedule(t, s, noetl.NewSchedule{Cron: cron, InputPayload: json.RawMessage(`{"a":1}`), Meta: json.RawMessage(`{"by":"ops"}`)})
			require.NotNil(t, v.NextRunAt, cron)
			assert.Equal(t, want, *v.NextRunAt, cron)
			assert.True(t, v.Enabled)
			assert.Equal(t, "UTC", v.Timezone)
			assert.Nil(t, v.LastRunAt)
			assert.Equal(t, t0, v.CreatedAt)
			got, err := s.Schedules().Get(ctx(t), v.ScheduleID)
			require.NoError(t, err)
			assert.Equal(t, canonSchedule(v), canonSchedule(got), cron)
		}
	})
	t.Run("CronIsReadInTheTimezone", func(t *testing.T) {
		s, _ := store(t)
		v := newSchedule(t, s, noetl.NewSchedule{Cron: "0 9 * * *", Timezone: "America/New_York"})
		assert.Equal(t, "America/New_York", v.Timezone)
		assert.Equal(t, clockAt("14:00:00"), *v.NextRunAt, "09:00 in New York is 14:00 UTC in January")
		assert.Equal(t, time.UTC, v.NextRunAt.Location())
		v = newSchedule(t, s, noetl.NewSchedule{Cron: "30 11 * * *", Timezone: "Asia/Kolkata"})
		assert.Equal(t, clockAt("06:00:00").AddDate(0, 0, 1), *v.NextRunAt, "11:30 in Kolkata (UTC+5:30) is past: tomorrow 06:00 UTC")
	})
	t.Run("CreateWithIntervalComputesNextRun", func(t *testing.T) {
		s, _ := store(t)
		v := newSchedule(t, s, noetl.NewSchedule{IntervalSec: 90, PlaybookVersion: ptr("0.1.2")})
		assert.Equal(t, t0.Add(90*time.Second), *v.NextRunAt)
		assert.Equal(t, 90, *v.IntervalSec)
		assert.Nil(t, v.Cron)
		assert.Equal(t, "0.1.2", *v.PlaybookVersion)
	})
	t.Run("CronAndIntervalTakeTheEarlierRun", func(t *testing.T) {
		s, _ := store(t)
		v := newSchedule(t, s, noetl.NewSchedule{Cron: "@daily", IntervalSec: 600})
		assert.Equal(t, t0.Add(10*time.Minute), *v.NextRunAt, "the interval comes first")
		v = newSchedule(t, s, noetl.NewSchedule{Cron: "*/15 * * * *", IntervalSec: 3600})
		assert.Equal(t, clockAt("10:30:00"), *v.NextRunAt, "the cron slot comes first")
	})
	t.Run("CreateRefusalsAreInvalidAndWriteNothing", func(t *testing.T) {
		s, _ := store(t)
		for name, in := range map[string]noetl.NewSchedule{
			"neither cron nor interval": {PlaybookPath: "p"},
			"negative interval":         {PlaybookPath: "p", IntervalSec: -5},
			"minute out of range":       {PlaybookPath: "p", Cron: "61 * * * *"},
			"three fields":              {PlaybookPath: "p", Cron: "* * *"},
			"six fields":                {PlaybookPath: "p", Cron: "0 * * * * *"},
			"unknown descriptor":        {PlaybookPath: "p", Cron: "@fortnightly"},
			"timezone in the cron":      {PlaybookPath: "p", Cron: "CRON_TZ=Europe/Berlin 0 * * * *"},
			"garbage cron":              {PlaybookPath: "p", Cron: "every day"},
			"unknown timezone":          {PlaybookPath: "p", Cron: "@hourly", Timezone: "Mars/Olympus"},
			"Local timezone":            {PlaybookPath: "p", Cron: "@hourly", Timezone: "Local"},
			"empty path":                {Cron: "@hourly"},
			"bad version":               {PlaybookPath: "p", Cron: "@hourly", PlaybookVersion: ptr("latest")},
			"bad payload":               {PlaybookPath: "p", Cron: "@hourly", InputPayload: json.RawMessage(`{`)},
			"meta not object":           {PlaybookPath: "p", Cron: "@hourly", Meta: json.RawMessage(`"x"`)},
			"never-firing cron":         {PlaybookPath: "p", Cron: "0 0 30 2 *"},
		} {
			_, err := s.Schedules().Create(ctx(t), in)
			assert.ErrorIs(t, err, noetl.ErrInvalid, name)
		}
		assert.Equal(t, 0, countSchedules(t, s))
	})
	t.Run("CreateDisabledHasNoNextRunUntilEnabled", func(t *testing.T) {
		s, clock := store(t)
		v := newSchedule(t, s, noetl.NewSchedule{Cron: "*/15 * * * *", Disabled: true})
		assert.False(t, v.Enabled)
		assert.Nil(t, v.NextRunAt)
		clock.Set(clockAt("11:01:00"))
		e, err := s.Schedules().Enable(ctx(t), v.ScheduleID)
		require.NoError(t, err)
		assert.True(t, e.Enabled)
		assert.Equal(t, clockAt("11:15:00"), *e.NextRunAt, "computed from the time of enabling")
		assert.Equal(t, clockAt("11:01:00"), e.UpdatedAt)
		d, err := s.Schedules().Disable(ctx(t), v.ScheduleID)
		require.NoError(t, err)
		assert.False(t, d.Enabled)
		assert.Nil(t, d.NextRunAt)
		got, err := s.Schedules().Get(ctx(t), v.ScheduleID)
		require.NoError(t, err)
		assert.Equal(t, canonSchedule(d), canonSchedule(got))
		_, err = s.Schedules().Enable(ctx(t), 777)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Schedules().Disable(ctx(t), 777)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
	t.Run("UpdateChangesFieldsAndRecomputesNextRun", func(t *testing.T) {
		s, clock := store(t)
		v := newSchedule(t, s, noetl.NewSchedule{Cron: "@daily", PlaybookVersion: ptr("0.1.0"), Meta: json.RawMessage(`{"a":1}`)})
		clock.Set(clockAt("12:00:10"))
		u, err := s.Schedules().Update(ctx(t), v.ScheduleID, noetl.ScheduleUpdate{
			Cron: ptr("*/5 * * * *"), PlaybookVersion: ptr(""), PlaybookPath: ptr("flows/other"),
			InputPayload: ptr(json.RawMessage(`[1,2]`)), Meta: ptr(json.RawMessage(`{"b":2}`)),
		})
		require.NoError(t, err)
		assert.Equal(t, clockAt("12:05:00"), *u.NextRunAt)
		assert.Equal(t, "flows/other", u.PlaybookPath)
		assert.Nil(t, u.PlaybookVersion, "an empty version clears it")
		assert.JSONEq(t, `{"b":2}`, string(u.Meta))
		assert.Equal(t, clockAt("12:00:10"), u.UpdatedAt)
		assert.Equal(t, v.CreatedAt, u.CreatedAt)
		u, err = s.Schedules().Update(ctx(t), v.ScheduleID, noetl.ScheduleUpdate{IntervalSec: ptr(60), Cron: ptr("")})
		require.NoError(t, err)
		assert.Nil(t, u.Cron)
		assert.Equal(t, 60, *u.IntervalSec)
		assert.Equal(t, clockAt("12:01:10"), *u.NextRunAt)
		u, err = s.Schedules().Update(ctx(t), v.ScheduleID, noetl.ScheduleUpdate{Cron: ptr("0 9 * * *"), Timezone: ptr("Europe/Berlin"), IntervalSec: ptr(0)})
		require.NoError(t, err)
		assert.Nil(t, u.IntervalSec)
		assert.Equal(t, clockAt("08:00:00").AddDate(0, 0, 1), *u.NextRunAt, "09:00 in Berlin is 08:00 UTC in January")
		got, err := s.Schedules().Get(ctx(t), v.ScheduleID)
		require.NoError(t, err)
		assert.Equal(t, canonSchedule(u), canonSchedule(got))
	})
	t.Run("UpdateRefusalsChangeNothing", func(t *testing.T) {
		s, clock := store(t)
		v := newSchedule(t, s, noetl.NewSchedule{Cron: "@hourly"})
		clock.Add(time.Hour)
		for name, u := range map[string]noetl.ScheduleUpdate{
			"clearing the only trigger": {Cron: ptr("")},
			"bad cron":                  {Cron: ptr("* * * * * * *")},
			"unknown timezone":          {Timezone: ptr("Nowhere/City")},
			"negative interval":         {IntervalSec: ptr(-1)},
			"empty path":                {PlaybookPath: ptr("")},
			"bad meta":                  {Meta: ptr(json.RawMessage(`[]`))},
		} {
			_, err := s.Schedules().Update(ctx(t), v.ScheduleID, u)
			assert.ErrorIs(t, err, noetl.ErrInvalid, name)
		}
		got, err := s.Schedules().Get(ctx(t), v.ScheduleID)
		require.NoError(t, err)
		assert.Equal(t, canonSchedule(v), canonSchedule(got))
		_, err = s.Schedules().Update(ctx(t), 4242, noetl.ScheduleUpdate{Cron: ptr("@daily")})
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
	t.Run("UpdateOfDisabledKeepsItWithoutNextRun", func(t *testing.T) {
		s, _ := store(t)
		v := newSchedule(t, s, noetl.NewSchedule{Cron: "@hourly", Disabled: true})
		u, err := s.Schedules().Update(ctx(t), v.ScheduleID, noetl.ScheduleUpdate{Cron: ptr("@daily")})
		require.NoError(t, err)
		assert.False(t, u.Enabled)
		assert.Nil(t, u.NextRunAt)
	})
	t.Run("GetUnknownIsNotFoundAndDeleteRemoves", func(t *testing.T) {
		s, _ := store(t)
		_, err := s.Schedules().Get(ctx(t), 99)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		v := newSchedule(t, s, noetl.NewSchedule{Cron: "@hourly"})
		require.NoError(t, s.Schedules().Delete(ctx(t), v.ScheduleID))
		_, err = s.Schedules().Get(ctx(t), v.ScheduleID)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.ErrorIs(t, s.Schedules().Delete(ctx(t), v.ScheduleID), noetl.ErrNotFound)
	})
	t.Run("ListFiltersByPlaybookAndEnabledAndPages", func(t *testing.T) {
		s, _ := store(t)
		var ids []snowflake.ID
		for _, in := range []noetl.NewSchedule{
			{PlaybookPath: "a", Cron: "@hourly"},
			{PlaybookPath: "b", Cron: "@hourly", Disabled: true},
			{PlaybookPath: "a", IntervalSec: 60, Disabled: true},
			{PlaybookPath: "c", IntervalSec: 60},
		} {
			ids = append(ids, newSchedule(t, s, in).ScheduleID)
		}
		all := func(q noetl.ScheduleQuery) []snowflake.ID {
			var out []snowflake.ID
			for _, v := range allPages(t, func(after string) (noetl.Page[noetl.Schedule], error) {
				q.After = after
				return s.Schedules().List(ctx(t), q)
			}) {
				out = append(out, v.ScheduleID)
			}
			return out
		}
		assert.Equal(t, ids, all(noetl.ScheduleQuery{Limit: 3}))
		assert.Equal(t, []snowflake.ID{ids[0], ids[2]}, all(noetl.ScheduleQuery{PlaybookPath: "a", Limit: 1}))
		assert.Equal(t, []snowflake.ID{ids[0], ids[3]}, all(noetl.ScheduleQuery{Enabled: ptr(true)}))
		assert.Equal(t, []snowflake.ID{ids[2]}, all(noetl.ScheduleQuery{Enabled: ptr(false), PlaybookPath: "a"}))
		assert.Nil(t, all(noetl.ScheduleQuery{PlaybookPath: "zzz"}))
		_, err := s.Schedules().List(ctx(t), noetl.ScheduleQuery{After: "bogus"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("ClaimHandsOutDueScheduleOnceAndMovesNextRun", func(t *testing.T) {
		s, _ := store(t)
		v := newSchedule(t, s, noetl.NewSchedule{Cron: "*/15 * * * *"})
		assert.Empty(t, claimAll(t, s, clockAt("10:29:59")), "not due yet")
		claims := claimAll(t, s, clockAt("10:30:00"))
		require.Len(t, claims, 1)
		c := claims[0]
		assert.Equal(t, v.ScheduleID, c.Schedule.ScheduleID)
		assert.Equal(t, clockAt("10:30:00"), c.Slot)
		assert.Equal(t, clockAt("10:45:00"), *c.Schedule.NextRunAt)
		assert.Equal(t, clockAt("10:30:00"), *c.Schedule.LastRunAt)
		got, err := s.Schedules().Get(ctx(t), v.ScheduleID)
		require.NoError(t, err)
		assert.Equal(t, canonSchedule(c.Schedule), canonSchedule(got))
		assert.Empty(t, claimAll(t, s, clockAt("10:30:00")), "the slot was handed out")
		claims = claimAll(t, s, clockAt("10:45:01"))
		require.Len(t, claims, 1)
		assert.Equal(t, clockAt("10:45:00"), claims[0].Slot)
	})
	t.Run("ClaimAfterDowntimeClaimsMissedSlotsOnce", func(t *testing.T) {
		s, _ := store(t)
		iv := newSchedule(t, s, noetl.NewSchedule{IntervalSec: 60}) // next 10:18:30
		cr := newSchedule(t, s, noetl.NewSchedule{Cron: "*/15 * * * *"})
		late := clockAt("15:07:00") // about 5 hours of missed slots
		claims := claimAll(t, s, late)
		require.Len(t, claims, 2)
		bySchedule := map[snowflake.ID]noetl.ScheduleClaim{}
		for _, c := range claims {
			bySchedule[c.Schedule.ScheduleID] = c
		}
		assert.Equal(t, clockAt("10:18:30"), bySchedule[iv.ScheduleID].Slot, "the earliest missed slot is the one handed out")
		assert.Equal(t, clockAt("15:07:30"), *bySchedule[iv.ScheduleID].Schedule.NextRunAt, "the first interval slot after now")
		assert.Equal(t, clockAt("10:30:00"), bySchedule[cr.ScheduleID].Slot)
		assert.Equal(t, clockAt("15:15:00"), *bySchedule[cr.ScheduleID].Schedule.NextRunAt, "the first cron slot after now")
		assert.Empty(t, claimAll(t, s, late), "missed slots are not handed out one by one")
	})
	t.Run("ClaimTakesEarliestFirstUpToLimit", func(t *testing.T) {
		s, _ := store(t)
		var ids []snowflake.ID
		for _, sec := range []int{300, 60, 240, 120, 180} {
			ids = append(ids, newSchedule(t, s, noetl.NewSchedule{IntervalSec: sec}).ScheduleID)
		}
		var got []snowflake.ID
		for _, want := range []int{2, 2, 1} {
			c, err := s.Schedules().Claim(ctx(t), clockAt("11:00:00"), 2)
			require.NoError(t, err)
			require.Len(t, c, want)
			for _, x := range c {
				got = append(got, x.Schedule.ScheduleID)
			}
		}
		assert.Equal(t, []snowflake.ID{ids[1], ids[3], ids[4], ids[2], ids[0]}, got, "by next run")
		_, err := s.Schedules().Claim(ctx(t), clockAt("11:00:00"), -1)
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("ClaimSkipsDisabled", func(t *testing.T) {
		s, _ := store(t)
		v := newSchedule(t, s, noetl.NewSchedule{IntervalSec: 60})
		_, err := s.Schedules().Disable(ctx(t), v.ScheduleID)
		require.NoError(t, err)
		assert.Empty(t, claimAll(t, s, clockAt("23:00:00")))
	})
	t.Run("RecordRunSetsLastStatus", func(t *testing.T) {
		s, clock := store(t)
		v := newSchedule(t, s, noetl.NewSchedule{IntervalSec: 60})
		clock.Add(time.Minute)
		r, err := s.Schedules().RecordRun(ctx(t), v.ScheduleID, "completed")
		require.NoError(t, err)
		assert.Equal(t, "completed", *r.LastStatus)
		assert.Equal(t, t0.Add(time.Minute), r.UpdatedAt)
		assert.Equal(t, v.NextRunAt, r.NextRunAt, "recording a result does not move the schedule")
		_, err = s.Schedules().RecordRun(ctx(t), 1234, "completed")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Schedules().RecordRun(ctx(t), v.ScheduleID, "")
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		got, err := s.Schedules().Get(ctx(t), v.ScheduleID)
		require.NoError(t, err)
		assert.Equal(t, "completed", *got.LastStatus, "the refused record changed nothing")
	})
	t.Run("ConcurrentClaimersGetEachScheduleOnce", func(t *testing.T) {
		s, _ := store(t)
		want := createDue(t, s, 200)
		checkClaimers(t, want, func(int) noetl.Store { return s }, t0.Add(2*time.Hour))
	})
	if h.NewShared != nil {
		t.Run("SeparateStoresOnOneDatabaseGetEachScheduleOnce", func(t *testing.T) {
			open := h.NewShared(t)
			stores := []noetl.Store{open(t), open(t)}
			want := createDue(t, stores[0], 200)
			checkClaimers(t, want, func(i int) noetl.Store { return stores[i%2] }, time.Now().Add(2*time.Hour))
		})
	}
}

// createDue creates n interval schedules due within the next hour.
func createDue(t *testing.T, s noetl.Store, n int) map[snowflake.ID]time.Time {
	t.Helper()
	want := map[snowflake.ID]time.Time{}
	err := s.InTx(ctx(t), func(_ context.Context, tx noetl.Store) error {
		for i := range n {
			v, err := tx.Schedules().Create(ctx(t), noetl.NewSchedule{PlaybookPath: fmt.Sprintf("flows/%d", i), IntervalSec: 60 + i})
			if err != nil {
				return err
			}
			want[v.ScheduleID] = *v.NextRunAt
		}
		return nil
	})
	require.NoError(t, err)
	return want
}

// checkClaimers runs 8 claimers at once, each claiming small batches until
// nothing is due, and checks every (schedule, slot) was handed out once.
func checkClaimers(t *testing.T, want map[snowflake.ID]time.Time, storeOf func(int) noetl.Store, when time.Time) {
	t.Helper()
	const claimers = 8
	var (
		mu   sync.Mutex
		seen = map[snowflake.ID]int{}
		wg   sync.WaitGroup
		errs = make([]error, claimers)
	)
	start := make(chan struct{})
	for i := range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for {
				c, err := storeOf(i).Schedules().Claim(ctx(t), when, 7)
				if err != nil {
					errs[i] = err
					return
				}
				if len(c) == 0 {
					return
				}
				mu.Lock()
				for _, x := range c {
					seen[x.Schedule.ScheduleID]++
					if !x.Slot.Equal(want[x.Schedule.ScheduleID]) {
						errs[i] = fmt.Errorf("schedule %s: slot %s, want %s", x.Schedule.ScheduleID, x.Slot, want[x.Schedule.ScheduleID])
					}
				}
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "claimer %d", i)
	}
	assert.Len(t, seen, len(want), "every due schedule was claimed")
	for id, n := range seen {
		assert.Equal(t, 1, n, "schedule %s claimed %d times", id, n)
		_, ok := want[id]
		assert.True(t, ok, "schedule %s was created by this test", id)
	}
}
