package storagetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() { register("errorlog", testErrorLog) }

func countErrors(t *testing.T, s noetl.Store) int {
	t.Helper()
	p, err := s.Errors().List(ctx(t), noetl.ErrorLogQuery{Limit: noetl.MaxLimit})
	require.NoError(t, err)
	return len(p.Items)
}

func errorIDs(items []noetl.ErrorLog) []snowflake.ID {
	ids := []snowflake.ID{}
	for _, e := range items {
		ids = append(ids, e.ErrorID)
	}
	return ids
}

func testErrorLog(t *testing.T, h Harness) {
	t.Run("RecordDefaultsAndGetBack", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		before := time.Now().Add(-time.Second)
		e, err := s.Errors().Record(ctx(t), noetl.NewErrorLog{
			ErrorType: "HTTPError", ErrorMessage: "502 from upstream", ExecutionID: ptr(exec),
			StepID: ptr("fetch"), StepName: ptr("Fetch"), TemplateString: ptr("{{ url }}"),
			ContextData: json.RawMessage(`{"url":"x"}`), StackTrace: ptr("trace"),
			InputData: json.RawMessage(`[1]`), OutputData: json.RawMessage(`null`),
		})
		require.NoError(t, err)
		assert.NotZero(t, e.ErrorID)
		assert.Equal(t, s.IDs().Shard(), e.ErrorID.Shard(), "the id comes from the store's generator")
		assert.Equal(t, noetl.SeverityError, e.Severity, "severity defaults to error")
		assert.False(t, e.Resolved)
		assert.Nil(t, e.ResolutionNotes)
		assert.Nil(t, e.ResolutionTimestamp)
		assert.True(t, e.Timestamp.After(before))
		got, err := s.Errors().Get(ctx(t), e.ErrorID)
		require.NoError(t, err)
		assert.JSONEq(t, `{"url":"x"}`, string(got.ContextData))
		assert.JSONEq(t, `[1]`, string(got.InputData))
		assert.JSONEq(t, `null`, string(got.OutputData))
		got.ContextData, got.InputData, got.OutputData = e.ContextData, e.InputData, e.OutputData
		assert.Equal(t, e, got)
	})
	t.Run("RecordWithoutExecutionAndWithTime", func(t *testing.T) {
		s := h.New(t)
		e, err := s.Errors().Record(ctx(t), noetl.NewErrorLog{ErrorType: "Boot", ErrorMessage: "m", Severity: noetl.SeverityCritical, Timestamp: execAt(3)})
		require.NoError(t, err)
		assert.Nil(t, e.ExecutionID)
		assert.Equal(t, execAt(3), e.Timestamp)
		got, err := s.Errors().Get(ctx(t), e.ErrorID)
		require.NoError(t, err)
		assert.Equal(t, e, got)
	})
	t.Run("RecordForUnknownExecutionIsNotFoundAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Errors().Record(ctx(t), noetl.NewErrorLog{ErrorType: "E", ErrorMessage: "m", ExecutionID: ptr(snowflake.ID(321))})
		require.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Contains(t, err.Error(), "321")
		assert.Zero(t, countErrors(t, s))
	})
	bad := []struct {
		name string
		in   noetl.NewErrorLog
	}{
		{"NoType", noetl.NewErrorLog{ErrorMessage: "m"}},
		{"MultilineType", noetl.NewErrorLog{ErrorType: "a\nb", ErrorMessage: "m"}},
		{"NoMessage", noetl.NewErrorLog{ErrorType: "E"}},
		{"MessageNotUTF8", noetl.NewErrorLog{ErrorType: "E", ErrorMessage: "\xff"}},
		{"UnknownSeverity", noetl.NewErrorLog{ErrorType: "E", ErrorMessage: "m", Severity: "fatal"}},
		{"ContextNotJSON", noetl.NewErrorLog{ErrorType: "E", ErrorMessage: "m", ContextData: json.RawMessage("{")}},
		{"InputNotJSON", noetl.NewErrorLog{ErrorType: "E", ErrorMessage: "m", InputData: json.RawMessage("nope")}},
		{"OutputWithNULEscape", noetl.NewErrorLog{ErrorType: "E", ErrorMessage: "m", OutputData: json.RawMessage(`"\u0000"`)}},
		{"ZeroExecution", noetl.NewErrorLog{ErrorType: "E", ErrorMessage: "m", ExecutionID: ptr(snowflake.ID(0))}},
		{"StackTraceWithNUL", noetl.NewErrorLog{ErrorType: "E", ErrorMessage: "m", StackTrace: ptr("\x00")}},
	}
	for _, c := range bad {
		t.Run("RecordInvalid"+c.name+"WritesNothing", func(t *testing.T) {
			s := h.New(t)
			_, err := s.Errors().Record(ctx(t), c.in)
			assert.ErrorIs(t, err, noetl.ErrInvalid)
			assert.Zero(t, countErrors(t, s))
		})
	}
	t.Run("GetUnknownIsNotFound", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Errors().Get(ctx(t), 5150)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Contains(t, err.Error(), "5150")
	})
	t.Run("ResolveOnceThenConflictKeepsFirstResolution", func(t *testing.T) {
		s := h.New(t)
		e, err := s.Errors().Record(ctx(t), noetl.NewErrorLog{ErrorType: "E", ErrorMessage: "m"})
		require.NoError(t, err)
		r, err := s.Errors().Resolve(ctx(t), e.ErrorID, "restarted the worker")
		require.NoError(t, err)
		assert.True(t, r.Resolved)
		require.NotNil(t, r.ResolutionNotes)
		assert.Equal(t, "restarted the worker", *r.ResolutionNotes)
		require.NotNil(t, r.ResolutionTimestamp)
		assert.Equal(t, time.UTC, r.ResolutionTimestamp.Location())
		_, err = s.Errors().Resolve(ctx(t), e.ErrorID, "again")
		require.ErrorIs(t, err, noetl.ErrConflict)
		assert.Contains(t, err.Error(), "already resolved")
		got, err := s.Errors().Get(ctx(t), e.ErrorID)
		require.NoError(t, err)
		assert.Equal(t, r, got)
	})
	t.Run("ResolveWithoutNotes", func(t *testing.T) {
		s := h.New(t)
		e, err := s.Errors().Record(ctx(t), noetl.NewErrorLog{ErrorType: "E", ErrorMessage: "m"})
		require.NoError(t, err)
		r, err := s.Errors().Resolve(ctx(t), e.ErrorID, "")
		require.NoError(t, err)
		assert.True(t, r.Resolved)
		assert.Nil(t, r.ResolutionNotes)
	})
	t.Run("ResolveRefusals", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Errors().Resolve(ctx(t), 999, "x")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		e, err := s.Errors().Record(ctx(t), noetl.NewErrorLog{ErrorType: "E", ErrorMessage: "m"})
		require.NoError(t, err)
		_, err = s.Errors().Resolve(ctx(t), e.ErrorID, "bad \xff notes")
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		got, err := s.Errors().Get(ctx(t), e.ErrorID)
		require.NoError(t, err)
		assert.False(t, got.Resolved, "a refused resolve changes nothing")
	})
	t.Run("ListFiltersByExecutionTypeSeverityResolvedAndTime", func(t *testing.T) {
		s := h.New(t)
		a, b := newWorkload(t, s), newWorkload(t, s)
		rec := func(exec *snowflake.ID, typ string, sev noetl.Severity, minute int) noetl.ErrorLog {
			e, err := s.Errors().Record(ctx(t), noetl.NewErrorLog{ErrorType: typ, ErrorMessage: "m", ExecutionID: exec, Severity: sev, Timestamp: execAt(minute)})
			require.NoError(t, err)
			return e
		}
		e0 := rec(&a, "HTTP", noetl.SeverityError, 1)
		e1 := rec(&a, "Timeout", noetl.SeverityWarning, 2)
		e2 := rec(&b, "HTTP", noetl.SeverityCritical, 3)
		e3 := rec(nil, "HTTP", noetl.SeverityError, 4)
		_, err := s.Errors().Resolve(ctx(t), e1.ErrorID, "ok")
		require.NoError(t, err)
		cases := []struct {
			name string
			q    noetl.ErrorLogQuery
			want []noetl.ErrorLog
		}{
			{"All", noetl.ErrorLogQuery{}, []noetl.ErrorLog{e3, e2, e1, e0}},
			{"Execution", noetl.ErrorLogQuery{ExecutionID: &a}, []noetl.ErrorLog{e1, e0}},
			{"Type", noetl.ErrorLogQuery{ErrorType: "HTTP"}, []noetl.ErrorLog{e3, e2, e0}},
			{"Severity", noetl.ErrorLogQuery{Severity: noetl.SeverityError}, []noetl.ErrorLog{e3, e0}},
			{"Resolved", noetl.ErrorLogQuery{Resolved: ptr(true)}, []noetl.ErrorLog{e1}},
			{"Unresolved", noetl.ErrorLogQuery{Resolved: ptr(false)}, []noetl.ErrorLog{e3, e2, e0}},
			{"SinceInclusive", noetl.ErrorLogQuery{Since: execAt(2)}, []noetl.ErrorLog{e3, e2, e1}},
			{"UntilExclusive", noetl.ErrorLogQuery{Until: execAt(2)}, []noetl.ErrorLog{e0}},
			{"Range", noetl.ErrorLogQuery{Since: execAt(2), Until: execAt(4)}, []noetl.ErrorLog{e2, e1}},
			{"Combined", noetl.ErrorLogQuery{ExecutionID: &a, ErrorType: "HTTP", Resolved: ptr(false)}, []noetl.ErrorLog{e0}},
			{"None", noetl.ErrorLogQuery{ErrorType: "Nope"}, []noetl.ErrorLog{}},
		}
		for _, c := range cases {
			p, err := s.Errors().List(ctx(t), c.q)
			require.NoError(t, err, c.name)
			assert.Equal(t, errorIDs(c.want), errorIDs(p.Items), c.name)
		}
	})
	t.Run("ListNewestFirstInKeysetPagesWithTies", func(t *testing.T) {
		s := h.New(t)
		var want []snowflake.ID
		for i := range 7 {
			e, err := s.Errors().Record(ctx(t), noetl.NewErrorLog{ErrorType: "E", ErrorMessage: "m", Timestamp: execAt(i / 2)})
			require.NoError(t, err)
			want = append([]snowflake.ID{e.ErrorID}, want...)
		}
		got := errorIDs(allPages(t, func(after string) (noetl.Page[noetl.ErrorLog], error) {
			p, err := s.Errors().List(ctx(t), noetl.ErrorLogQuery{Limit: 3, After: after})
			assert.LessOrEqual(t, len(p.Items), 3)
			return p, err
		}))
		assert.Equal(t, want, got)
	})
	t.Run("ListInvalidQueries", func(t *testing.T) {
		s := h.New(t)
		for name, q := range map[string]noetl.ErrorLogQuery{
			"Severity":        {Severity: "fatal"},
			"SinceAfterUntil": {Since: execAt(5), Until: execAt(1)},
			"SinceIsUntil":    {Since: execAt(5), Until: execAt(5)},
			"Limit":           {Limit: -1},
			"Cursor":          {After: "x y"},
		} {
			_, err := s.Errors().List(ctx(t), q)
			assert.ErrorIs(t, err, noetl.ErrInvalid, name)
		}
	})
}
