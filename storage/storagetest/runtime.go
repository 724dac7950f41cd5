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

func init() {
	register("runtimes", testRuntimes)
}

var t0 = time.Date(2030, 1, 1, 10, 17, 30, 0, time.UTC)

func canonRuntime(r noetl.Runtime) noetl.Runtime {
	r.Labels, r.Capabilities, r.Runtime = canon(r.Labels), canon(r.Capabilities), canon(r.Runtime)
	return r
}

func countRuntimes(t *testing.T, s noetl.Store) int {
	t.Helper()
	p, err := s.Runtimes().List(ctx(t), noetl.RuntimeQuery{Limit: noetl.MaxLimit})
	require.NoError(t, err)
	return len(p.Items)
}

func pool(name string) noetl.NewRuntime {
	return noetl.NewRuntime{Name: name, ComponentType: noetl.ComponentWorkerPool}
}

func testRuntimes(t *testing.T, h Harness) {
	t.Run("RegisterGetAndGetByName", func(t *testing.T) {
		clock := newClock(t0)
		s := newWith(t, h, StoreOptions{Now: clock.Now})
		r, err := s.Runtimes().Register(ctx(t), noetl.NewRuntime{
			Name: "cpu-01", ComponentType: noetl.ComponentWorkerPool, BaseURL: ptr("http://w1:8080"),
			Labels: json.RawMessage(`{"zone":"eu","tier":"cpu"}`), Capabilities: json.RawMessage(`["python","http"]`),
			Capacity: ptr(8), Runtime: json.RawMessage(`{"version":"2.0"}`),
		})
		require.NoError(t, err)
		assert.NotZero(t, r.RuntimeID)
		assert.Equal(t, noetl.StatusReady, r.Status, "the default status")
		assert.Equal(t, t0, r.LastHeartbeat)
		assert.Equal(t, t0, r.CreatedAt)
		assert.Equal(t, t0, r.UpdatedAt)
		got, err := s.Runtimes().Get(ctx(t), r.RuntimeID)
		require.NoError(t, err)
		assert.Equal(t, canonRuntime(r), canonRuntime(got))
		got, err = s.Runtimes().GetByName(ctx(t), noetl.ComponentWorkerPool, "cpu-01")
		require.NoError(t, err)
		assert.Equal(t, canonRuntime(r), canonRuntime(got))
	})
	t.Run("RegisterAgainUpdatesAndKeepsRuntimeID", func(t *testing.T) {
		clock := newClock(t0)
		s := newWith(t, h, StoreOptions{Now: clock.Now})
		first, err := s.Runtimes().Register(ctx(t), noetl.NewRuntime{Name: "api", ComponentType: noetl.ComponentServerAPI, Capacity: ptr(1)})
		require.NoError(t, err)
		later := clock.Add(time.Minute)
		second, err := s.Runtimes().Register(ctx(t), noetl.NewRuntime{Name: "api", ComponentType: noetl.ComponentServerAPI,
			Status: "busy", BaseURL: ptr("http://api:8082"), Labels: json.RawMessage(`{"v":"2"}`)})
		require.NoError(t, err)
		assert.Equal(t, first.RuntimeID, second.RuntimeID)
		assert.Equal(t, first.CreatedAt, second.CreatedAt)
		assert.Equal(t, later, second.UpdatedAt)
		assert.Equal(t, later, second.LastHeartbeat)
		assert.Equal(t, "busy", second.Status)
		assert.Nil(t, second.Capacity, "registration replaces the description")
		got, err := s.Runtimes().Get(ctx(t), first.RuntimeID)
		require.NoError(t, err)
		assert.Equal(t, canonRuntime(second), canonRuntime(got))
		assert.Equal(t, 1, countRuntimes(t, s))
	})
	t.Run("SameNameOfAnotherTypeIsAnotherComponent", func(t *testing.T) {
		s := h.New(t)
		a, err := s.Runtimes().Register(ctx(t), noetl.NewRuntime{Name: "main", ComponentType: noetl.ComponentBroker})
		require.NoError(t, err)
		b, err := s.Runtimes().Register(ctx(t), noetl.NewRuntime{Name: "main", ComponentType: noetl.ComponentServerAPI})
		require.NoError(t, err)
		assert.NotEqual(t, a.RuntimeID, b.RuntimeID)
		assert.Equal(t, 2, countRuntimes(t, s))
	})
	t.Run("RegisterBadInputIsInvalidAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		for name, in := range map[string]noetl.NewRuntime{
			"empty name":        {ComponentType: noetl.ComponentBroker},
			"unknown type":      {Name: "x", ComponentType: "scheduler"},
			"no type":           {Name: "x"},
			"two-line status":   {Name: "x", ComponentType: noetl.ComponentBroker, Status: "a\nb"},
			"labels not object": {Name: "x", ComponentType: noetl.ComponentBroker, Labels: json.RawMessage(`["a"]`)},
			"bad capabilities":  {Name: "x", ComponentType: noetl.ComponentBroker, Capabilities: json.RawMessage(`{`)},
			"bad runtime info":  {Name: "x", ComponentType: noetl.ComponentBroker, Runtime: json.RawMessage(`nope`)},
			"negative capacity": {Name: "x", ComponentType: noetl.ComponentBroker, Capacity: ptr(-1)},
		} {
			_, err := s.Runtimes().Register(ctx(t), in)
			assert.ErrorIs(t, err, noetl.ErrInvalid, name)
		}
		assert.Equal(t, 0, countRuntimes(t, s))
	})
	t.Run("HeartbeatMovesTimeAndSetsStatus", func(t *testing.T) {
		clock := newClock(t0)
		s := newWith(t, h, StoreOptions{Now: clock.Now})
		r, err := s.Runtimes().Register(ctx(t), pool("w"))
		require.NoError(t, err)
		later := clock.Add(30 * time.Second)
		hb, err := s.Runtimes().Heartbeat(ctx(t), r.RuntimeID, "")
		require.NoError(t, err)
		assert.Equal(t, later, hb.LastHeartbeat)
		assert.Equal(t, noetl.StatusReady, hb.Status, "an empty status keeps the current one")
		assert.Equal(t, r.CreatedAt, hb.CreatedAt)
		hb, err = s.Runtimes().Heartbeat(ctx(t), r.RuntimeID, "busy")
		require.NoError(t, err)
		assert.Equal(t, "busy", hb.Status)
		got, err := s.Runtimes().Get(ctx(t), r.RuntimeID)
		require.NoError(t, err)
		assert.Equal(t, canonRuntime(hb), canonRuntime(got))
	})
	t.Run("HeartbeatUnknownIsNotFoundAndBadStatusInvalid", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Runtimes().Heartbeat(ctx(t), 987654, "")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Contains(t, err.Error(), "987654")
		r, err := s.Runtimes().Register(ctx(t), pool("w"))
		require.NoError(t, err)
		_, err = s.Runtimes().Heartbeat(ctx(t), r.RuntimeID, "two\nlines")
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		got, err := s.Runtimes().Get(ctx(t), r.RuntimeID)
		require.NoError(t, err)
		assert.Equal(t, r.LastHeartbeat, got.LastHeartbeat, "the refused heartbeat changed nothing")
	})
	t.Run("DeregisterSetsOfflineAndHeartbeatRevives", func(t *testing.T) {
		s := h.New(t)
		r, err := s.Runtimes().Register(ctx(t), pool("w"))
		require.NoError(t, err)
		off, err := s.Runtimes().Deregister(ctx(t), r.RuntimeID)
		require.NoError(t, err)
		assert.Equal(t, noetl.StatusOffline, off.Status)
		got, err := s.Runtimes().Get(ctx(t), r.RuntimeID)
		require.NoError(t, err)
		assert.Equal(t, noetl.StatusOffline, got.Status)
		hb, err := s.Runtimes().Heartbeat(ctx(t), r.RuntimeID, "")
		require.NoError(t, err)
		assert.Equal(t, noetl.StatusReady, hb.Status, "an offline component that heartbeats is ready again")
		_, err = s.Runtimes().Deregister(ctx(t), 5555)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
	})
	t.Run("GetUnknownIsNotFound", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Runtimes().Get(ctx(t), 42)
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Runtimes().GetByName(ctx(t), noetl.ComponentBroker, "nope")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		_, err = s.Runtimes().GetByName(ctx(t), "bogus", "nope")
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("LabelFilterMatchesOnlyStringValuesOnBothEngines", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Runtimes().Register(ctx(t), noetl.NewRuntime{Name: "w", ComponentType: noetl.ComponentWorkerPool,
			Labels: json.RawMessage(`{"gpu":true,"n":1.50,"zone":"eu"}`)})
		require.NoError(t, err)
		count := func(k, v string) int {
			p, err := s.Runtimes().List(ctx(t), noetl.RuntimeQuery{LabelKey: k, LabelValue: v})
			require.NoError(t, err)
			return len(p.Items)
		}
		assert.Equal(t, 1, count("zone", "eu"))
		for _, kv := range [][2]string{{"gpu", "true"}, {"gpu", "1"}, {"n", "1.50"}, {"n", "1.5"}} {
			assert.Zero(t, count(kv[0], kv[1]), "%s=%s: a non-string label value never matches", kv[0], kv[1])
		}
	})
	t.Run("ListFiltersByTypeStatusLabelAndPages", func(t *testing.T) {
		s := h.New(t)
		ids := map[string]snowflake.ID{}
		for _, in := range []noetl.NewRuntime{
			{Name: "w1", ComponentType: noetl.ComponentWorkerPool, Labels: json.RawMessage(`{"zone":"eu","gpu":"yes"}`)},
			{Name: "w2", ComponentType: noetl.ComponentWorkerPool, Labels: json.RawMessage(`{"zone":"us"}`), Status: "busy"},
			{Name: "w3", ComponentType: noetl.ComponentWorkerPool, Labels: json.RawMessage(`{"zone":"eu"}`)},
			{Name: "api", ComponentType: noetl.ComponentServerAPI, Labels: json.RawMessage(`{"zone":"eu"}`)},
			{Name: "nats", ComponentType: noetl.ComponentBroker},
		} {
			r, err := s.Runtimes().Register(ctx(t), in)
			require.NoError(t, err)
			ids[in.Name] = r.RuntimeID
		}
		all := func(q noetl.RuntimeQuery) []string {
			var out []string
			for _, r := range allPages(t, func(after string) (noetl.Page[noetl.Runtime], error) {
				q.After = after
				return s.Runtimes().List(ctx(t), q)
			}) {
				out = append(out, r.Name)
			}
			return out
		}
		assert.Equal(t, []string{"w1", "w2", "w3", "api", "nats"}, all(noetl.RuntimeQuery{Limit: 2}), "by runtime id")
		assert.Equal(t, []string{"w1", "w2", "w3"}, all(noetl.RuntimeQuery{ComponentType: noetl.ComponentWorkerPool, Limit: 1}))
		assert.Equal(t, []string{"w2"}, all(noetl.RuntimeQuery{Status: "busy"}))
		assert.Equal(t, []string{"w1", "w3", "api"}, all(noetl.RuntimeQuery{LabelKey: "zone", LabelValue: "eu"}))
		assert.Equal(t, []string{"w1", "w3"}, all(noetl.RuntimeQuery{LabelKey: "zone", LabelValue: "eu", ComponentType: noetl.ComponentWorkerPool}))
		assert.Equal(t, []string{"w1"}, all(noetl.RuntimeQuery{LabelKey: "gpu", LabelValue: "yes"}))
		assert.Nil(t, all(noetl.RuntimeQuery{LabelKey: "zone", LabelValue: "asia"}))
		for name, q := range map[string]noetl.RuntimeQuery{
			"bad type":       {ComponentType: "nope"},
			"bad cursor":     {After: "bogus"},
			"bad limit":      {Limit: -1},
			"quote in key":   {LabelKey: `a"b`, LabelValue: "x"},
			"newline in key": {LabelKey: "a\nb", LabelValue: "x"},
		} {
			_, err := s.Runtimes().List(ctx(t), q)
			assert.ErrorIs(t, err, noetl.ErrInvalid, name)
		}
	})
	t.Run("MarkOfflineMarksStaleComponentsAndCounts", func(t *testing.T) {
		clock := newClock(t0)
		s := newWith(t, h, StoreOptions{Now: clock.Now})
		stale, err := s.Runtimes().Register(ctx(t), pool("stale"))
		require.NoError(t, err)
		gone, err := s.Runtimes().Register(ctx(t), pool("gone"))
		require.NoError(t, err)
		_, err = s.Runtimes().Deregister(ctx(t), gone.RuntimeID)
		require.NoError(t, err)
		clock.Add(10 * time.Minute)
		fresh, err := s.Runtimes().Register(ctx(t), pool("fresh"))
		require.NoError(t, err)
		clock.Add(time.Minute)
		n, err := s.Runtimes().MarkOffline(ctx(t), 5*time.Minute)
		require.NoError(t, err)
		assert.Equal(t, int64(1), n, "only the stale one that was not offline yet")
		got, err := s.Runtimes().Get(ctx(t), stale.RuntimeID)
		require.NoError(t, err)
		assert.Equal(t, noetl.StatusOffline, got.Status)
		assert.Equal(t, stale.LastHeartbeat, got.LastHeartbeat, "marking keeps the last heartbeat")
		got, err = s.Runtimes().Get(ctx(t), fresh.RuntimeID)
		require.NoError(t, err)
		assert.Equal(t, noetl.StatusReady, got.Status)
		n, err = s.Runtimes().MarkOffline(ctx(t), 5*time.Minute)
		require.NoError(t, err)
		assert.Equal(t, int64(0), n, "already offline")
		_, err = s.Runtimes().MarkOffline(ctx(t), -time.Second)
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
}
