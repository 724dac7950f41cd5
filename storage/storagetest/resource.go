package storagetest

import (
	"context"

	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() {
	register("resources", testResources)
	register("catalog", testCatalog)
}

// newWith opens a store with options through Harness.NewWith.
func newWith(t *testing.T, h Harness, o StoreOptions) noetl.Store {
	t.Helper()
	require.NotNil(t, h.NewWith, "storagetest: Harness.NewWith is required by this subtest (a keyring or a clock)")
	return h.NewWith(t, o)
}

// testClock is a settable clock for stores opened with StoreOptions.Now.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *testClock { return &testClock{t: t} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *testClock) Add(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// canon returns raw in one canonical spelling (keys sorted, no spaces), so
// JSON read back from PostgreSQL's JSONB compares equal to what was written.
func canon(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return raw
	}
	b, _ := json.Marshal(v)
	return b
}

func canonEntry(e noetl.CatalogEntry) noetl.CatalogEntry {
	e.Payload, e.Meta = canon(e.Payload), canon(e.Meta)
	return e
}

func countCatalog(t *testing.T, s noetl.Store) int {
	t.Helper()
	p, err := s.Catalog().List(ctx(t), noetl.CatalogQuery{Limit: noetl.MaxLimit})
	require.NoError(t, err)
	return len(p.Items)
}

func versionsOf(t *testing.T, s noetl.Store, path string) []string {
	t.Helper()
	out := []string{}
	q := noetl.VersionQuery{Limit: noetl.MaxLimit}
	for {
		p, err := s.Catalog().Versions(ctx(t), path, q)
		require.NoError(t, err)
		for _, e := range p.Items {
			out = append(out, e.ResourceVersion)
		}
		if p.Next == "" {
			return out
		}
		q.After = p.Next
	}
}

func registerAt(t *testing.T, s noetl.Store, path, version string) noetl.CatalogEntry {
	t.Helper()
	e, err := s.Catalog().Register(ctx(t), noetl.NewCatalogEntry{Path: path, Type: "playbook", Version: version,
		Payload: json.RawMessage(fmt.Sprintf(`{"path":%q}`, path))})
	require.NoError(t, err)
	return e
}

func testResources(t *testing.T, h Harness) {
	t.Run("EnsureCreatesOnceAndIsIdempotent", func(t *testing.T) {
		s := h.New(t)
		r, err := s.Resources().Ensure(ctx(t), "playbook")
		require.NoError(t, err)
		assert.Equal(t, noetl.Resource{Name: "playbook"}, r)
		r, err = s.Resources().Ensure(ctx(t), "playbook")
		require.NoError(t, err, "ensuring an existing type is not an error")
		assert.Equal(t, "playbook", r.Name)
		got, err := s.Resources().Get(ctx(t), "playbook")
		require.NoError(t, err)
		assert.Equal(t, r, got)
		p, err := s.Resources().List(ctx(t), noetl.ResourceQuery{})
		require.NoError(t, err)
		assert.Equal(t, []noetl.Resource{{Name: "playbook"}}, p.Items)
	})
	t.Run("EnsureConcurrentlyNeverFails", func(t *testing.T) {
		s := h.New(t)
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Resources().Ensure(ctx(t), "dataset")
			}()
		}
		wg.Wait()
		for _, err := range errs {
			assert.NoError(t, err)
		}
		p, err := s.Resources().List(ctx(t), noetl.ResourceQuery{})
		require.NoError(t, err)
		assert.Len(t, p.Items, 1)
	})
	t.Run("EnsureBadNameIsInvalidAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		for _, name := range []string{"", "  ", "two\nlines"} {
			_, err := s.Resources().Ensure(ctx(t), name)
			assert.ErrorIs(t, err, noetl.ErrInvalid, "%q", name)
		}
		p, err := s.Resources().List(ctx(t), noetl.ResourceQuery{})
		require.NoError(t, err)
		assert.NotNil(t, p.Items)
		assert.Empty(t, p.Items)
	})
	t.Run("GetUnknownIsNotFound", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Resources().Get(ctx(t), "nothing")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Contains(t, err.Error(), "nothing")
	})
	t.Run("ListIsOrderedByNameAndPages", func(t *testing.T) {
		s := h.New(t)
		for _, n := range []string{"secret", "dataset", "playbook", "model", "agent"} {
			_, err := s.Resources().Ensure(ctx(t), n)
			require.NoError(t, err)
		}
		var names []string
		for _, r := range allPages(t, func(after string) (noetl.Page[noetl.Resource], error) {
			p, err := s.Resources().List(ctx(t), noetl.ResourceQuery{Limit: 2, After: after})
			assert.LessOrEqual(t, len(p.Items), 2)
			return p, err
		}) {
			names = append(names, r.Name)
		}
		assert.Equal(t, []string{"agent", "dataset", "model", "playbook", "secret"}, names)
		_, err := s.Resources().List(ctx(t), noetl.ResourceQuery{After: "%%%"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Resources().List(ctx(t), noetl.ResourceQuery{Limit: -1})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("DeleteRemovesUnusedType", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Resources().Ensure(ctx(t), "temp")
		require.NoError(t, err)
		require.NoError(t, s.Resources().Delete(ctx(t), "temp"))
		_, err = s.Resources().Get(ctx(t), "temp")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.ErrorIs(t, s.Resources().Delete(ctx(t), "temp"), noetl.ErrNotFound)
	})
	t.Run("DeleteTypeUsedByCatalogIsReferencedAndKeepsIt", func(t *testing.T) {
		s := h.New(t)
		registerAt(t, s, "flows/hello", "")
		err := s.Resources().Delete(ctx(t), "playbook")
		assert.ErrorIs(t, err, noetl.ErrReferenced)
		assert.Contains(t, err.Error(), "playbook")
		_, err = s.Resources().Get(ctx(t), "playbook")
		assert.NoError(t, err, "the type is still there")
		assert.Equal(t, 1, countCatalog(t, s))
	})
}

func testCatalog(t *testing.T, h Harness) {
	t.Run("FirstRegistrationIs010AndEnsuresType", func(t *testing.T) {
		s := h.New(t)
		e, err := s.Catalog().Register(ctx(t), noetl.NewCatalogEntry{
			Path: "examples/weather", Type: "playbook", Content: ptr("apiVersion: noetl.io/v1"),
			Payload: json.RawMessage(`{"name": "weather", "steps": [1, 2]}`), Meta: json.RawMessage(`{"owner":"ops"}`),
			Template: ptr("{{ city }}"), Location: ptr("git://repo/weather.yaml"),
		})
		require.NoError(t, err)
		assert.Equal(t, noetl.FirstVersion, e.ResourceVersion)
		assert.Equal(t, noetl.DefaultSource, e.Source)
		assert.Equal(t, time.UTC, e.Timestamp.Location())
		assert.Equal(t, e.Timestamp, e.Timestamp.Truncate(time.Microsecond))
		assert.WithinDuration(t, time.Now(), e.Timestamp, time.Minute)
		got, err := s.Catalog().Get(ctx(t), "examples/weather", "0.1.0")
		require.NoError(t, err)
		assert.Equal(t, canonEntry(e), canonEntry(got))
		_, err = s.Resources().Get(ctx(t), "playbook")
		assert.NoError(t, err, "registration ensured the resource type")
	})
	t.Run("EmptyPayloadIsEmptyObject", func(t *testing.T) {
		s := h.New(t)
		e, err := s.Catalog().Register(ctx(t), noetl.NewCatalogEntry{Path: "p", Type: "playbook", Source: "git"})
		require.NoError(t, err)
		assert.JSONEq(t, `{}`, string(e.Payload))
		assert.Equal(t, "git", e.Source)
		got, err := s.Catalog().Get(ctx(t), "p", "")
		require.NoError(t, err)
		assert.JSONEq(t, `{}`, string(got.Payload))
		assert.Nil(t, got.Meta)
	})
	t.Run("NextVersionIsNextPatchAfterNumericallyHighest", func(t *testing.T) {
		s := h.New(t)
		assert.Equal(t, "0.1.0", registerAt(t, s, "p", "").ResourceVersion)
		assert.Equal(t, "0.1.9", registerAt(t, s, "p", "0.1.9").ResourceVersion)
		assert.Equal(t, "0.1.10", registerAt(t, s, "p", "").ResourceVersion, "after 0.1.9 comes 0.1.10")
		assert.Equal(t, "0.1.11", registerAt(t, s, "p", "").ResourceVersion, "0.1.10 is higher than 0.1.9")
		registerAt(t, s, "p", "0.2.0")
		assert.Equal(t, "0.2.1", registerAt(t, s, "p", "").ResourceVersion)
		registerAt(t, s, "p", "10.0.0")
		registerAt(t, s, "p", "9.99.99")
		assert.Equal(t, "10.0.1", registerAt(t, s, "p", "").ResourceVersion, "10.0.0 is higher than 9.99.99")
		latest, err := s.Catalog().Get(ctx(t), "p", noetl.LatestVersion)
		require.NoError(t, err)
		assert.Equal(t, "10.0.1", latest.ResourceVersion)
		assert.Equal(t, "0.1.0", registerAt(t, s, "other", "").ResourceVersion, "versions count per path")
	})
	t.Run("ExplicitVersionIsAcceptedOnceAndConflictKeepsFirst", func(t *testing.T) {
		s := h.New(t)
		first, err := s.Catalog().Register(ctx(t), noetl.NewCatalogEntry{Path: "p", Type: "playbook", Version: "2.0.0", Content: ptr("first")})
		require.NoError(t, err)
		_, err = s.Catalog().Register(ctx(t), noetl.NewCatalogEntry{Path: "p", Type: "playbook", Version: "2.0.0", Content: ptr("second")})
		assert.ErrorIs(t, err, noetl.ErrConflict)
		assert.Contains(t, err.Error(), "2.0.0")
		got, err := s.Catalog().Get(ctx(t), "p", "2.0.0")
		require.NoError(t, err)
		assert.Equal(t, canonEntry(first), canonEntry(got))
		assert.Equal(t, []string{"2.0.0"}, versionsOf(t, s, "p"))
	})
	t.Run("MalformedVersionIsInvalidAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		for _, v := range []string{"1.0", "v1.0.0", "01.0.0", "1.0.0-beta", "1.0.a", "1..0", "1.0.0.0", " 1.0.0", "1000000000.0.0"} {
			_, err := s.Catalog().Register(ctx(t), noetl.NewCatalogEntry{Path: "p", Type: "playbook", Version: v})
			assert.ErrorIs(t, err, noetl.ErrInvalid, "%q", v)
		}
		assert.Equal(t, 0, countCatalog(t, s))
		_, err := s.Resources().Get(ctx(t), "playbook")
		assert.ErrorIs(t, err, noetl.ErrNotFound, "the resource type was not ensured either")
	})
	t.Run("BadInputIsInvalidAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		for name, in := range map[string]noetl.NewCatalogEntry{
			"empty path":      {Type: "playbook"},
			"two-line path":   {Path: "a\nb", Type: "playbook"},
			"empty type":      {Path: "p"},
			"bad payload":     {Path: "p", Type: "playbook", Payload: json.RawMessage(`{`)},
			"meta not object": {Path: "p", Type: "playbook", Meta: json.RawMessage(`[1]`)},
			"zero credential": {Path: "p", Type: "playbook", CredentialID: ptr(snowflake.ID(0))},
		} {
			_, err := s.Catalog().Register(ctx(t), in)
			assert.ErrorIs(t, err, noetl.ErrInvalid, name)
		}
		assert.Equal(t, 0, countCatalog(t, s))
		p, err := s.Resources().List(ctx(t), noetl.ResourceQuery{})
		require.NoError(t, err)
		assert.Empty(t, p.Items)
	})
	t.Run("UnknownCredentialIsReferencedAndWritesNothing", func(t *testing.T) {
		s := h.New(t)
		_, err := s.Catalog().Register(ctx(t), noetl.NewCatalogEntry{Path: "p", Type: "playbook", CredentialID: ptr(snowflake.ID(424242))})
		assert.ErrorIs(t, err, noetl.ErrReferenced)
		assert.Contains(t, err.Error(), "credential")
		assert.Equal(t, 0, countCatalog(t, s))
		_, err = s.Resources().Get(ctx(t), "playbook")
		assert.ErrorIs(t, err, noetl.ErrNotFound, "the ensured type was rolled back with the entry")
	})
	t.Run("ConcurrentRegistrationsOfOnePathTakeDistinctVersions", func(t *testing.T) {
		s := h.New(t)
		const n = 32
		var wg sync.WaitGroup
		errs := make([]error, n)
		got := make([]string, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				e, err := s.Catalog().Register(ctx(t), noetl.NewCatalogEntry{Path: "race/flow", Type: "playbook",
					Payload: json.RawMessage(fmt.Sprintf(`{"writer":%d}`, i))})
				errs[i], got[i] = err, e.ResourceVersion
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			require.NoError(t, err, "registration %d", i)
		}
		want := make([]string, n)
		for i := range want {
			want[i] = fmt.Sprintf("0.1.%d", n-1-i)
		}
		sort.Slice(got, func(i, j int) bool {
			a, _ := noetl.ParseVersion(got[i])
			b, _ := noetl.ParseVersion(got[j])
			return a.Compare(b) > 0
		})
		assert.Equal(t, want, got, "each registration returned its own version")
		assert.Equal(t, want, versionsOf(t, s, "race/flow"), "32 distinct versions stored, newest first")
	})
	t.Run("GetLatestOrByVersion", func(t *testing.T) {
		s := h.New(t)
		v0 := registerAt(t, s, "p", "")
		v1 := registerAt(t, s, "p", "")
		for _, version := range []string{"", noetl.LatestVersion, "0.1.1"} {
			got, err := s.Catalog().Get(ctx(t), "p", version)
			require.NoError(t, err, version)
			assert.Equal(t, canonEntry(v1), canonEntry(got), version)
		}
		got, err := s.Catalog().Get(ctx(t), "p", "0.1.0")
		require.NoError(t, err)
		assert.Equal(t, canonEntry(v0), canonEntry(got))
	})
	t.Run("GetUnknownIsNotFoundAndMalformedIsInvalid", func(t *testing.T) {
		s := h.New(t)
		registerAt(t, s, "p", "")
		_, err := s.Catalog().Get(ctx(t), "p", "0.1.1")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Contains(t, err.Error(), "0.1.1")
		_, err = s.Catalog().Get(ctx(t), "nope", "")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		assert.Contains(t, err.Error(), "nope")
		_, err = s.Catalog().Get(ctx(t), "p", "1.x")
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("VersionsAreNewestFirstAndPage", func(t *testing.T) {
		s := h.New(t)
		for range 12 {
			registerAt(t, s, "p", "")
		}
		registerAt(t, s, "q", "")
		var got []string
		for _, e := range allPages(t, func(after string) (noetl.Page[noetl.CatalogEntry], error) {
			p, err := s.Catalog().Versions(ctx(t), "p", noetl.VersionQuery{Limit: 5, After: after})
			assert.LessOrEqual(t, len(p.Items), 5)
			return p, err
		}) {
			assert.Equal(t, "p", e.ResourcePath)
			got = append(got, e.ResourceVersion)
		}
		assert.Equal(t, []string{"0.1.11", "0.1.10", "0.1.9", "0.1.8", "0.1.7", "0.1.6", "0.1.5", "0.1.4", "0.1.3", "0.1.2", "0.1.1", "0.1.0"}, got)
		p, err := s.Catalog().Versions(ctx(t), "unknown", noetl.VersionQuery{})
		require.NoError(t, err)
		assert.NotNil(t, p.Items)
		assert.Empty(t, p.Items)
		_, err = s.Catalog().Versions(ctx(t), "p", noetl.VersionQuery{After: "bogus"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("ListFiltersByTypeAndPathPrefixAndPages", func(t *testing.T) {
		s := h.New(t)
		add := func(path, typ, version string) {
			_, err := s.Catalog().Register(ctx(t), noetl.NewCatalogEntry{Path: path, Type: typ, Version: version})
			require.NoError(t, err)
		}
		add("a/x", "playbook", "0.1.9")
		add("a/x", "playbook", "0.1.10")
		add("a/y", "dataset", "")
		add("ab/z", "playbook", "")
		add("b/z", "playbook", "")
		all := func(q noetl.CatalogQuery) []string {
			var out []string
			for _, e := range allPages(t, func(after string) (noetl.Page[noetl.CatalogEntry], error) {
				q.After = after
				return s.Catalog().List(ctx(t), q)
			}) {
				out = append(out, e.ResourcePath+"@"+e.ResourceVersion)
			}
			return out
		}
		assert.Equal(t, []string{"a/x@0.1.9", "a/x@0.1.10", "a/y@0.1.0", "ab/z@0.1.0", "b/z@0.1.0"}, all(noetl.CatalogQuery{Limit: 2}))
		assert.Equal(t, []string{"a/x@0.1.9", "a/x@0.1.10", "ab/z@0.1.0", "b/z@0.1.0"}, all(noetl.CatalogQuery{Type: "playbook", Limit: 1}))
		assert.Equal(t, []string{"a/x@0.1.9", "a/x@0.1.10", "a/y@0.1.0"}, all(noetl.CatalogQuery{PathPrefix: "a/"}))
		assert.Equal(t, []string{"a/y@0.1.0"}, all(noetl.CatalogQuery{PathPrefix: "a/", Type: "dataset"}))
		assert.Nil(t, all(noetl.CatalogQuery{Type: "model"}))
		_, err := s.Catalog().List(ctx(t), noetl.CatalogQuery{After: "bogus"})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
		_, err = s.Catalog().List(ctx(t), noetl.CatalogQuery{Limit: -3})
		assert.ErrorIs(t, err, noetl.ErrInvalid)
	})
	t.Run("DeleteRemovesOneVersion", func(t *testing.T) {
		s := h.New(t)
		registerAt(t, s, "p", "")
		registerAt(t, s, "p", "")
		require.NoError(t, s.Catalog().Delete(ctx(t), "p", "0.1.1"))
		_, err := s.Catalog().Get(ctx(t), "p", "0.1.1")
		assert.ErrorIs(t, err, noetl.ErrNotFound)
		latest, err := s.Catalog().Get(ctx(t), "p", noetl.LatestVersion)
		require.NoError(t, err)
		assert.Equal(t, "0.1.0", latest.ResourceVersion)
		assert.ErrorIs(t, s.Catalog().Delete(ctx(t), "p", "0.1.1"), noetl.ErrNotFound)
		assert.ErrorIs(t, s.Catalog().Delete(ctx(t), "p", "latest"), noetl.ErrInvalid, "delete takes an explicit version")
		assert.Equal(t, []string{"0.1.0"}, versionsOf(t, s, "p"))
		assert.Equal(t, "0.1.1", registerAt(t, s, "p", "").ResourceVersion, "the next patch after the highest remaining")
	})
	t.Run("RegisterJoinsOuterTransaction", func(t *testing.T) {
		s := h.New(t)
		boom := fmt.Errorf("boom")
		err := s.InTx(ctx(t), func(_ context.Context, tx noetl.Store) error {
			registerAt(t, tx, "p", "")
			assert.Equal(t, "0.1.1", registerAt(t, tx, "p", "").ResourceVersion)
			return boom
		})
		assert.ErrorIs(t, err, boom)
		assert.Equal(t, 0, countCatalog(t, s), "rolled back with the transaction")
		assert.Equal(t, "0.1.0", registerAt(t, s, "p", "").ResourceVersion)
	})
}
