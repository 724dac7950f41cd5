package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() { register("events", testEvents) }

// countEvents counts an execution's events by paging through them.
func countEvents(t *testing.T, s noetl.Store, exec snowflake.ID) int {
	t.Helper()
	n := 0
	q := noetl.EventQuery{Limit: noetl.MaxLimit}
	for {
		p, err := s.Events().List(ctx(t), exec, q)
		require.NoError(t, err)
		n += len(p.Items)
		if p.Next == "" {
			return n
		}
		q.After = p.Next
	}
}

func eventIDs(events []noetl.Event) []snowflake.ID {
	ids := make([]snowflake.ID, len(events))
	for i, e := range events {
		ids[i] = e.EventID
	}
	return ids
}

// trickyText are texts that would end, comment out or break a statement
// they were written into, and texts easily mistaken for NULL or lost.
var trickyText = []string{
	"", "'", "''", "it's", "'); DROP TABLE event_log; --", `\`, `\'`, `"quoted"`, "?", "?1", "$1", ":name",
	"@x", "-- comment", "/* comment", "*/", ";", "tab\tnew\nline\r", "é 漢字 🙂", "\u2028\u2029", "NULL", "null",
	"x'00'", "X'41'", "0x41", "1e999", "-0", strings.Repeat("'", 1000), strings.Repeat("ab'", 5000),
}

// trickyDurations are durations whose decimal forms are long, tiny, whole
// or at the bounds.
var trickyDurations = []float64{0, 5e-324, 2.2250738585072014e-308, 0.1, 1.0 / 3, 2, 1e12, 999999999999.9999,
	123456.78901234567, math.Nextafter(1, 2), 1e-7, 7e22 / 1e11}

// trickyIndexes are current indexes at and near the bounds.
var trickyIndexes = []int{0, 1, 255, 256, 65536, noetl.MaxCurrentIndex - 1, noetl.MaxCurrentIndex}

// trickyJSON are JSON values with quotes, escapes and separators inside.
var trickyJSON = []json.RawMessage{
	nil, json.RawMessage(`"it's"`), json.RawMessage(`{"q":"'); DROP TABLE x; --","b":"\\","u":"\u0027\u00e9"}`),
	json.RawMessage(`[1,2.5,-0.125,1e300,"?",null,true]`), json.RawMessage(`{}`), json.RawMessage(`"🙂\n"`),
}

// fullEvent sets every column of event_log.
func fullEvent(exec snowflake.ID, id snowflake.ID) noetl.Event {
	return noetl.Event{
		ExecutionID: exec, EventID: id, ParentEventID: ptr(snowflake.ID(11)), ParentExecutionID: ptr(snowflake.ID(22)),
		Timestamp: execAt(7), EventType: ptr("step_end"), NodeID: ptr("fetch"), NodeName: ptr("Fetch data"),
		NodeType: ptr("http"), Status: ptr("COMPLETED"), Duration: ptr(1.25),
		InputContext: json.RawMessage(`{"url":"https://example.com","big":12345678901234567890}`),
		OutputResult: json.RawMessage(`[1,2,{"ok":true}]`), Metadata: json.RawMessage(`{"attempt":2}`),
		Error: ptr("none"), LoopID: ptr("loop-1"), LoopName: ptr("cities"), Iterator: ptr("city"),
		Items: ptr(`["a","b"]`), CurrentIndex: ptr(1), CurrentItem: ptr(`"b"`), WorkerID: ptr("w-7"),
		DistributedState: ptr("done"), ContextKey: ptr("k"), ContextValue: ptr("v"),
		TraceComponent: json.RawMessage(`"tracer"`), StackTrace: ptr("at main()\n  line 2"),
	}
}

// assertEventEqual compares events with JSON compared as JSON (PostgreSQL's
// JSONB normalises spacing).
func assertEventEqual(t *testing.T, want, got noetl.Event) {
	t.Helper()
	for _, j := range []struct{ w, g *json.RawMessage }{
		{&want.InputContext, &got.InputContext}, {&want.OutputResult, &got.OutputResult},
		{&want.Metadata, &got.Metadata}, {&want.TraceComponent, &got.TraceComponent},
	} {
		if len(*j.w) == 0 {
			assert.Empty(t, *j.g)
		} else {
			assert.JSONEq(t, string(*j.w), string(*j.g))
		}
		*j.w, *j.g = nil, nil
	}
	assert.Equal(t, want, got)
}

func testEvents(t *testing.T, h Harness) {
	t.Run("AppendTakesIDFromGeneratorAndTimeNow", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		before := time.Now().Add(-time.Second)
		e, err := s.Events().Append(ctx(t), noetl.Event{ExecutionID: exec, EventType: ptr("execution_start")})
		require.NoError(t, err)
		assert.NotZero(t, e.EventID)
		assert.Equal(t, s.IDs().Shard(), e.EventID.Shard())
		assert.True(t, e.Timestamp.After(before))
		assert.Equal(t, time.UTC, e.Timestamp.Location())
		got, err := s.Events().Get(ctx(t), exec, e.EventID)
		require.NoError(t, err)
		assert.Equal(t, e, got)
	})
	t.Run("AppendKeepsCallerIDAndEveryField", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		in := fullEvent(exec, s.IDs().MustNext())
		e, err := s.Events().Append(ctx(t), in)
		require.NoError(t, err)
		assert.Equal(t, in, e)
		got, err := s.Events().Get(ctx(t), exec, in.EventID)
		require.NoError(t, err)
		assertEventEqual(t, in, got)
	})
	t.Run("AppendToUnknownExecutionIsNotFoundAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Events().Append(ctx(t), noetl.Event{ExecutionID: 606})
		require.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Contains(t, err.Error(), "606")
		assert.Zero(t, countEvents(t, s, 606))
	})
	t.Run("AppendDuplicateIDIsConflictAndKeepsFirst", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		e, err := s.Events().Append(ctx(t), noetl.Event{ExecutionID: exec, Status: ptr("first")})
		require.NoError(t, err)
		_, err = s.Events().Append(ctx(t), noetl.Event{ExecutionID: exec, EventID: e.EventID, Status: ptr("second")})
		require.ErrorIs(t, err, noetl.ErrConflict)
		assert.Contains(t, err.Error(), e.EventID.String())
		got, err := s.Events().Get(ctx(t), exec, e.EventID)
		require.NoError(t, err)
		assert.Equal(t, "first", *got.Status)
		assert.Equal(t, 1, countEvents(t, s, exec))
	})
	bad := []struct {
		name string
		edit func(e *noetl.Event)
	}{
		{"NoExecution", func(e *noetl.Event) { e.ExecutionID = 0 }},
		{"InputContextNotJSON", func(e *noetl.Event) { e.InputContext = json.RawMessage(`{nope`) }},
		{"OutputResultNotJSON", func(e *noetl.Event) { e.OutputResult = json.RawMessage(`[1,`) }},
		{"MetadataNotJSON", func(e *noetl.Event) { e.Metadata = json.RawMessage(`x`) }},
		{"TraceComponentNotJSON", func(e *noetl.Event) { e.TraceComponent = json.RawMessage(`{"a":}`) }},
		{"JSONWithNULEscape", func(e *noetl.Event) { e.Metadata = json.RawMessage(`{"a":"x\u0000y"}`) }},
		{"JSONWithLoneSurrogate", func(e *noetl.Event) { e.InputContext = json.RawMessage(`"\ud800"`) }},
		{"JSONNotUTF8", func(e *noetl.Event) { e.OutputResult = json.RawMessage("\"\xff\"") }},
		{"NegativeDuration", func(e *noetl.Event) { e.Duration = ptr(-1.0) }},
		{"NaNDuration", func(e *noetl.Event) { e.Duration = ptr(math.NaN()) }},
		{"InfiniteDuration", func(e *noetl.Event) { e.Duration = ptr(math.Inf(1)) }},
		{"CurrentIndexPast32Bits", func(e *noetl.Event) { e.CurrentIndex = ptr(noetl.MaxCurrentIndex + 1) }},
		{"NegativeCurrentIndex", func(e *noetl.Event) { e.CurrentIndex = ptr(-1) }},
		{"StatusNotUTF8", func(e *noetl.Event) { e.Status = ptr("\xc3") }},
		{"ErrorWithNUL", func(e *noetl.Event) { e.Error = ptr("a\x00b") }},
		{"TimestampPastYear9999", func(e *noetl.Event) { e.Timestamp = time.Date(295000, 1, 1, 0, 0, 0, 0, time.UTC) }},
	}
	for _, c := range bad {
		t.Run("AppendInvalid"+c.name+"WritesNothing", func(t *testing.T) {
			s := h.New(t)
			exec := newWorkload(t, s)
			e := fullEvent(exec, 0)
			c.edit(&e)
			_, err := s.Events().Append(ctx(t), e)
			assert.ErrorIs(t, err, noetl.ErrInvalid)
			assert.Zero(t, countEvents(t, s, exec))
		})
		t.Run("BatchWithOne"+c.name+"RowWritesNothing", func(t *testing.T) {
			s := h.New(t)
			exec := newWorkload(t, s)
			batch := make([]noetl.Event, 50)
			for i := range batch {
				batch[i] = fullEvent(exec, 0)
			}
			c.edit(&batch[37])
			err := s.Events().AppendBatch(ctx(t), batch)
			require.ErrorIs(t, err, noetl.ErrInvalid)
			assert.Contains(t, err.Error(), "event 37")
			assert.Zero(t, countEvents(t, s, exec))
		})
	}
	t.Run("BatchFillsIDsInSliceOrderAndWritesAll", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		own := s.IDs().MustNext()
		batch := make([]noetl.Event, 1200)
		for i := range batch {
			batch[i] = noetl.Event{ExecutionID: exec, NodeID: ptr(fmt.Sprintf("n%d", i%7)), CurrentIndex: ptr(i)}
		}
		batch[5].EventID = own
		require.NoError(t, s.Events().AppendBatch(ctx(t), batch))
		assert.Equal(t, own, batch[5].EventID, "a caller's id is kept")
		for i := 1; i < len(batch); i++ {
			if i == 5 || i == 6 {
				continue
			}
			require.Greater(t, batch[i].EventID, batch[i-1].EventID, "ids increase along the slice")
			require.False(t, batch[i].Timestamp.IsZero())
		}
		// 1200 events in pages of 500: ten pages at most, so a Limit above
		// the default is honoured.
		pages := 0
		got := allPages(t, func(after string) (noetl.Page[noetl.Event], error) {
			require.Less(t, pages, 10)
			pages++
			return s.Events().List(ctx(t), exec, noetl.EventQuery{Limit: 500, After: after})
		})
		require.Equal(t, eventIDs(batch), eventIDs(got), "listed in the order appended, the caller's id in its place")
		byID := map[snowflake.ID]noetl.Event{}
		for _, e := range got {
			byID[e.EventID] = e
		}
		for _, e := range batch {
			assert.Equal(t, e, byID[e.EventID])
		}
	})
	t.Run("BatchKeepsEveryField", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		batch := []noetl.Event{fullEvent(exec, s.IDs().MustNext()), {ExecutionID: exec}}
		require.NoError(t, s.Events().AppendBatch(ctx(t), batch))
		for _, e := range batch {
			got, err := s.Events().Get(ctx(t), exec, e.EventID)
			require.NoError(t, err)
			assertEventEqual(t, e, got)
		}
	})
	t.Run("BatchKeepsQuotesSeparatorsAndExtremeNumbersInEveryRow", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		// More rows than one statement of a batch writes, each text field
		// holding a value that would end or break a statement written out.
		batch := make([]noetl.Event, 700)
		for i := range batch {
			text := func(k int) *string { return ptr(trickyText[(i+k)%len(trickyText)]) }
			batch[i] = noetl.Event{
				ExecutionID: exec, EventType: text(0), NodeID: text(1), NodeName: text(2), NodeType: text(3),
				Status: text(4), Error: text(5), LoopID: text(6), LoopName: text(7), Iterator: text(8), Items: text(9),
				CurrentItem: text(10), WorkerID: text(11), DistributedState: text(12), ContextKey: text(13),
				ContextValue: text(14), StackTrace: text(15),
				Duration:     ptr(trickyDurations[i%len(trickyDurations)]),
				CurrentIndex: ptr(trickyIndexes[i%len(trickyIndexes)]),
				InputContext: trickyJSON[i%len(trickyJSON)], OutputResult: trickyJSON[(i+1)%len(trickyJSON)],
				Metadata: trickyJSON[(i+2)%len(trickyJSON)], TraceComponent: trickyJSON[(i+3)%len(trickyJSON)],
			}
		}
		require.NoError(t, s.Events().AppendBatch(ctx(t), batch))
		got := allPages(t, func(after string) (noetl.Page[noetl.Event], error) {
			return s.Events().List(ctx(t), exec, noetl.EventQuery{Limit: noetl.MaxLimit, After: after})
		})
		require.Len(t, got, len(batch))
		for i := range batch {
			assertEventEqual(t, batch[i], got[i])
			require.Equal(t, math.Float64bits(*batch[i].Duration), math.Float64bits(*got[i].Duration), "duration %v of event %d", *batch[i].Duration, i)
		}
	})
	t.Run("BatchSpanningExecutions", func(t *testing.T) {
		s := h.New(t)
		a, b := newWorkload(t, s), newWorkload(t, s)
		require.NoError(t, s.Events().AppendBatch(ctx(t), []noetl.Event{{ExecutionID: a}, {ExecutionID: b}, {ExecutionID: a}}))
		assert.Equal(t, 2, countEvents(t, s, a))
		assert.Equal(t, 1, countEvents(t, s, b))
	})
	t.Run("BatchWithDuplicateInsideIsConflictAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		id := s.IDs().MustNext()
		batch := make([]noetl.Event, 300)
		for i := range batch {
			batch[i] = noetl.Event{ExecutionID: exec}
		}
		batch[10].EventID, batch[250].EventID = id, id
		err := s.Events().AppendBatch(ctx(t), batch)
		require.ErrorIs(t, err, noetl.ErrConflict)
		assert.Zero(t, countEvents(t, s, exec))
	})
	// storedIDAt appends one event, then a batch of n whose event at is
	// given the stored one's id: the batch is a conflict and writes nothing.
	storedIDAt := func(t *testing.T, n, at int) {
		s := h.New(t)
		exec := newWorkload(t, s)
		stored, err := s.Events().Append(ctx(t), noetl.Event{ExecutionID: exec})
		require.NoError(t, err)
		batch := make([]noetl.Event, n)
		for i := range batch {
			batch[i] = noetl.Event{ExecutionID: exec}
		}
		batch[at].EventID = stored.EventID
		err = s.Events().AppendBatch(ctx(t), batch)
		require.ErrorIs(t, err, noetl.ErrConflict)
		assert.Equal(t, 1, countEvents(t, s, exec))
	}
	t.Run("BatchWithIDAlreadyStoredIsConflictAndWritesNothing", func(t *testing.T) {
		storedIDAt(t, 300, 299)
	})
	t.Run("BatchWithIDAlreadyStoredLateInALongBatchIsConflictAndWritesNothing", func(t *testing.T) {
		// Far enough in that the rows before it take statements of their
		// own where a backend splits a batch.
		storedIDAt(t, 1200, 1150)
	})
	t.Run("BatchWithUnknownExecutionIsNotFoundAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		batch := make([]noetl.Event, 100)
		for i := range batch {
			batch[i] = noetl.Event{ExecutionID: exec}
		}
		batch[60].ExecutionID = 4711
		err := s.Events().AppendBatch(ctx(t), batch)
		require.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Contains(t, err.Error(), "4711")
		assert.Zero(t, countEvents(t, s, exec))
	})
	t.Run("EmptyBatchDoesNothing", func(t *testing.T) {
		s := h.New(t)
		assert.NoError(t, s.Events().AppendBatch(ctx(t), nil))
		assert.NoError(t, s.Events().AppendBatch(ctx(t), []noetl.Event{}))
	})
	t.Run("BatchWithCancelledContextWritesNothing", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		c, cancel := contextWithCancel(t)
		cancel()
		err := s.Events().AppendBatch(c, make4Events(exec))
		assert.ErrorIs(t, err, context.Canceled)
		assert.Zero(t, countEvents(t, s, exec))
	})
	t.Run("BatchInsideInTxRollsBackWithTheTransaction", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		boom := errors.New("later failure")
		err := s.InTx(ctx(t), func(_ context.Context, tx noetl.Store) error {
			if err := tx.Events().AppendBatch(ctx(t), make4Events(exec)); err != nil {
				return err
			}
			if n := countEvents(t, tx, exec); n != 4 {
				return fmt.Errorf("inside the transaction %d events, want 4", n)
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		assert.Zero(t, countEvents(t, s, exec))
	})
	t.Run("GetUnknownIsNotFound", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		e, err := s.Events().Append(ctx(t), noetl.Event{ExecutionID: exec})
		require.NoError(t, err)
		_, err = s.Events().Get(ctx(t), exec, 9)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Events().Get(ctx(t), exec+1, e.EventID)
		assert.ErrorIs(t, err, noetl.ErrNotFound, "an event is found within its own execution only")
	})
	t.Run("ListFiltersByTypeStatusNodeIDAndName", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		other := newWorkload(t, s)
		mk := func(typ, status, node, name string) noetl.Event {
			return noetl.Event{ExecutionID: exec, EventType: ptr(typ), Status: ptr(status), NodeID: ptr(node), NodeName: ptr(name)}
		}
		batch := []noetl.Event{
			mk("step_start", "RUNNING", "a", "A"), mk("step_end", "COMPLETED", "a", "A"),
			mk("step_start", "RUNNING", "b", "B"), mk("step_end", "FAILED", "b", "B"),
			mk("step_start", "RUNNING", "b", "B2"), mk("step_end", "COMPLETED", "b", "B2"),
			{ExecutionID: other, EventType: ptr("step_end"), Status: ptr("COMPLETED"), NodeID: ptr("a"), NodeName: ptr("A")},
		}
		require.NoError(t, s.Events().AppendBatch(ctx(t), batch))
		cases := []struct {
			q    noetl.EventQuery
			want []int
		}{
			{noetl.EventQuery{}, []int{0, 1, 2, 3, 4, 5}},
			{noetl.EventQuery{EventType: "step_end"}, []int{1, 3, 5}},
			{noetl.EventQuery{Status: "COMPLETED"}, []int{1, 5}},
			{noetl.EventQuery{NodeID: "b"}, []int{2, 3, 4, 5}},
			{noetl.EventQuery{NodeName: "B2"}, []int{4, 5}},
			{noetl.EventQuery{NodeID: "b", EventType: "step_end", Status: "FAILED"}, []int{3}},
			{noetl.EventQuery{NodeID: "zzz"}, []int{}},
		}
		for _, c := range cases {
			p, err := s.Events().List(ctx(t), exec, c.q)
			require.NoError(t, err)
			want := []snowflake.ID{}
			for _, i := range c.want {
				want = append(want, batch[i].EventID)
			}
			assert.Equal(t, want, eventIDs(p.Items), "%+v", c.q)
		}
	})
	t.Run("ListPagesByKeysetWithFilter", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		batch := make([]noetl.Event, 25)
		for i := range batch {
			st := "RUNNING"
			if i%2 == 0 {
				st = "COMPLETED"
			}
			batch[i] = noetl.Event{ExecutionID: exec, Status: ptr(st)}
		}
		require.NoError(t, s.Events().AppendBatch(ctx(t), batch))
		var want []snowflake.ID
		for i := 0; i < len(batch); i += 2 {
			want = append(want, batch[i].EventID)
		}
		got := eventIDs(allPages(t, func(after string) (noetl.Page[noetl.Event], error) {
			p, err := s.Events().List(ctx(t), exec, noetl.EventQuery{Status: "COMPLETED", Limit: 4, After: after})
			assert.LessOrEqual(t, len(p.Items), 4)
			return p, err
		}))
		assert.Equal(t, want, got)
	})
	t.Run("ListBadCursorOrLimitIsInvalid", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Events().List(ctx(t), 1, noetl.EventQuery{After: "??"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Events().List(ctx(t), 1, noetl.EventQuery{Limit: -1})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Events().Children(ctx(t), 1, 2, noetl.EventQuery{After: "??"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("ChildrenOfAnEventInLogOrderAndPages", func(t *testing.T) {
		s := h.New(t)
		exec := newWorkload(t, s)
		loop, err := s.Events().Append(ctx(t), noetl.Event{ExecutionID: exec, EventType: ptr("loop_start")})
		require.NoError(t, err)
		var batch []noetl.Event
		for i := range 5 {
			batch = append(batch, noetl.Event{ExecutionID: exec, ParentEventID: ptr(loop.EventID), EventType: ptr("iteration"), CurrentIndex: ptr(i)})
			batch = append(batch, noetl.Event{ExecutionID: exec, EventType: ptr("unrelated")})
		}
		require.NoError(t, s.Events().AppendBatch(ctx(t), batch))
		var got []int
		for _, e := range allPages(t, func(after string) (noetl.Page[noetl.Event], error) {
			return s.Events().Children(ctx(t), exec, loop.EventID, noetl.EventQuery{Limit: 2, After: after})
		}) {
			assert.Equal(t, loop.EventID, *e.ParentEventID)
			got = append(got, *e.CurrentIndex)
		}
		assert.Equal(t, []int{0, 1, 2, 3, 4}, got)
		p, err := s.Events().Children(ctx(t), exec, batch[1].EventID, noetl.EventQuery{})
		require.NoError(t, err)
		assert.NotNil(t, p.Items)
		assert.Empty(t, p.Items)
	})
}
