package storage_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/pgtest"
	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/postgres"
	"github.com/noetl/noetldb/storage/sqlite"
)

// The conformance suite checks each behaviour on each engine by hand. This
// test checks the engines against each other instead: a seeded random
// sequence of calls, most of them on colliding names and edge-case text,
// runs on in-memory SQLite and on PostgreSQL side by side, and every call
// must give the same outcome on both (the same value, ids and times aside,
// or the same sentinel error and field), and the stores the same lists at
// the end. A failure names the seed and the call, with the calls before it.
func TestRandomCallsAgreeOnBothEngines(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	seeds, calls := 20, 300
	if n, err := strconv.Atoi(os.Getenv("NOETL_PARITY_SEEDS")); err == nil && n > 0 {
		seeds = n // a longer search: NOETL_PARITY_SEEDS=500 go test -run RandomCalls ./storage
	}
	keys, err := noetl.NewKeyring("k1", bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			ctx := context.Background()
			opts := []storage.Option{storage.WithPasswordCost(4), storage.WithKeyring(keys)}
			schema := fmt.Sprintf("parity%d", seed)
			var engines [2]*engine
			if seed%2 == 0 {
				// The stores as most tests open them.
				lite, err := sqlite.Open(ctx, sqlite.Memory, opts...)
				require.NoError(t, err)
				defer lite.Close()
				pg, err := postgres.Open(ctx, dsn, append(opts, postgres.WithSchema(schema))...)
				require.NoError(t, err)
				defer pg.Close()
				engines = [2]*engine{newEngine("sqlite", lite), newEngine("postgres", pg)}
			} else {
				// The stores on the caller's own database handles, so that
				// calls can also run in the caller's transactions (FromTx).
				engines = callerEngines(t, dsn, schema, opts)
			}
			r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
			var log []string
			for i := range calls {
				g := &gen{r: r, have: engines[0]}
				var c call
				var got [2]string
				if r.IntN(15) == 0 {
					// Not event appends: racing ones commit in an order
					// of their own, which lists of events show.
					for c = randomCall(g, 1); strings.Contains(c.desc, "Events()"); c = randomCall(g, 1) {
					}
					c = race(c)
				} else {
					c = randomCall(g, 0)
				}
				log = append(log, c.desc)
				got = [2]string{c.run(ctx, engines[0]), c.run(ctx, engines[1])}
				if got[0] != got[1] {
					t.Fatalf("seed %d, call %d: %s\nsqlite:   %s\npostgres: %s\ncalls before it:\n  %s",
						seed, i, c.desc, got[0], got[1], strings.Join(last(log[:i], 15), "\n  "))
				}
			}
			for _, what := range []string{"profiles", "roles", "resources", "catalog", "labels", "memberships", "runtimes", "schedules", "credentials", "executions"} {
				a, b := engines[0].lists(ctx, what), engines[1].lists(ctx, what)
				require.Equal(t, a, b, "seed %d: %s listed after %d calls differ", seed, what, calls)
			}
		})
	}
}

func last(s []string, n int) []string { return s[max(0, len(s)-n):] }

// engine is one store with the ids its calls created, by kind in creation
// order, so that a call can name "the third profile" on both engines.
type engine struct {
	name   string
	s      noetl.Store
	labels map[snowflake.ID]string // id -> "profile2"
	made   map[string][]snowflake.ID
	owners map[int]int // chat ordinal -> its creator's profile ordinal
	mu     *sync.Mutex // guards labels, made and owners for racing calls
	// frozen, when set, is made as it was when a race began: racing calls
	// resolve their references in it, all alike, whatever the others made.
	frozen map[string][]snowflake.ID
	// begin, when set, begins a transaction of the caller's on the
	// store's database and returns a store on it (FromTx) and its end.
	begin func(ctx context.Context) (noetl.Store, func(commit bool) error, error)
}

func newEngine(name string, s noetl.Store) *engine {
	return &engine{name: name, s: s, labels: map[snowflake.ID]string{}, made: map[string][]snowflake.ID{}, owners: map[int]int{}, mu: &sync.Mutex{}}
}

// callerEngines opens the stores on a *sql.DB and a pgx pool the test
// holds, and lets calls begin transactions of their own on them and run
// stores from them (FromTx), as a service composing the store with its
// own writes does.
func callerEngines(t *testing.T, dsn, schema string, opts []storage.Option) [2]*engine {
	ctx := context.Background()
	ldsn, err := sqlite.DSN(sqlite.Memory)
	require.NoError(t, err)
	db, err := sql.Open("sqlite", ldsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	lite, err := sqlite.Open(ctx, "", append(opts, sqlite.WithDB(db))...)
	require.NoError(t, err)
	t.Cleanup(func() { lite.Close() })
	pool, err := pgxpool.New(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	pg, err := postgres.Open(ctx, "", append(opts, postgres.WithPool(pool), postgres.WithSchema(schema))...)
	require.NoError(t, err)
	t.Cleanup(func() { pg.Close() })
	l, p := newEngine("sqlite", lite), newEngine("postgres", pg)
	l.begin = func(ctx context.Context) (noetl.Store, func(bool) error, error) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return nil, nil, err
		}
		s, err := sqlite.FromTx(tx, append(opts, storage.WithGenerator(lite.IDs()))...)
		if err != nil {
			return nil, nil, errors.Join(err, tx.Rollback())
		}
		return s, func(commit bool) error {
			if commit {
				return tx.Commit()
			}
			return tx.Rollback()
		}, nil
	}
	p.begin = func(ctx context.Context) (noetl.Store, func(bool) error, error) {
		tx, err := pool.Begin(ctx)
		if err != nil {
			return nil, nil, err
		}
		s, err := postgres.FromTx(tx, append(opts, postgres.WithSchema(schema), storage.WithGenerator(pg.IDs()))...)
		if err != nil {
			return nil, nil, errors.Join(err, tx.Rollback(ctx))
		}
		return s, func(commit bool) error {
			if commit {
				return tx.Commit(ctx)
			}
			return tx.Rollback(ctx)
		}, nil
	}
	return [2]*engine{l, p}
}

// missing is an id no store issues: snowflake ids are far above it.
const missing = snowflake.ID(4242)

// record names an id a call created (or found) the next of its kind,
// unless it has a name already.
func (e *engine) record(kind string, id snowflake.ID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.recordLocked(kind, id)
}

func (e *engine) recordLocked(kind string, id snowflake.ID) {
	if _, ok := e.labels[id]; ok {
		return
	}
	e.labels[id] = fmt.Sprintf("%s%d", kind, len(e.made[kind]))
	e.made[kind] = append(e.made[kind], id)
}

// recordChat records a new chat and the profile that created it.
func (e *engine) recordChat(id snowflake.ID, owner int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.owners[len(e.made["chat"])] = owner
	e.recordLocked("chat", id)
}

// id returns the k-th id of a kind, or missing past the last.
func (e *engine) id(kind string, k int) snowflake.ID {
	e.mu.Lock()
	defer e.mu.Unlock()
	made := e.made
	if e.frozen != nil {
		made = e.frozen
	}
	if k < len(made[kind]) {
		return made[kind][k]
	}
	return missing
}

// relabel names the ids recorded since counts (the lengths of made before
// a race step) in id order, the order lists return them in, rather than
// in the order the racing calls happened to finish.
func (e *engine) relabel(counts map[string]int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for kind, ids := range e.made {
		fresh := ids[counts[kind]:]
		slices.Sort(fresh)
		for i, id := range fresh {
			e.labels[id] = fmt.Sprintf("%s%d", kind, counts[kind]+i)
		}
	}
}

// counts returns how many ids of each kind are recorded.
func (e *engine) counts() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]int{}
	for kind, ids := range e.made {
		out[kind] = len(ids)
	}
	return out
}

func (e *engine) idp(kind string, k int) *snowflake.ID {
	if k < 0 {
		return nil
	}
	id := e.id(kind, k)
	return &id
}

// outcome renders a call's result so the engines can be compared: an
// error as its sentinel and field, a value as its JSON with ids named by
// creation order and times left out (the engines' clocks differ).
func (e *engine) outcome(v any, err error) string {
	if err != nil {
		kind := "unclassified"
		for _, s := range []error{noetl.ErrNotFound, noetl.ErrConflict, noetl.ErrInvalid, noetl.ErrReferenced,
			noetl.ErrForbidden, noetl.ErrTransient, noetl.ErrStorage, noetl.ErrClosed} {
			if errors.Is(err, s) {
				kind = s.Error()
				break
			}
		}
		var ne *noetl.Error
		if errors.As(err, &ne) && ne.Field != "" {
			kind += " field=" + ne.Field
		}
		if kind == "unclassified" {
			kind += ": " + err.Error()
		}
		return "error: " + kind
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "marshal: " + err.Error()
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var x any
	if err := d.Decode(&x); err != nil {
		return "unmarshal: " + err.Error()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	out, _ := json.Marshal(e.normalize(x))
	return string(out)
}

func (e *engine) normalize(x any) any {
	switch v := x.(type) {
	case map[string]any:
		for k, f := range v {
			if k == "next" { // a cursor holds ids

				delete(v, k)
				continue
			}
			v[k] = e.normalize(f)
		}
	case []any:
		for i := range v {
			v[i] = e.normalize(v[i])
		}
	case json.Number:
		// JSON is stored as a value: 1E2 may read back as 100, -0 as 0.
		if q, ok := new(big.Rat).SetString(string(v)); ok {
			return q.RatString()
		}
	case string:
		if _, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return "(a time)" // the engines' clocks differ
		}
		// An id the calls did not create (the roles a migration made) is
		// named in the order it is first seen, the same on both engines.
		id, err := snowflake.ParseID(v)
		if err != nil || id < 1<<32 {
			return x
		}
		e.recordLocked("seen", id)
		return e.labels[id]
	}
	return x
}

// lists renders every row of one kind the store lists.
func (e *engine) lists(ctx context.Context, what string) string {
	var v any
	var err error
	switch what {
	case "profiles":
		v, err = noetl.Collect(noetl.All(func(a string) (noetl.Page[noetl.Profile], error) {
			return e.s.Profiles().List(ctx, noetl.ProfileQuery{After: a})
		}))
	case "roles":
		v, err = noetl.Collect(noetl.All(func(a string) (noetl.Page[noetl.Role], error) {
			return e.s.Roles().List(ctx, noetl.RoleQuery{After: a})
		}))
	case "resources":
		v, err = noetl.Collect(noetl.All(func(a string) (noetl.Page[noetl.Resource], error) {
			return e.s.Resources().List(ctx, noetl.ResourceQuery{After: a})
		}))
	case "catalog":
		v, err = noetl.Collect(noetl.All(func(a string) (noetl.Page[noetl.CatalogEntry], error) {
			return e.s.Catalog().List(ctx, noetl.CatalogQuery{After: a})
		}))
	case "labels":
		var all [][]noetl.LabelNode
		roots, lerr := noetl.Collect(noetl.All(func(a string) (noetl.Page[noetl.Label], error) {
			return e.s.Labels().Children(ctx, nil, noetl.LabelQuery{After: a})
		}))
		err = lerr
		for _, root := range roots {
			tree, terr := e.s.Labels().Subtree(ctx, root.ID)
			err = errors.Join(err, terr)
			all = append(all, tree)
		}
		v = all
	case "runtimes":
		v, err = noetl.Collect(noetl.All(func(a string) (noetl.Page[noetl.Runtime], error) {
			return e.s.Runtimes().List(ctx, noetl.RuntimeQuery{After: a})
		}))
	case "schedules":
		v, err = noetl.Collect(noetl.All(func(a string) (noetl.Page[noetl.Schedule], error) {
			return e.s.Schedules().List(ctx, noetl.ScheduleQuery{After: a})
		}))
	case "credentials":
		v, err = noetl.Collect(noetl.All(func(a string) (noetl.Page[noetl.Credential], error) {
			return e.s.Credentials().List(ctx, noetl.CredentialQuery{After: a})
		}))
	case "executions":
		v, err = noetl.Collect(noetl.All(func(a string) (noetl.Page[noetl.ExecutionInfo], error) {
			return e.s.Executions().List(ctx, noetl.ExecutionQuery{After: a})
		}))
	case "memberships":
		var all [][]noetl.ChatMembership
		for _, p := range e.made["profile"] {
			ms, merr := noetl.Collect(noetl.All(func(a string) (noetl.Page[noetl.ChatMembership], error) {
				return e.s.Chats().ListForProfile(ctx, p, noetl.MembershipQuery{After: a})
			}))
			if errors.Is(merr, noetl.ErrNotFound) {
				merr = nil // a deleted profile
			}
			err = errors.Join(err, merr)
			all = append(all, ms)
		}
		v = all
	}
	return e.outcome(v, err)
}

// call is one random call, run alike on each engine.
type call struct {
	desc string
	run  func(ctx context.Context, e *engine) string
}

// Texts chosen to collide and to sit on the edges where engines differ:
// case (ASCII and not), Unicode normalisation, spaces of every kind,
// separators, NUL and invalid UTF-8, SQL metacharacters, lengths around
// the 255-character limit in bytes and in characters.
var names = []string{
	"a", "A", "b", "ab", "a b", " a", "a ", "ä", "Ä", "ß", "ẞ", "İ", "i̇", "ǅ", "ǆ", "\u212a", "k", "e\u0301", "é",
	"a/b", "/", ".", "..", "...", "", " ", "\t", "a\tb", "a\nb", "x\x00y", "\xff", "a\u00a0b", "\u00a0", "a\u200bb",
	"a\u2028b", "\u3000", "😀", "%", "_", "a%", "a_", "'", `\`, "''", `"`, "a;b", "--",
	strings.Repeat("n", 255), strings.Repeat("n", 256), strings.Repeat("é", 255), strings.Repeat("é", 256),
}

var emails = []string{"a@x.io", "A@X.io", "ä@x.io", "Ä@x.io", "bad", "", " a@x.io", "a@x.io ", "İ@x.io", "a@x.io\x00"}

var versions = []string{"", "1", "1.0", "v1", "01", "1.10", "1.9", "latest", " 1", "1 "}

var contents = []string{"hello", "", " ", " \t\n\r", "\u00a0", "\v", "\f", "\u2028", "x\x00y", "\xff", "'", "a\r\nb", "😀", strings.Repeat("z", 10000)}

// jsons are JSON values the engines could read differently: duplicate and
// unordered keys, number forms, escapes of NUL and of lone surrogates,
// scalars where an object is wanted, and text that is not JSON.
var jsons = []string{"", "{}", `{"a":1}`, `{"b":1,"a":2}`, `{"a":1,"a":2}`, `[1,2]`, `"s"`, `null`, `1e400`, `{"a":1.0}`,
	`{"a":1E2}`, `{"a":-0}`, `{"a":100000000000000000000000001}`, `{"a":"\u0000"}`, `{"a":"\ud800"}`, `{"é":"\u00e9"}`,
	` {"a" : [ ] } `, `{`, `{"a":1}{"b":2}`, `{"a":0.1e-400}`, `{"a":"\/"}`}

func pick[T any](r *rand.Rand, from []T) T { return from[r.IntN(len(from))] }

// gen draws a call's arguments: most names, JSON and texts from values
// every engine accepts (so that calls go on to build chats, members,
// messages and events), the rest from the edge cases above; and most
// references to rows the calls made, counted on the first engine (the
// engines agree on them so far), the rest to a missing one.
type gen struct {
	r    *rand.Rand
	have *engine
}

var (
	goodNames    = []string{"a", "A", "b", "ab", "ä", "Ä", "é", "e\u0301", "ß", "ẞ", "İ", "\u212a", "k"}
	goodJSON     = []string{"", "{}", `{"a":1}`, `{"b":1,"a":2}`, `{"a":1E2}`, `{"a":-0}`, `{"é":"\u00e9"}`, ` {"a" : [ ] } `}
	goodContents = []string{"hello", "a\r\nb", "😀", "é", "e\u0301"}
)

func (g *gen) name() string {
	if g.r.IntN(10) < 7 {
		return pick(g.r, goodNames)
	}
	return pick(g.r, names)
}

func (g *gen) content() string {
	if g.r.IntN(10) < 7 {
		return pick(g.r, goodContents)
	}
	return pick(g.r, contents)
}

func (g *gen) json() json.RawMessage {
	s := pick(g.r, jsons)
	if g.r.IntN(10) < 8 {
		s = pick(g.r, goodJSON)
	}
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}

// of returns the ordinal of a row of kind the calls made (half the time
// one of the last three), or one past the last (a missing row) one time
// in eight.
func (g *gen) of(kind string) int {
	n := len(g.have.made[kind])
	switch {
	case n == 0 || g.r.IntN(8) == 0:
		return n
	case g.r.IntN(2) == 0: // a recent one, more likely not yet deleted
		return n - 1 - g.r.IntN(min(n, 3))
	}
	return g.r.IntN(n)
}

// anyOf returns the ordinal of any row of kind the calls made, or one past
// the last: deletes take it, so that recent rows live on.
func (g *gen) anyOf(kind string) int { return g.r.IntN(len(g.have.made[kind]) + 1) }

// ownerOf returns, most of the time, the profile that created chat, so
// that calls needing a member's rights go through.
func (g *gen) ownerOf(chat int) int {
	if p, ok := g.have.owners[chat]; ok && g.r.IntN(4) > 0 {
		return p
	}
	return g.of("profile")
}

// parent is of for a label's parent, or -1 (the root) one time in three.
func (g *gen) parent(kind string) int {
	if g.r.IntN(3) == 0 {
		return -1
	}
	return g.of(kind)
}

// errRollback is what a transaction's function returns to roll back.
var errRollback = errors.New("rolled back by the test")

// inTx runs one to four random calls in InTx, and commits or rolls back;
// a call in it may be a nested InTx (a savepoint).
func inTx(g *gen, depth int) call {
	r := g.r
	inner := make([]call, 1+r.IntN(4))
	descs := make([]string, len(inner))
	for i := range inner {
		inner[i] = randomCall(g, depth+1)
		descs[i] = inner[i].desc
	}
	rollback := r.IntN(3) == 0
	end := "commit"
	if rollback {
		end = "roll back"
	}
	return call{fmt.Sprintf("InTx{%s; %s}", strings.Join(descs, "; "), end), func(ctx context.Context, e *engine) string {
		var outs []string
		err := e.s.InTx(ctx, func(ctx context.Context, tx noetl.Store) error {
			in := *e // the same id records, the transaction's store
			in.s = tx
			for _, c := range inner {
				outs = append(outs, c.run(ctx, &in))
			}
			if rollback {
				return errRollback
			}
			return nil
		})
		if errors.Is(err, errRollback) {
			err = nil
			outs = append(outs, "rolled back")
		}
		return strings.Join(outs, " | ") + " => " + e.outcome(nil, err)
	}}
}

// fromTx runs one to four random calls on a store made from a transaction
// of the caller's (FromTx), then commits or rolls it back itself; a call
// in it may be an InTx (a savepoint in the caller's transaction).
func fromTx(g *gen) call {
	r := g.r
	inner := make([]call, 1+r.IntN(4))
	descs := make([]string, len(inner))
	for i := range inner {
		inner[i] = randomCall(g, 1)
		descs[i] = inner[i].desc
	}
	commit := r.IntN(3) > 0
	end := "commit"
	if !commit {
		end = "roll back"
	}
	return call{fmt.Sprintf("FromTx{%s; %s}", strings.Join(descs, "; "), end), func(ctx context.Context, e *engine) string {
		tx, finish, err := e.begin(ctx)
		if err != nil {
			return "begin: " + e.outcome(nil, err)
		}
		in := *e // the same id records, the caller's transaction's store
		in.s = tx
		var outs []string
		for _, c := range inner {
			outs = append(outs, c.run(ctx, &in))
		}
		return strings.Join(outs, " | ") + " => " + end + ": " + e.outcome(nil, finish(commit))
	}}
}

// racers is how many goroutines run a racing call at once.
const racers = 4

// race runs c in racers goroutines at once. Which one wins differs
// between runs and engines, so the outcome is the sorted list of what
// each got, reduced to success or the sentinel error (and, for a
// transaction, its end); ids made meanwhile are named in id order.
func race(c call) call {
	return call{fmt.Sprintf("race%d{%s}", racers, c.desc), func(ctx context.Context, e *engine) string {
		before := e.counts()
		view := *e
		view.frozen = map[string][]snowflake.ID{}
		for kind, ids := range e.made {
			view.frozen[kind] = slices.Clone(ids)
		}
		outs := make([]string, racers)
		var wg sync.WaitGroup
		for i := range outs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out := c.run(ctx, &view)
				if j := strings.LastIndex(out, " => "); j >= 0 {
					out = out[j+4:]
				}
				if !strings.HasPrefix(out, "error: ") {
					out = "ok"
				}
				outs[i] = out
			}()
		}
		wg.Wait()
		e.relabel(before)
		slices.Sort(outs)
		return strings.Join(outs, ", ")
	}}
}

func randomCall(g *gen, depth int) call {
	r := g.r
	if depth < 2 && r.IntN(12) == 0 {
		return inTx(g, depth)
	}
	if depth == 0 && g.have.begin != nil && r.IntN(12) == 0 {
		return fromTx(g)
	}
	switch r.IntN(34) {
	case 0, 1, 2:
		in := noetl.NewProfile{Username: g.name(), Type: pick(r, []noetl.ProfileType{noetl.ProfileUser, noetl.ProfileBot, "robot"})}
		if r.IntN(2) == 0 {
			in.Email = pick(r, emails)
		}
		reuse := -1 // the id of an existing profile, given as the new one's
		if n := len(g.have.made["profile"]); n > 0 && r.IntN(8) == 0 {
			reuse = r.IntN(n)
		}
		return call{fmt.Sprintf("Profiles().Create(%q, email %q, %s, id of profile%d)", in.Username, in.Email, in.Type, reuse), func(ctx context.Context, e *engine) string {
			in := in
			if reuse >= 0 {
				in.ID = e.id("profile", reuse)
			}
			p, err := e.s.Profiles().Create(ctx, in)
			if err == nil {
				e.record("profile", p.ID)
			}
			return e.outcome(p, err)
		}}
	case 3:
		u := g.name()
		return call{fmt.Sprintf("Profiles().GetByUsername(%q)", u), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Profiles().GetByUsername(ctx, u))
		}}
	case 4:
		m := pick(r, emails)
		return call{fmt.Sprintf("Profiles().GetByEmail(%q)", m), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Profiles().GetByEmail(ctx, m))
		}}
	case 5:
		k := g.of("profile")
		var u noetl.ProfileUpdate
		if r.IntN(2) == 0 {
			u.Username = noetl.Ptr(g.name())
		}
		if r.IntN(2) == 0 {
			u.Email = noetl.Ptr(pick(r, emails))
		}
		return call{fmt.Sprintf("Profiles().Update(profile%d, %s)", k, show(u)), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Profiles().Update(ctx, e.id("profile", k), u))
		}}
	case 6:
		k := g.anyOf("profile")
		return call{fmt.Sprintf("Profiles().Delete(profile%d)", k), func(ctx context.Context, e *engine) string {
			return e.outcome(nil, e.s.Profiles().Delete(ctx, e.id("profile", k)))
		}}
	case 7:
		n := g.name()
		return call{fmt.Sprintf("Roles().Create(%q)", n), func(ctx context.Context, e *engine) string {
			v, err := e.s.Roles().Create(ctx, noetl.NewRole{Name: n})
			if err == nil {
				e.record("role", v.ID)
			}
			return e.outcome(v, err)
		}}
	case 8:
		n := g.name()
		return call{fmt.Sprintf("Roles().GetByName(%q)", n), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Roles().GetByName(ctx, n))
		}}
	case 9:
		parent, n := g.parent("label"), g.name()
		return call{fmt.Sprintf("Labels().Create(parent label%d, %q)", parent, n), func(ctx context.Context, e *engine) string {
			v, err := e.s.Labels().Create(ctx, noetl.NewLabel{ParentID: e.idp("label", parent), Name: n})
			if err == nil {
				e.record("label", v.ID)
			}
			return e.outcome(v, err)
		}}
	case 10:
		k, n := g.of("label"), g.name()
		return call{fmt.Sprintf("Labels().Rename(label%d, %q)", k, n), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Labels().Rename(ctx, e.id("label", k), n))
		}}
	case 11:
		k, parent := g.of("label"), g.parent("label")
		return call{fmt.Sprintf("Labels().Move(label%d, under label%d)", k, parent), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Labels().Move(ctx, e.id("label", k), e.idp("label", parent)))
		}}
	case 12:
		k := g.anyOf("label")
		return call{fmt.Sprintf("Labels().Delete(label%d)", k), func(ctx context.Context, e *engine) string {
			return e.outcome(nil, e.s.Labels().Delete(ctx, e.id("label", k)))
		}}
	case 13:
		parts := make([]string, 1+r.IntN(3))
		for i := range parts {
			parts[i] = g.name()
		}
		path := strings.Join(parts, "/")
		if r.IntN(3) > 0 {
			path = "/" + path
		}
		return call{fmt.Sprintf("Labels().Resolve(%q)", path), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Labels().Resolve(ctx, path))
		}}
	case 14, 15:
		actor, label, n := g.of("profile"), g.of("label"), g.name()
		return call{fmt.Sprintf("Chats().Create(by profile%d, in label%d, %q)", actor, label, n), func(ctx context.Context, e *engine) string {
			v, err := e.s.Chats().Create(ctx, e.id("profile", actor), noetl.NewChat{LabelID: e.id("label", label), Name: n})
			if err == nil {
				e.recordChat(v.ID, actor)
			}
			return e.outcome(v, err)
		}}
	case 16:
		actor, k, n := g.of("profile"), g.of("chat"), g.name()
		return call{fmt.Sprintf("Chats().Rename(by profile%d, chat%d, %q)", actor, k, n), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Chats().Rename(ctx, e.id("profile", actor), e.id("chat", k), n))
		}}
	case 17:
		actor, k := g.of("profile"), g.of("chat")
		return call{fmt.Sprintf("Chats().Delete(by profile%d, chat%d)", actor, k), func(ctx context.Context, e *engine) string {
			return e.outcome(nil, e.s.Chats().Delete(ctx, e.id("profile", actor), e.id("chat", k)))
		}}
	case 18:
		chat, who := g.of("chat"), g.of("profile")
		actor := g.ownerOf(chat)
		role := pick(r, []noetl.MemberRole{noetl.RoleMember, noetl.RoleAdmin, noetl.RoleOwner, "guest"})
		return call{fmt.Sprintf("Members().Add(by profile%d, chat%d, profile%d, %s)", actor, chat, who, role), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Members().Add(ctx, e.id("profile", actor), noetl.NewMember{ChatID: e.id("chat", chat), ProfileID: e.id("profile", who), Role: role}))
		}}
	case 19:
		actor, chat, who := g.of("profile"), g.of("chat"), g.of("profile")
		return call{fmt.Sprintf("Members().Remove(by profile%d, chat%d, profile%d)", actor, chat, who), func(ctx context.Context, e *engine) string {
			return e.outcome(nil, e.s.Members().Remove(ctx, e.id("profile", actor), e.id("chat", chat), e.id("profile", who)))
		}}
	case 20:
		chat, text := g.of("chat"), g.content()
		sender := g.ownerOf(chat)
		return call{fmt.Sprintf("Messages().Post(chat%d, from profile%d, %.40q)", chat, sender, text), func(ctx context.Context, e *engine) string {
			v, err := e.s.Messages().Post(ctx, noetl.NewMessage{ChatID: e.id("chat", chat), SenderType: noetl.SenderUser,
				SenderID: e.idp("profile", sender), Content: text})
			if err == nil {
				e.record("message", v.ID)
			}
			return e.outcome(v, err)
		}}
	case 21:
		actor, chat := g.of("profile"), g.of("chat")
		return call{fmt.Sprintf("Messages().Count(by profile%d, chat%d)", actor, chat), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Messages().Count(ctx, e.id("profile", actor), e.id("chat", chat)))
		}}
	case 22:
		n := g.name()
		if r.IntN(2) == 0 {
			return call{fmt.Sprintf("Resources().Ensure(%q)", n), func(ctx context.Context, e *engine) string {
				return e.outcome(e.s.Resources().Ensure(ctx, n))
			}}
		}
		return call{fmt.Sprintf("Resources().Delete(%q)", n), func(ctx context.Context, e *engine) string {
			return e.outcome(nil, e.s.Resources().Delete(ctx, n))
		}}
	case 24:
		chat, who := g.of("chat"), g.of("profile")
		actor := g.ownerOf(chat)
		role := pick(r, []noetl.MemberRole{noetl.RoleMember, noetl.RoleAdmin, noetl.RoleOwner, "guest"})
		return call{fmt.Sprintf("Members().SetRole(by profile%d, chat%d, profile%d, %s)", actor, chat, who, role), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Members().SetRole(ctx, e.id("profile", actor), e.id("chat", chat), e.id("profile", who), role))
		}}
	case 25:
		actor, chat, label := g.of("profile"), g.of("chat"), g.of("label")
		return call{fmt.Sprintf("Chats().Move(by profile%d, chat%d, to label%d)", actor, chat, label), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Chats().Move(ctx, e.id("profile", actor), e.id("chat", chat), e.id("label", label)))
		}}
	case 26:
		prefix := g.name()
		return call{fmt.Sprintf("Profiles().List(prefix %q)", prefix), func(ctx context.Context, e *engine) string {
			return e.outcome(noetl.Collect(noetl.All(func(a string) (noetl.Page[noetl.Profile], error) {
				return e.s.Profiles().List(ctx, noetl.ProfileQuery{UsernamePrefix: prefix, Limit: 2, After: a})
			})))
		}}
	case 27:
		path := g.name()
		if r.IntN(2) == 0 {
			return call{fmt.Sprintf("Catalog().Versions(%q)", path), func(ctx context.Context, e *engine) string {
				return e.outcome(noetl.Collect(noetl.All(func(a string) (noetl.Page[noetl.CatalogEntry], error) {
					return e.s.Catalog().Versions(ctx, path, noetl.VersionQuery{Limit: 2, After: a})
				})))
			}}
		}
		return call{fmt.Sprintf("Catalog().List(prefix %q)", path), func(ctx context.Context, e *engine) string {
			return e.outcome(noetl.Collect(noetl.All(func(a string) (noetl.Page[noetl.CatalogEntry], error) {
				return e.s.Catalog().List(ctx, noetl.CatalogQuery{PathPrefix: path, Limit: 2, After: a})
			})))
		}}
	case 28:
		in := noetl.NewRuntime{Name: g.name(), ComponentType: pick(r, []noetl.ComponentType{noetl.ComponentWorkerPool, noetl.ComponentBroker, "gpu"}),
			Status: pick(r, []string{"", "ready", "busy", "Ready"}), Labels: g.json(), Capabilities: g.json()}
		return call{fmt.Sprintf("Runtimes().Register(%q, %s, status %q, labels %s, capabilities %s)", in.Name, in.ComponentType, in.Status, in.Labels, in.Capabilities),
			func(ctx context.Context, e *engine) string {
				v, err := e.s.Runtimes().Register(ctx, in)
				if err == nil {
					e.record("runtime", v.RuntimeID)
				}
				return e.outcome(v, err)
			}}
	case 29:
		k, status := g.of("runtime"), pick(r, []string{"ready", "busy", "", "offline"})
		return call{fmt.Sprintf("Runtimes().Heartbeat(runtime%d, %q)", k, status), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Runtimes().Heartbeat(ctx, e.id("runtime", k), status))
		}}
	case 30:
		in := noetl.NewSchedule{PlaybookPath: g.name(), Cron: pick(r, []string{"", "*/5 * * * *", "@hourly", "@every 90s", "61 * * * *", "bad"}),
			Timezone: pick(r, []string{"", "UTC", "Europe/Paris", "Mars/Base"}), InputPayload: g.json(), Meta: g.json()}
		if in.Cron == "" {
			in.IntervalSec = pick(r, []int{0, 1, 60, -1})
		}
		return call{fmt.Sprintf("Schedules().Create(%q, cron %q, every %ds, tz %q, payload %s, meta %s)", in.PlaybookPath, in.Cron, in.IntervalSec, in.Timezone, in.InputPayload, in.Meta),
			func(ctx context.Context, e *engine) string {
				v, err := e.s.Schedules().Create(ctx, in)
				if err == nil {
					e.record("schedule", v.ScheduleID)
				}
				return e.outcome(v, err)
			}}
	case 31:
		exec := g.of("workload")
		data := pick(r, []*string{nil, noetl.Ptr(""), noetl.Ptr("{}"), noetl.Ptr("x\x00y")})
		replace := r.IntN(2) == 0
		return call{fmt.Sprintf("Workloads().Put(workload%d or new, replace %v)", exec, replace), func(ctx context.Context, e *engine) string {
			in := noetl.NewWorkload{Data: data, Replace: replace}
			if id := e.id("workload", exec); id != missing {
				in.ExecutionID = id
			}
			v, err := e.s.Workloads().Put(ctx, in)
			if err == nil {
				e.record("workload", v.ExecutionID)
			}
			return e.outcome(v, err)
		}}
	case 32:
		exec, n := g.of("workload"), 1+r.IntN(3)
		evs := make([]noetl.Event, n)
		var descs []string
		for i := range evs {
			evs[i] = noetl.Event{Status: noetl.Ptr(g.name()), NodeID: noetl.Ptr(g.name()),
				Duration:     pick(r, []*float64{nil, noetl.Ptr(0.0), noetl.Ptr(-1.5), noetl.Ptr(1e300), noetl.Ptr(5e-324)}),
				CurrentIndex: pick(r, []*int{nil, noetl.Ptr(0), noetl.Ptr(-1), noetl.Ptr(1 << 40)}),
				Metadata:     g.json(), OutputResult: g.json()}
			descs = append(descs, fmt.Sprintf("{status %q, node %q, metadata %s, output %s}", *evs[i].Status, *evs[i].NodeID, evs[i].Metadata, evs[i].OutputResult))
		}
		return call{fmt.Sprintf("Events().AppendBatch(workload%d, %s)", exec, strings.Join(descs, ", ")), func(ctx context.Context, e *engine) string {
			batch := append([]noetl.Event(nil), evs...)
			for i := range batch {
				batch[i].ExecutionID = e.id("workload", exec)
			}
			if err := e.s.Events().AppendBatch(ctx, batch); err != nil {
				return e.outcome(nil, err)
			}
			return e.outcome(noetl.Collect(noetl.All(func(a string) (noetl.Page[noetl.Event], error) {
				return e.s.Events().List(ctx, e.id("workload", exec), noetl.EventQuery{After: a})
			})))
		}}
	case 33:
		in := noetl.NewCredential{Name: g.name(), Type: pick(r, []string{"postgres", "postgres", "", "Token"}), Data: noetl.Secret(pick(r, []string{`{"password":"x"}`, `{"token":"é","n":1}`, `{}`, "x", ""})),
			Meta: g.json(), Tags: pick(r, [][]string{nil, nil, {}, {"b", "a"}, {"a", "a"}, {""}, {"x\x00"}})}
		return call{fmt.Sprintf("Credentials().Put(%q, %q, meta %s, tags %q)", in.Name, in.Type, in.Meta, in.Tags), func(ctx context.Context, e *engine) string {
			v, err := e.s.Credentials().Put(ctx, in)
			if err == nil {
				e.record("credential", v.ID)
			}
			out := e.outcome(v, err)
			if err == nil {
				data, rerr := e.s.Credentials().Reveal(ctx, in.Name)
				out += fmt.Sprintf(" revealed %v %v", data == in.Data, e.outcome(nil, rerr))
			}
			return out
		}}
	default:
		path, version := g.name(), pick(r, versions)
		switch r.IntN(3) {
		case 0:
			return call{fmt.Sprintf("Catalog().Get(%q, %q)", path, version), func(ctx context.Context, e *engine) string {
				return e.outcome(e.s.Catalog().Get(ctx, path, version))
			}}
		case 1:
			return call{fmt.Sprintf("Catalog().Delete(%q, %q)", path, version), func(ctx context.Context, e *engine) string {
				return e.outcome(nil, e.s.Catalog().Delete(ctx, path, version))
			}}
		}
		typ := pick(r, []string{"playbook", "widget", ""})
		return call{fmt.Sprintf("Catalog().Register(%q, %q, version %q)", path, typ, version), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Catalog().Register(ctx, noetl.NewCatalogEntry{Path: path, Type: typ, Version: version, Source: "inline"}))
		}}
	}
}

// show renders a profile update's set fields.
func show(u noetl.ProfileUpdate) string {
	var parts []string
	if u.Username != nil {
		parts = append(parts, fmt.Sprintf("username %q", *u.Username))
	}
	if u.Email != nil {
		parts = append(parts, fmt.Sprintf("email %q", *u.Email))
	}
	return strings.Join(parts, ", ")
}
