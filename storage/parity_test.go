package storage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

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
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			ctx := context.Background()
			lite, err := sqlite.Open(ctx, sqlite.Memory, storage.WithPasswordCost(4))
			require.NoError(t, err)
			defer lite.Close()
			pg, err := postgres.Open(ctx, dsn, postgres.WithSchema(fmt.Sprintf("parity%d", seed)), storage.WithPasswordCost(4))
			require.NoError(t, err)
			defer pg.Close()
			engines := [2]*engine{newEngine("sqlite", lite), newEngine("postgres", pg)}
			r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
			var log []string
			for i := range calls {
				c := randomCall(r, 0)
				log = append(log, c.desc)
				got := [2]string{c.run(ctx, engines[0]), c.run(ctx, engines[1])}
				if got[0] != got[1] {
					t.Fatalf("seed %d, call %d: %s\nsqlite:   %s\npostgres: %s\ncalls before it:\n  %s",
						seed, i, c.desc, got[0], got[1], strings.Join(last(log[:i], 15), "\n  "))
				}
			}
			for _, what := range []string{"profiles", "roles", "resources", "catalog", "labels", "memberships"} {
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
}

func newEngine(name string, s noetl.Store) *engine {
	return &engine{name: name, s: s, labels: map[snowflake.ID]string{}, made: map[string][]snowflake.ID{}}
}

// missing is an id no store issues: snowflake ids are far above it.
const missing = snowflake.ID(4242)

// made records an id a call created.
func (e *engine) record(kind string, id snowflake.ID) {
	e.labels[id] = fmt.Sprintf("%s%d", kind, len(e.made[kind]))
	e.made[kind] = append(e.made[kind], id)
}

// id returns the k-th id of a kind, or missing past the last.
func (e *engine) id(kind string, k int) snowflake.ID {
	if k < len(e.made[kind]) {
		return e.made[kind][k]
	}
	return missing
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
	out, _ := json.Marshal(e.normalize(x))
	return string(out)
}

func (e *engine) normalize(x any) any {
	switch v := x.(type) {
	case map[string]any:
		for k, f := range v {
			if strings.HasSuffix(k, "_at") || k == "timestamp" || k == "next" {
				delete(v, k)
				continue
			}
			v[k] = e.normalize(f)
		}
	case []any:
		for i := range v {
			v[i] = e.normalize(v[i])
		}
	case string, json.Number:
		// An id the calls did not create (the roles a migration made) is
		// named in the order it is first seen, the same on both engines.
		id, err := snowflake.ParseID(fmt.Sprint(v))
		if err != nil || id < 1<<32 {
			return x
		}
		if _, ok := e.labels[id]; !ok {
			e.record("seen", id)
		}
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

func pick[T any](r *rand.Rand, from []T) T { return from[r.IntN(len(from))] }

// ordinal picks one of the ids a kind has (usually), or one past the last.
func ordinal(r *rand.Rand) int { return r.IntN(6) }

// errRollback is what a transaction's function returns to roll back.
var errRollback = errors.New("rolled back by the test")

// inTx runs one to four random calls in InTx, and commits or rolls back;
// a call in it may be a nested InTx (a savepoint).
func inTx(r *rand.Rand, depth int) call {
	inner := make([]call, 1+r.IntN(4))
	descs := make([]string, len(inner))
	for i := range inner {
		inner[i] = randomCall(r, depth+1)
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

func randomCall(r *rand.Rand, depth int) call {
	if depth < 2 && r.IntN(12) == 0 {
		return inTx(r, depth)
	}
	switch r.IntN(28) {
	case 0, 1, 2:
		in := noetl.NewProfile{Username: pick(r, names), Type: pick(r, []noetl.ProfileType{noetl.ProfileUser, noetl.ProfileBot, "robot"})}
		if r.IntN(2) == 0 {
			in.Email = pick(r, emails)
		}
		return call{fmt.Sprintf("Profiles().Create(%q, email %q, %s)", in.Username, in.Email, in.Type), func(ctx context.Context, e *engine) string {
			p, err := e.s.Profiles().Create(ctx, in)
			if err == nil {
				e.record("profile", p.ID)
			}
			return e.outcome(p, err)
		}}
	case 3:
		u := pick(r, names)
		return call{fmt.Sprintf("Profiles().GetByUsername(%q)", u), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Profiles().GetByUsername(ctx, u))
		}}
	case 4:
		m := pick(r, emails)
		return call{fmt.Sprintf("Profiles().GetByEmail(%q)", m), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Profiles().GetByEmail(ctx, m))
		}}
	case 5:
		k := ordinal(r)
		var u noetl.ProfileUpdate
		if r.IntN(2) == 0 {
			u.Username = noetl.Ptr(pick(r, names))
		}
		if r.IntN(2) == 0 {
			u.Email = noetl.Ptr(pick(r, emails))
		}
		return call{fmt.Sprintf("Profiles().Update(profile%d, %s)", k, show(u)), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Profiles().Update(ctx, e.id("profile", k), u))
		}}
	case 6:
		k := ordinal(r)
		return call{fmt.Sprintf("Profiles().Delete(profile%d)", k), func(ctx context.Context, e *engine) string {
			return e.outcome(nil, e.s.Profiles().Delete(ctx, e.id("profile", k)))
		}}
	case 7:
		n := pick(r, names)
		return call{fmt.Sprintf("Roles().Create(%q)", n), func(ctx context.Context, e *engine) string {
			v, err := e.s.Roles().Create(ctx, noetl.NewRole{Name: n})
			if err == nil {
				e.record("role", v.ID)
			}
			return e.outcome(v, err)
		}}
	case 8:
		n := pick(r, names)
		return call{fmt.Sprintf("Roles().GetByName(%q)", n), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Roles().GetByName(ctx, n))
		}}
	case 9:
		parent, n := ordinal(r)-1, pick(r, names)
		return call{fmt.Sprintf("Labels().Create(parent label%d, %q)", parent, n), func(ctx context.Context, e *engine) string {
			v, err := e.s.Labels().Create(ctx, noetl.NewLabel{ParentID: e.idp("label", parent), Name: n})
			if err == nil {
				e.record("label", v.ID)
			}
			return e.outcome(v, err)
		}}
	case 10:
		k, n := ordinal(r), pick(r, names)
		return call{fmt.Sprintf("Labels().Rename(label%d, %q)", k, n), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Labels().Rename(ctx, e.id("label", k), n))
		}}
	case 11:
		k, parent := ordinal(r), ordinal(r)-1
		return call{fmt.Sprintf("Labels().Move(label%d, under label%d)", k, parent), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Labels().Move(ctx, e.id("label", k), e.idp("label", parent)))
		}}
	case 12:
		k := ordinal(r)
		return call{fmt.Sprintf("Labels().Delete(label%d)", k), func(ctx context.Context, e *engine) string {
			return e.outcome(nil, e.s.Labels().Delete(ctx, e.id("label", k)))
		}}
	case 13:
		parts := make([]string, 1+r.IntN(3))
		for i := range parts {
			parts[i] = pick(r, names)
		}
		path := strings.Join(parts, "/")
		if r.IntN(3) > 0 {
			path = "/" + path
		}
		return call{fmt.Sprintf("Labels().Resolve(%q)", path), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Labels().Resolve(ctx, path))
		}}
	case 14, 15:
		actor, label, n := ordinal(r), ordinal(r), pick(r, names)
		return call{fmt.Sprintf("Chats().Create(by profile%d, in label%d, %q)", actor, label, n), func(ctx context.Context, e *engine) string {
			v, err := e.s.Chats().Create(ctx, e.id("profile", actor), noetl.NewChat{LabelID: e.id("label", label), Name: n})
			if err == nil {
				e.record("chat", v.ID)
			}
			return e.outcome(v, err)
		}}
	case 16:
		actor, k, n := ordinal(r), ordinal(r), pick(r, names)
		return call{fmt.Sprintf("Chats().Rename(by profile%d, chat%d, %q)", actor, k, n), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Chats().Rename(ctx, e.id("profile", actor), e.id("chat", k), n))
		}}
	case 17:
		actor, k := ordinal(r), ordinal(r)
		return call{fmt.Sprintf("Chats().Delete(by profile%d, chat%d)", actor, k), func(ctx context.Context, e *engine) string {
			return e.outcome(nil, e.s.Chats().Delete(ctx, e.id("profile", actor), e.id("chat", k)))
		}}
	case 18:
		actor, chat, who := ordinal(r), ordinal(r), ordinal(r)
		role := pick(r, []noetl.MemberRole{noetl.RoleMember, noetl.RoleAdmin, noetl.RoleOwner, "guest"})
		return call{fmt.Sprintf("Members().Add(by profile%d, chat%d, profile%d, %s)", actor, chat, who, role), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Members().Add(ctx, e.id("profile", actor), noetl.NewMember{ChatID: e.id("chat", chat), ProfileID: e.id("profile", who), Role: role}))
		}}
	case 19:
		actor, chat, who := ordinal(r), ordinal(r), ordinal(r)
		return call{fmt.Sprintf("Members().Remove(by profile%d, chat%d, profile%d)", actor, chat, who), func(ctx context.Context, e *engine) string {
			return e.outcome(nil, e.s.Members().Remove(ctx, e.id("profile", actor), e.id("chat", chat), e.id("profile", who)))
		}}
	case 20:
		chat, sender, text := ordinal(r), ordinal(r), pick(r, contents)
		return call{fmt.Sprintf("Messages().Post(chat%d, from profile%d, %.40q)", chat, sender, text), func(ctx context.Context, e *engine) string {
			v, err := e.s.Messages().Post(ctx, noetl.NewMessage{ChatID: e.id("chat", chat), SenderType: noetl.SenderUser,
				SenderID: e.idp("profile", sender), Content: text})
			if err == nil {
				e.record("message", v.ID)
			}
			return e.outcome(v, err)
		}}
	case 21:
		actor, chat := ordinal(r), ordinal(r)
		return call{fmt.Sprintf("Messages().Count(by profile%d, chat%d)", actor, chat), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Messages().Count(ctx, e.id("profile", actor), e.id("chat", chat)))
		}}
	case 22:
		n := pick(r, names)
		if r.IntN(2) == 0 {
			return call{fmt.Sprintf("Resources().Ensure(%q)", n), func(ctx context.Context, e *engine) string {
				return e.outcome(e.s.Resources().Ensure(ctx, n))
			}}
		}
		return call{fmt.Sprintf("Resources().Delete(%q)", n), func(ctx context.Context, e *engine) string {
			return e.outcome(nil, e.s.Resources().Delete(ctx, n))
		}}
	case 24:
		actor, chat, who := ordinal(r), ordinal(r), ordinal(r)
		role := pick(r, []noetl.MemberRole{noetl.RoleMember, noetl.RoleAdmin, noetl.RoleOwner, "guest"})
		return call{fmt.Sprintf("Members().SetRole(by profile%d, chat%d, profile%d, %s)", actor, chat, who, role), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Members().SetRole(ctx, e.id("profile", actor), e.id("chat", chat), e.id("profile", who), role))
		}}
	case 25:
		actor, chat, label := ordinal(r), ordinal(r), ordinal(r)
		return call{fmt.Sprintf("Chats().Move(by profile%d, chat%d, to label%d)", actor, chat, label), func(ctx context.Context, e *engine) string {
			return e.outcome(e.s.Chats().Move(ctx, e.id("profile", actor), e.id("chat", chat), e.id("label", label)))
		}}
	case 26:
		prefix := pick(r, names)
		return call{fmt.Sprintf("Profiles().List(prefix %q)", prefix), func(ctx context.Context, e *engine) string {
			return e.outcome(noetl.Collect(noetl.All(func(a string) (noetl.Page[noetl.Profile], error) {
				return e.s.Profiles().List(ctx, noetl.ProfileQuery{UsernamePrefix: prefix, Limit: 2, After: a})
			})))
		}}
	case 27:
		path := pick(r, names)
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
	default:
		path, version := pick(r, names), pick(r, versions)
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
