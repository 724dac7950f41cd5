package storagetest

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

func init() { register("contract_cursors", testContractCursors) }

// pagedList is one List method paged one item at a time: page returns the
// Next cursor of the page after `after`.
type pagedList struct {
	name string
	page func(after string) (string, error)
}

// pagedFixture is a store with two or more rows in every list, and every
// list of it.
func pagedFixture(t *testing.T, h Harness) (*fixture, []pagedList) {
	t.Helper()
	f := newFixture(t, h)
	s, c := f.s, ctx(t)
	cv := convo{s: s, ann: f.ann}
	var err error
	cv.bob, err = s.Profiles().GetByUsername(c, "bob")
	require.NoError(t, err)
	cv.cat, err = s.Profiles().GetByUsername(c, "cat")
	require.NoError(t, err)
	team, err := s.Labels().Resolve(c, "/team")
	require.NoError(t, err)
	mkLabel(t, s, &team.ID, "ops")
	mkLabel(t, s, nil, "inbox")
	eng, err := s.Labels().Resolve(c, "/team/eng")
	require.NoError(t, err)
	cv.newChat(t, eng.ID, "random")
	cv.post(t, f.chat.ID, f.ann, "one")
	cv.post(t, f.chat.ID, f.ann, "two")
	for _, n := range []string{"a.txt", "b.txt"} {
		_, err := s.Attachments().Add(c, noetl.NewAttachment{ChatID: &f.chat.ID, Filename: n, Filepath: "/" + n, UploadedBy: f.ann.ID})
		require.NoError(t, err)
	}
	for range 2 {
		_, err := s.Sessions().Open(c, noetl.NewSession{ProfileID: f.ann.ID, SessionType: noetl.SessionUser})
		require.NoError(t, err)
	}
	for _, e := range []noetl.NewCatalogEntry{{Path: "a", Type: "playbook"}, {Path: "a", Type: "playbook"}, {Path: "b", Type: "dataset"}} {
		_, err := s.Catalog().Register(c, e)
		require.NoError(t, err)
	}
	for _, n := range []string{"c1", "c2"} {
		_, err := s.Credentials().Put(c, noetl.NewCredential{Name: n, Type: "t", Data: `{"a":1}`})
		require.NoError(t, err)
	}
	_, err = s.Runtimes().Register(c, pool("w2"))
	require.NoError(t, err)
	_, err = s.Schedules().Create(c, noetl.NewSchedule{PlaybookPath: "p2", IntervalSec: 60})
	require.NoError(t, err)
	_, err = s.Workloads().Put(c, noetl.NewWorkload{})
	require.NoError(t, err)
	require.NoError(t, s.Workflows().Add(c, noetl.WorkflowStep{ExecutionID: f.exec, StepID: "a"}, noetl.WorkflowStep{ExecutionID: f.exec, StepID: "b"}))
	require.NoError(t, s.Workbooks().Add(c, noetl.WorkbookTask{ExecutionID: f.exec, TaskID: "a"}, noetl.WorkbookTask{ExecutionID: f.exec, TaskID: "b"}))
	require.NoError(t, s.Transitions().Add(c, noetl.Transition{ExecutionID: f.exec, FromStep: "a", ToStep: "b"}, noetl.Transition{ExecutionID: f.exec, FromStep: "a", ToStep: "c"}))
	root, err := s.Events().Append(c, noetl.Event{ExecutionID: f.exec})
	require.NoError(t, err)
	for range 2 {
		_, err := s.Events().Append(c, noetl.Event{ExecutionID: f.exec, ParentEventID: &root.EventID})
		require.NoError(t, err)
	}
	for range 2 {
		_, err := s.Errors().Record(c, noetl.NewErrorLog{ErrorType: "E", ErrorMessage: "m"})
		require.NoError(t, err)
	}
	next := func(p any, err error) (string, error) {
		if err != nil {
			return "", err
		}
		b, _ := json.Marshal(p)
		var v struct{ Next string }
		require.NoError(t, json.Unmarshal(b, &v))
		return v.Next, nil
	}
	l := func(name string, page func(after string) (any, error)) pagedList {
		return pagedList{name, func(after string) (string, error) { return next(page(after)) }}
	}
	chat, exec := f.chat.ID, f.exec
	return f, []pagedList{
		l("Roles", func(a string) (any, error) { return s.Roles().List(c, noetl.RoleQuery{Limit: 1, After: a}) }),
		l("Profiles", func(a string) (any, error) { return s.Profiles().List(c, noetl.ProfileQuery{Limit: 1, After: a}) }),
		l("Sessions", func(a string) (any, error) {
			return s.Sessions().ListActive(c, f.ann.ID, noetl.SessionQuery{Limit: 1, After: a})
		}),
		l("LabelChildren", func(a string) (any, error) {
			return s.Labels().Children(c, nil, noetl.LabelQuery{Limit: 1, After: a})
		}),
		l("Chats", func(a string) (any, error) {
			return s.Chats().List(c, noetl.ChatQuery{LabelID: eng.ID, Limit: 1, After: a})
		}),
		l("ChatsForProfile", func(a string) (any, error) {
			return s.Chats().ListForProfile(c, f.ann.ID, noetl.MembershipQuery{Limit: 1, After: a})
		}),
		l("Members", func(a string) (any, error) {
			return s.Members().List(c, chat, noetl.MemberQuery{Limit: 1, After: a})
		}),
		l("MessagesNewestFirst", func(a string) (any, error) {
			return s.Messages().List(c, f.ann.ID, chat, noetl.MessageQuery{Limit: 1, After: a})
		}),
		l("MessagesOldestFirst", func(a string) (any, error) {
			return s.Messages().List(c, f.ann.ID, chat, noetl.MessageQuery{Order: noetl.OldestFirst, Limit: 1, After: a})
		}),
		l("Attachments", func(a string) (any, error) {
			return s.Attachments().List(c, noetl.AttachmentQuery{ChatID: &chat, Limit: 1, After: a})
		}),
		l("Resources", func(a string) (any, error) { return s.Resources().List(c, noetl.ResourceQuery{Limit: 1, After: a}) }),
		l("Catalog", func(a string) (any, error) { return s.Catalog().List(c, noetl.CatalogQuery{Limit: 1, After: a}) }),
		l("CatalogVersions", func(a string) (any, error) {
			return s.Catalog().Versions(c, "a", noetl.VersionQuery{Limit: 1, After: a})
		}),
		l("Credentials", func(a string) (any, error) {
			return s.Credentials().List(c, noetl.CredentialQuery{Limit: 1, After: a})
		}),
		l("Runtimes", func(a string) (any, error) { return s.Runtimes().List(c, noetl.RuntimeQuery{Limit: 1, After: a}) }),
		l("Schedules", func(a string) (any, error) { return s.Schedules().List(c, noetl.ScheduleQuery{Limit: 1, After: a}) }),
		l("WorkflowSteps", func(a string) (any, error) {
			return s.Workflows().List(c, exec, noetl.StepQuery{Limit: 1, After: a})
		}),
		l("WorkbookTasks", func(a string) (any, error) {
			return s.Workbooks().List(c, exec, noetl.TaskQuery{Limit: 1, After: a})
		}),
		l("Transitions", func(a string) (any, error) {
			return s.Transitions().List(c, exec, noetl.TransitionQuery{Limit: 1, After: a})
		}),
		l("TransitionsFrom", func(a string) (any, error) {
			return s.Transitions().ListFrom(c, exec, "a", noetl.TransitionQuery{Limit: 1, After: a})
		}),
		l("Events", func(a string) (any, error) { return s.Events().List(c, exec, noetl.EventQuery{Limit: 1, After: a}) }),
		l("EventChildren", func(a string) (any, error) {
			return s.Events().Children(c, exec, root.EventID, noetl.EventQuery{Limit: 1, After: a})
		}),
		l("Errors", func(a string) (any, error) { return s.Errors().List(c, noetl.ErrorLogQuery{Limit: 1, After: a}) }),
		l("Executions", func(a string) (any, error) {
			return s.Executions().List(c, noetl.ExecutionQuery{Limit: 1, After: a})
		}),
	}
}

// decodeNumbers decodes JSON keeping numbers as json.Number.
func decodeNumbers(raw []byte) any {
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	var v any
	_ = d.Decode(&v)
	return v
}

// walkNumbers calls f on every number of v (decoded JSON) and puts back
// what f returns.
func walkNumbers(v any, f func(json.Number) json.Number) any {
	switch x := v.(type) {
	case json.Number:
		return f(x)
	case []any:
		for i := range x {
			x[i] = walkNumbers(x[i], f)
		}
	case map[string]any:
		for k := range x {
			x[k] = walkNumbers(x[k], f)
		}
	}
	return v
}

func countNumbers(raw []byte) int {
	n := 0
	walkNumbers(decodeNumbers(raw), func(x json.Number) json.Number { n++; return x })
	return n
}

// replaceNumbers returns raw with every number (not digits inside strings)
// replaced by n, and whether there was any.
func replaceNumbers(raw []byte, n json.Number) ([]byte, bool) {
	changed := false
	v := walkNumbers(decodeNumbers(raw), func(json.Number) json.Number { changed = true; return n })
	b, _ := json.Marshal(v)
	return b, changed
}

// forgeries returns cursors no list made, derived from a real one when it
// is base64 JSON (a backend with another format still must refuse them).
func forgeries(real string) map[string]string {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	out := map[string]string{
		"Null": enc("null"), "OneNumber": enc("[1]"), "EmptyArray": enc("[]"), "EmptyObject": enc("{}"),
		"String": enc(`"x"`), "NotBase64": "%%%", "Huge": strings.Repeat("A", 1<<20),
		"Truncated": real[:len(real)/2], "Extended": real + "AAAA",
	}
	raw, err := base64.RawURLEncoding.DecodeString(real)
	if err != nil || !json.Valid(raw) {
		return out
	}
	forge := map[string]string{"MinNumbers": "-9223372036854775808", "NegativeNumbers": "-1"}
	if countNumbers(raw) > 1 {
		// A position with a time in it: no stored time is that late. (A
		// lone id that large could be a row's.)
		forge["MaxNumbers"] = "9223372036854775807"
	}
	for name, n := range forge {
		if forged, changed := replaceNumbers(raw, json.Number(n)); changed {
			out[name] = enc(string(forged))
		}
	}
	out["Spaced"] = enc(" " + string(raw))
	out["NullPosition"] = enc(strings.Replace(string(raw), "[", "[null,", 1))
	return out
}

func testContractCursors(t *testing.T, h Harness) {
	f, lists := pagedFixture(t, h)
	real := map[string]string{}
	for _, l := range lists {
		next, err := l.page("")
		require.NoError(t, err, l.name)
		require.NotEmpty(t, next, "%s has a second page", l.name)
		real[l.name] = next
	}
	t.Run("EveryListAcceptsItsOwnCursor", func(t *testing.T) {
		for _, l := range lists {
			_, err := l.page(real[l.name])
			require.NoError(t, err, l.name)
		}
	})
	t.Run("EveryListRefusesEveryOtherListsCursor", func(t *testing.T) {
		for _, l := range lists {
			for _, other := range lists {
				if other.name == l.name {
					continue
				}
				_, err := l.page(real[other.name])
				require.ErrorIs(t, err, noetl.ErrInvalid, "%s given a cursor of %s", l.name, other.name)
			}
		}
	})
	t.Run("EveryListRefusesForgedCursorsWithAShortError", func(t *testing.T) {
		for _, l := range lists {
			for name, forged := range forgeries(real[l.name]) {
				_, err := l.page(forged)
				require.ErrorIs(t, err, noetl.ErrInvalid, "%s given a forged cursor %s", l.name, name)
				require.Less(t, len(err.Error()), 200, "%s: the error repeats the cursor: %.300s", l.name, err)
			}
		}
	})
	t.Run("LookupErrorsQuoteOnlyAShortPrefixOfTheInput", func(t *testing.T) {
		huge := strings.Repeat("x", 1<<20)
		for name, call := range map[string]func() error{
			"GetByUsername": func() error { _, err := f.s.Profiles().GetByUsername(ctxBG, huge); return err },
			"RoleGetByName": func() error { _, err := f.s.Roles().GetByName(ctxBG, huge); return err },
			"CatalogGet":    func() error { _, err := f.s.Catalog().Get(ctxBG, huge, ""); return err },
			"Credential":    func() error { _, err := f.s.Credentials().GetByName(ctxBG, huge); return err },
			"Runtime": func() error {
				_, err := f.s.Runtimes().GetByName(ctxBG, noetl.ComponentWorkerPool, huge)
				return err
			},
			"Transition": func() error {
				_, err := f.s.Transitions().Get(ctxBG, f.exec, huge, huge, huge)
				return err
			},
			"CreateRole": func() error { _, err := f.s.Roles().Create(ctxBG, noetl.NewRole{Name: huge}); return err },
			"LabelPath":  func() error { _, err := f.s.Labels().Resolve(ctxBG, "/"+huge); return err },
			"Version":    func() error { _, err := f.s.Catalog().Get(ctxBG, "a", huge); return err },
			"Email": func() error {
				_, err := f.s.Profiles().Create(ctxBG, noetl.NewProfile{Username: "z", Email: huge, Type: noetl.ProfileUser})
				return err
			},
			"Schedule": func() error {
				_, err := f.s.Schedules().Create(ctxBG, noetl.NewSchedule{PlaybookPath: huge, Cron: huge})
				return err
			},
		} {
			err := call()
			require.Error(t, err, name)
			require.Less(t, len(err.Error()), 300, "%s: the error repeats the input: %.400s", name, err)
		}
	})
}
