package sqlstore

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

func mustTrigger(t *testing.T, cron string, interval int, tz string, now time.Time) trigger {
	t.Helper()
	var c *string
	if cron != "" {
		c = &cron
	}
	var iv *int
	if interval != 0 {
		iv = &interval
	}
	tr, err := parseTrigger(c, iv, tz, now)
	require.NoError(t, err)
	return tr
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestTriggerAfterSkipsMissedSlots(t *testing.T) {
	now := utc("2030-01-01T10:17:30Z")
	iv := mustTrigger(t, "", 60, "", now)
	assert.Equal(t, utc("2030-01-01T10:18:30Z"), *iv.first(now))
	// Claimed on time: the next slot.
	assert.Equal(t, utc("2030-01-01T10:19:30Z"), *iv.after(utc("2030-01-01T10:18:30Z"), utc("2030-01-01T10:18:30Z")))
	// Claimed after five hours down: the first slot after the claim, in phase.
	assert.Equal(t, utc("2030-01-01T15:07:30Z"), *iv.after(utc("2030-01-01T10:18:30Z"), utc("2030-01-01T15:07:00Z")))
	assert.Equal(t, utc("2030-01-01T15:08:30Z"), *iv.after(utc("2030-01-01T10:18:30Z"), utc("2030-01-01T15:07:30Z")), "strictly after")

	cr := mustTrigger(t, "*/15 * * * *", 0, "", now)
	assert.Equal(t, utc("2030-01-01T10:30:00Z"), *cr.first(now))
	assert.Equal(t, utc("2030-01-01T10:45:00Z"), *cr.after(utc("2030-01-01T10:30:00Z"), utc("2030-01-01T10:30:00Z")))
	assert.Equal(t, utc("2030-01-01T15:15:00Z"), *cr.after(utc("2030-01-01T10:30:00Z"), utc("2030-01-01T15:07:00Z")))

	both := mustTrigger(t, "@daily", 600, "", now)
	assert.Equal(t, now.Add(10*time.Minute), *both.first(now))
	assert.Equal(t, utc("2030-01-02T00:00:00Z"), *both.after(utc("2030-01-01T23:55:00Z"), utc("2030-01-01T23:59:00Z")), "the cron slot comes before the interval's 00:05")
}

func TestTriggerCronAcrossDaylightSaving(t *testing.T) {
	// Berlin springs forward on 2030-03-31 at 02:00 local; 02:30 does not
	// exist that day. Slots stay at 02:30 local on the days around it.
	now := utc("2030-03-30T12:00:00Z")
	tr := mustTrigger(t, "30 2 * * *", 0, "Europe/Berlin", now)
	first := *tr.first(now)
	assert.Equal(t, time.UTC, first.Location())
	next := *tr.after(first, first)
	assert.True(t, next.After(first))
	assert.Equal(t, "02:30", next.In(tr.loc).Format("15:04"))
}

func TestParseTriggerRefusals(t *testing.T) {
	now := utc("2030-01-01T10:00:00Z")
	neg, zero := -1, 0
	for name, c := range map[string]struct {
		cron *string
		iv   *int
		tz   string
	}{
		"nothing":        {},
		"negative":       {iv: &neg},
		"zero":           {iv: &zero},
		"bad cron":       {cron: ptrTo("nope")},
		"seconds field":  {cron: ptrTo("0 0 * * * *")},
		"CRON_TZ prefix": {cron: ptrTo("CRON_TZ=UTC @hourly")},
		"TZ prefix":      {cron: ptrTo("TZ=UTC @hourly")},
		"never fires":    {cron: ptrTo("0 0 31 2 *")},
		"unknown zone":   {cron: ptrTo("@hourly"), tz: "Moon/Base"},
		"Local zone":     {cron: ptrTo("@hourly"), tz: "Local"},
	} {
		_, err := parseTrigger(c.cron, c.iv, c.tz, now)
		assert.ErrorIs(t, err, noetl.ErrInvalid, name)
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestVersionKeyAndNext(t *testing.T) {
	assert.Equal(t, [3]int64{0, 1, 10}, keyOf("0.1.10"))
	assert.Equal(t, [3]int64{1, 2, 3}, keyOf("01.2.3"))
	for _, bad := range []string{"latest", "1.2", "1.2.3.4", "1..3", "a.b.c", "1.2.3-rc"} {
		assert.Equal(t, [3]int64{-1, -1, -1}, keyOf(bad), bad)
	}
	for latest, want := range map[string]string{"": noetl.FirstVersion, "0.1.9": "0.1.10", "01.2.3": "1.2.4", "latest": noetl.FirstVersion} {
		got, err := nextVersion("p", latest)
		require.NoError(t, err, latest)
		assert.Equal(t, want, got, latest)
	}
	for _, full := range []string{"0.1.999999999", "0.1.1000000000", "1000000000.0.1"} {
		_, err := nextVersion("p", full)
		assert.ErrorIs(t, err, noetl.ErrConflict, full)
	}
}
