package storagetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() {
	register("contract_text", testContractText)
	register("contract_json", testContractJSON)
}

// everything is every row of a store the public API can list, so a refused
// call of any repository is checked to have written nothing anywhere.
type everything struct {
	Roles       []noetl.Role
	Profiles    []noetl.Profile
	Sessions    []noetl.Session
	Resources   []noetl.Resource
	Catalog     []noetl.CatalogEntry
	Credentials []noetl.Credential
	Runtimes    []noetl.Runtime
	Schedules   []noetl.Schedule
	Executions  []noetl.ExecutionInfo
	Events      []noetl.Event
	Errors      []noetl.ErrorLog
	Convo       snapshot
}

func takeEverything(t *testing.T, s noetl.Store) everything {
	t.Helper()
	c := ctx(t)
	e := everything{
		Roles: allPages(t, func(a string) (noetl.Page[noetl.Role], error) {
			return s.Roles().List(c, noetl.RoleQuery{Limit: noetl.MaxLimit, After: a})
		}),
		Profiles: allPages(t, func(a string) (noetl.Page[noetl.Profile], error) {
			return s.Profiles().List(c, noetl.ProfileQuery{Limit: noetl.MaxLimit, After: a})
		}),
		Resources: allPages(t, func(a string) (noetl.Page[noetl.Resource], error) {
			return s.Resources().List(c, noetl.ResourceQuery{Limit: noetl.MaxLimit, After: a})
		}),
		Catalog: allPages(t, func(a string) (noetl.Page[noetl.CatalogEntry], error) {
			return s.Catalog().List(c, noetl.CatalogQuery{Limit: noetl.MaxLimit, After: a})
		}),
		Credentials: allPages(t, func(a string) (noetl.Page[noetl.Credential], error) {
			return s.Credentials().List(c, noetl.CredentialQuery{Limit: noetl.MaxLimit, After: a})
		}),
		Runtimes: allPages(t, func(a string) (noetl.Page[noetl.Runtime], error) {
			return s.Runtimes().List(c, noetl.RuntimeQuery{Limit: noetl.MaxLimit, After: a})
		}),
		Schedules: allPages(t, func(a string) (noetl.Page[noetl.Schedule], error) {
			return s.Schedules().List(c, noetl.ScheduleQuery{Limit: noetl.MaxLimit, After: a})
		}),
		Executions: allPages(t, func(a string) (noetl.Page[noetl.ExecutionInfo], error) {
			return s.Executions().List(c, noetl.ExecutionQuery{Limit: noetl.MaxLimit, After: a})
		}),
		Errors: allPages(t, func(a string) (noetl.Page[noetl.ErrorLog], error) {
			return s.Errors().List(c, noetl.ErrorLogQuery{Limit: noetl.MaxLimit, After: a})
		}),
		Convo: takeSnapshot(t, s),
	}
	for _, p := range e.Profiles {
		e.Sessions = append(e.Sessions, allPages(t, func(a string) (noetl.Page[noetl.Session], error) {
			return s.Sessions().ListActive(c, p.ID, noetl.SessionQuery{Limit: noetl.MaxLimit, After: a})
		})...)
	}
	for _, x := range e.Executions {
		e.Events = append(e.Events, allPages(t, func(a string) (noetl.Page[noetl.Event], error) {
			return s.Events().List(c, x.ExecutionID, noetl.EventQuery{Limit: noetl.MaxLimit, After: a})
		})...)
	}
	return e
}

// refusedEverywhere runs a call that must be refused with want, naming
// field in its error, and checks that nothing anywhere changed.
func refusedEverywhere(t *testing.T, s noetl.Store, want error, field string, call func() error) {
	t.Helper()
	before := takeEverything(t, s)
	err := call()
	require.ErrorIs(t, err, want)
	require.Contains(t, err.Error(), field, "the error names the field")
	require.Equal(t, before, takeEverything(t, s), "a refused call changed the store")
}

// fixture is a store with one row of each kind the contract subtests act on.
type fixture struct {
	s       noetl.Store
	ann     noetl.Profile
	chat    noetl.Chat
	exec    snowflake.ID
	runtime noetl.Runtime
	sched   noetl.Schedule
	role    noetl.Role
}

func newFixture(t *testing.T, h Harness) *fixture {
	t.Helper()
	s := newWith(t, h, StoreOptions{Keyring: testKeyring(t, "k1")})
	c := ctx(t)
	cv := newConvo(t, s)
	f := &fixture{s: s, ann: cv.ann, chat: cv.chat}
	var err error
	f.role, err = s.Roles().Create(c, noetl.NewRole{Name: "ops"})
	require.NoError(t, err)
	w, err := s.Workloads().Put(c, noetl.NewWorkload{})
	require.NoError(t, err)
	f.exec = w.ExecutionID
	f.runtime, err = s.Runtimes().Register(c, pool("w1"))
	require.NoError(t, err)
	f.sched, err = s.Schedules().Create(c, noetl.NewSchedule{PlaybookPath: "p", IntervalSec: 60})
	require.NoError(t, err)
	return f
}

// textCase is one text field or lookup key: call passes v where the field
// goes. A good v must be accepted (or be a clean miss) and a bad one refused.
type textCase struct {
	field string
	call  func(f *fixture, v string) error
}

func textCases() []textCase {
	return []textCase{
		{"role description", func(f *fixture, v string) error {
			_, err := f.s.Roles().Create(ctxBG, noetl.NewRole{Name: "r" + uniq(v), Description: &v})
			return err
		}},
		{"role description", func(f *fixture, v string) error {
			_, err := f.s.Roles().Update(ctxBG, f.role.ID, noetl.RoleUpdate{Description: &v})
			return err
		}},
		{"role name", func(f *fixture, v string) error {
			_, err := f.s.Roles().GetByName(ctxBG, "ops"+v)
			return notFoundOK(err)
		}},
		{"username", func(f *fixture, v string) error {
			_, err := f.s.Profiles().GetByUsername(ctxBG, "ann"+v)
			return notFoundOK(err)
		}},
		{"email", func(f *fixture, v string) error {
			_, err := f.s.Profiles().GetByEmail(ctxBG, "ann"+v+"@example.com")
			return notFoundOK(err)
		}},
		{"username prefix", func(f *fixture, v string) error {
			_, err := f.s.Profiles().List(ctxBG, noetl.ProfileQuery{UsernamePrefix: "an" + v})
			return err
		}},
		{"resource type", func(f *fixture, v string) error {
			_, err := f.s.Resources().Get(ctxBG, "playbook"+v)
			return notFoundOK(err)
		}},
		{"resource type", func(f *fixture, v string) error {
			return notFoundOK(f.s.Resources().Delete(ctxBG, "playbook"+v))
		}},
		{"catalog location", func(f *fixture, v string) error {
			_, err := f.s.Catalog().Register(ctxBG, noetl.NewCatalogEntry{Path: "loc", Type: "playbook", Location: &v})
			return err
		}},
		{"catalog content", func(f *fixture, v string) error {
			_, err := f.s.Catalog().Register(ctxBG, noetl.NewCatalogEntry{Path: "content", Type: "playbook", Content: &v})
			return err
		}},
		{"catalog template", func(f *fixture, v string) error {
			_, err := f.s.Catalog().Register(ctxBG, noetl.NewCatalogEntry{Path: "tpl", Type: "playbook", Template: &v})
			return err
		}},
		{"resource path", func(f *fixture, v string) error {
			_, err := f.s.Catalog().Get(ctxBG, "p"+v, "")
			return notFoundOK(err)
		}},
		{"resource path", func(f *fixture, v string) error {
			_, err := f.s.Catalog().Versions(ctxBG, "p"+v, noetl.VersionQuery{})
			return err
		}},
		{"resource path", func(f *fixture, v string) error {
			return notFoundOK(f.s.Catalog().Delete(ctxBG, "p"+v, "0.1.0"))
		}},
		{"path prefix", func(f *fixture, v string) error {
			_, err := f.s.Catalog().List(ctxBG, noetl.CatalogQuery{PathPrefix: "p" + v})
			return err
		}},
		{"resource type", func(f *fixture, v string) error {
			_, err := f.s.Catalog().List(ctxBG, noetl.CatalogQuery{Type: "playbook" + v})
			return err
		}},
		{"credential description", func(f *fixture, v string) error {
			_, err := f.s.Credentials().Put(ctxBG, noetl.NewCredential{Name: "c", Type: "t", Data: `{"a":1}`, Description: &v})
			return err
		}},
		{"credential name", func(f *fixture, v string) error {
			_, err := f.s.Credentials().GetByName(ctxBG, "c"+v)
			return notFoundOK(err)
		}},
		{"credential name", func(f *fixture, v string) error {
			_, err := f.s.Credentials().Reveal(ctxBG, "c"+v)
			return notFoundOK(err)
		}},
		{"credential name", func(f *fixture, v string) error {
			return notFoundOK(f.s.Credentials().Delete(ctxBG, "nope"+v))
		}},
		{"credential type", func(f *fixture, v string) error {
			_, err := f.s.Credentials().List(ctxBG, noetl.CredentialQuery{Type: "t" + v})
			return err
		}},
		{"credential tag", func(f *fixture, v string) error {
			_, err := f.s.Credentials().List(ctxBG, noetl.CredentialQuery{Tag: "t" + v})
			return err
		}},
		{"base URL", func(f *fixture, v string) error {
			u := "http://h/" + v
			_, err := f.s.Runtimes().Register(ctxBG, noetl.NewRuntime{Name: "w1", ComponentType: noetl.ComponentWorkerPool, BaseURL: &u})
			return err
		}},
		{"runtime name", func(f *fixture, v string) error {
			_, err := f.s.Runtimes().GetByName(ctxBG, noetl.ComponentWorkerPool, "w1"+v)
			return notFoundOK(err)
		}},
		{"runtime status", func(f *fixture, v string) error {
			_, err := f.s.Runtimes().List(ctxBG, noetl.RuntimeQuery{Status: "ready" + v})
			return err
		}},
		{"label value", func(f *fixture, v string) error {
			_, err := f.s.Runtimes().List(ctxBG, noetl.RuntimeQuery{LabelKey: "k", LabelValue: "x" + v})
			return err
		}},
		{"runtime status", func(f *fixture, v string) error {
			_, err := f.s.Runtimes().Heartbeat(ctxBG, f.runtime.RuntimeID, "busy"+v)
			return err
		}},
		{"playbook path", func(f *fixture, v string) error {
			_, err := f.s.Schedules().List(ctxBG, noetl.ScheduleQuery{PlaybookPath: "p" + v})
			return err
		}},
		{"run status", func(f *fixture, v string) error {
			_, err := f.s.Schedules().RecordRun(ctxBG, f.sched.ScheduleID, "ok"+v)
			return err
		}},
		{"event event_type", func(f *fixture, v string) error {
			_, err := f.s.Events().List(ctxBG, f.exec, noetl.EventQuery{EventType: "t" + v})
			return err
		}},
		{"event status", func(f *fixture, v string) error {
			_, err := f.s.Events().List(ctxBG, f.exec, noetl.EventQuery{Status: "s" + v})
			return err
		}},
		{"event node_id", func(f *fixture, v string) error {
			_, err := f.s.Events().Children(ctxBG, f.exec, 1, noetl.EventQuery{NodeID: "n" + v})
			return err
		}},
		{"event node_name", func(f *fixture, v string) error {
			_, err := f.s.Events().List(ctxBG, f.exec, noetl.EventQuery{NodeName: "n" + v})
			return err
		}},
		{"error type", func(f *fixture, v string) error {
			_, err := f.s.Errors().List(ctxBG, noetl.ErrorLogQuery{ErrorType: "E" + v})
			return err
		}},
		{"step id", func(f *fixture, v string) error {
			_, err := f.s.Workflows().Get(ctxBG, f.exec, "s"+v)
			return notFoundOK(err)
		}},
		{"task id", func(f *fixture, v string) error {
			_, err := f.s.Workbooks().Get(ctxBG, f.exec, "t"+v)
			return notFoundOK(err)
		}},
		{"transition from step", func(f *fixture, v string) error {
			_, err := f.s.Transitions().Get(ctxBG, f.exec, "a"+v, "b", "")
			return notFoundOK(err)
		}},
		{"transition condition", func(f *fixture, v string) error {
			_, err := f.s.Transitions().Get(ctxBG, f.exec, "a", "b", "c"+v)
			return notFoundOK(err)
		}},
		{"transition from step", func(f *fixture, v string) error {
			_, err := f.s.Transitions().ListFrom(ctxBG, f.exec, "a"+v, noetl.TransitionQuery{})
			return err
		}},
		{"message role", func(f *fixture, v string) error {
			_, err := f.s.Messages().Post(ctxBG, noetl.NewMessage{ChatID: f.chat.ID, SenderType: noetl.SenderUser, SenderID: &f.ann.ID, Role: "r" + v, Content: "hi"})
			return err
		}},
	}
}

// notFoundOK turns a clean miss into success: a good lookup key that names
// no row is not a refusal.
func notFoundOK(err error) error {
	if err != nil && strings.Contains(err.Error(), noetl.ErrNotFound.Error()) && !strings.Contains(err.Error(), noetl.ErrInvalid.Error()) {
		return nil
	}
	return err
}

// ctxBG is the context of the contract cases' calls.
var ctxBG = context.Background()

var uniqN int

// uniq returns a suffix that differs on every call, for names a good twin
// must not repeat.
func uniq(string) string { uniqN++; return fmt.Sprint(uniqN) }

func testContractText(t *testing.T, h Harness) {
	bad := map[string]string{"NUL": "a\x00b", "InvalidUTF8": "a\xffb", "LoneSurrogateBytes": "a\xed\xa0\x80b"}
	t.Run("EveryTextFieldAndKeyRefusesWhatAnEngineCannotStore", func(t *testing.T) {
		f := newFixture(t, h)
		for _, tc := range textCases() {
			require.NoError(t, tc.call(f, "_plain-text.é"), "the valid twin of %s", tc.field)
			for what, v := range bad {
				t.Run(strings.ReplaceAll(tc.field, " ", "_")+"/"+what, func(t *testing.T) {
					refusedEverywhere(t, f.s, noetl.ErrInvalid, tc.field, func() error { return tc.call(f, v) })
				})
			}
		}
	})
}

// jsonCase is one JSON field: call stores raw where the field goes and
// returns what was read back (nil when the call stores nothing to read).
type jsonCase struct {
	field string
	call  func(f *fixture, raw json.RawMessage) (json.RawMessage, error)
}

func jsonCases() []jsonCase {
	return []jsonCase{
		{"message metadata", func(f *fixture, raw json.RawMessage) (json.RawMessage, error) {
			m, err := f.s.Messages().Post(ctxBG, noetl.NewMessage{ChatID: f.chat.ID, SenderType: noetl.SenderUser, SenderID: &f.ann.ID, Content: "hi", Metadata: raw})
			if err != nil {
				return nil, err
			}
			m, err = f.s.Messages().Get(ctxBG, f.ann.ID, m.ID)
			return m.Metadata, err
		}},
		{"session metadata", func(f *fixture, raw json.RawMessage) (json.RawMessage, error) {
			se, err := f.s.Sessions().Open(ctxBG, noetl.NewSession{ProfileID: f.ann.ID, SessionType: noetl.SessionUser, Metadata: raw})
			if err != nil {
				return nil, err
			}
			se, err = f.s.Sessions().Get(ctxBG, se.ID)
			return se.Metadata, err
		}},
		{"catalog payload", func(f *fixture, raw json.RawMessage) (json.RawMessage, error) {
			e, err := f.s.Catalog().Register(ctxBG, noetl.NewCatalogEntry{Path: "j", Type: "playbook", Payload: raw})
			if err != nil {
				return nil, err
			}
			e, err = f.s.Catalog().Get(ctxBG, "j", e.ResourceVersion)
			return e.Payload, err
		}},
		{"catalog meta", func(f *fixture, raw json.RawMessage) (json.RawMessage, error) {
			e, err := f.s.Catalog().Register(ctxBG, noetl.NewCatalogEntry{Path: "j", Type: "playbook", Meta: raw})
			if err != nil {
				return nil, err
			}
			e, err = f.s.Catalog().Get(ctxBG, "j", e.ResourceVersion)
			return e.Meta, err
		}},
		{"credential meta", func(f *fixture, raw json.RawMessage) (json.RawMessage, error) {
			c, err := f.s.Credentials().Put(ctxBG, noetl.NewCredential{Name: "c", Type: "t", Data: `{"a":1}`, Meta: raw})
			if err != nil {
				return nil, err
			}
			c, err = f.s.Credentials().Get(ctxBG, c.ID)
			return c.Meta, err
		}},
		{"runtime labels", func(f *fixture, raw json.RawMessage) (json.RawMessage, error) {
			r, err := f.s.Runtimes().Register(ctxBG, noetl.NewRuntime{Name: "j", ComponentType: noetl.ComponentBroker, Labels: raw})
			if err != nil {
				return nil, err
			}
			r, err = f.s.Runtimes().Get(ctxBG, r.RuntimeID)
			return r.Labels, err
		}},
		{"runtime capabilities", func(f *fixture, raw json.RawMessage) (json.RawMessage, error) {
			r, err := f.s.Runtimes().Register(ctxBG, noetl.NewRuntime{Name: "j", ComponentType: noetl.ComponentBroker, Capabilities: raw})
			if err != nil {
				return nil, err
			}
			r, err = f.s.Runtimes().Get(ctxBG, r.RuntimeID)
			return r.Capabilities, err
		}},
		{"runtime info", func(f *fixture, raw json.RawMessage) (json.RawMessage, error) {
			r, err := f.s.Runtimes().Register(ctxBG, noetl.NewRuntime{Name: "j", ComponentType: noetl.ComponentBroker, Runtime: raw})
			if err != nil {
				return nil, err
			}
			r, err = f.s.Runtimes().Get(ctxBG, r.RuntimeID)
			return r.Runtime, err
		}},
		{"schedule input payload", func(f *fixture, raw json.RawMessage) (json.RawMessage, error) {
			sc, err := f.s.Schedules().Create(ctxBG, noetl.NewSchedule{PlaybookPath: "j", IntervalSec: 5, InputPayload: raw})
			if err != nil {
				return nil, err
			}
			sc, err = f.s.Schedules().Get(ctxBG, sc.ScheduleID)
			return sc.InputPayload, err
		}},
		{"schedule meta", func(f *fixture, raw json.RawMessage) (json.RawMessage, error) {
			sc, err := f.s.Schedules().Update(ctxBG, f.sched.ScheduleID, noetl.ScheduleUpdate{Meta: &raw})
			if err != nil {
				return nil, err
			}
			sc, err = f.s.Schedules().Get(ctxBG, sc.ScheduleID)
			return sc.Meta, err
		}},
		{"event metadata", func(f *fixture, raw json.RawMessage) (json.RawMessage, error) {
			e, err := f.s.Events().Append(ctxBG, noetl.Event{ExecutionID: f.exec, Metadata: raw})
			if err != nil {
				return nil, err
			}
			e, err = f.s.Events().Get(ctxBG, f.exec, e.EventID)
			return e.Metadata, err
		}},
		{"error log context_data", func(f *fixture, raw json.RawMessage) (json.RawMessage, error) {
			e, err := f.s.Errors().Record(ctxBG, noetl.NewErrorLog{ErrorType: "E", ErrorMessage: "m", ContextData: raw})
			if err != nil {
				return nil, err
			}
			e, err = f.s.Errors().Get(ctxBG, e.ErrorID)
			return e.ContextData, err
		}},
	}
}

// badJSON is JSON one engine would store and the other refuse or change in
// value: each is refused on both.
func badJSON() map[string]string {
	return map[string]string{
		"NULEscape":            `{"a":"x\u0000y"}`,
		"UnpairedHighEscape":   `{"a":"\ud800"}`,
		"UnpairedLowEscape":    `{"a":"\udc00x"}`,
		"HighThenHighEscape":   `{"a":"\ud800\ud800"}`,
		"RawInvalidUTF8":       "{\"a\":\"\xff\"}",
		"DuplicateKey":         `{"a":1,"a":2}`,
		"DuplicateKeyEscaped":  `{"a":1,"\u0061":2}`,
		"DuplicateNestedKey":   `{"x":[{"k":1,"k":1}]}`,
		"NumberPastFloat64":    `{"a":1e400}`,
		"NegativePastFloat64":  `{"a":-1.8e308}`,
		"ExponentPastLimit":    `{"a":1e-1001}`,
		"TooManyDecimalPlaces": `{"a":0.` + strings.Repeat("0", noetl.MaxJSONFractionDigits) + `1}`,
		"NestedTooDeep":        `{"a":` + strings.Repeat("[", noetl.MaxJSONDepth) + strings.Repeat("]", noetl.MaxJSONDepth) + `}`,
	}
}

// goodJSON is accepted and reads back as an equal value on both engines,
// though not byte for byte (JSONB reorders keys and rewrites numbers).
func goodJSON() map[string]string {
	return map[string]string{
		"KeysOutOfOrder":       `{"b":1, "a":2,  "c":{"z":null,"y":[true,false]}}`,
		"SameKeyInTwoObjects":  `{"k":{"k":1},"j":{"k":2}}`,
		"EscapedKeysDistinct":  `{"a":1,"\u0062":2,"\u00e9":3,"é2":4}`,
		"PairedSurrogate":      `{"a":"\ud83d\ude00 and \u00e9"}`,
		"NumberForms":          `{"n":[0,-0,1.50,1e2,1E+2,-2.5e-3,12345678901234567890,1.7976931348623157e308,5e-324]}`,
		"LargestDecimalPlaces": `{"a":1e-` + fmt.Sprint(noetl.MaxJSONFractionDigits) + `}`,
		"NestedAtTheLimit":     `{"a":` + strings.Repeat("[", noetl.MaxJSONDepth-1) + strings.Repeat("]", noetl.MaxJSONDepth-1) + `}`,
	}
}

func testContractJSON(t *testing.T, h Harness) {
	t.Run("EveryJSONFieldRefusesWhatTheEnginesWouldTreatDifferently", func(t *testing.T) {
		f := newFixture(t, h)
		for _, tc := range jsonCases() {
			for name, raw := range badJSON() {
				t.Run(strings.ReplaceAll(tc.field, " ", "_")+"/"+name, func(t *testing.T) {
					refusedEverywhere(t, f.s, noetl.ErrInvalid, tc.field, func() error {
						_, err := tc.call(f, json.RawMessage(raw))
						return err
					})
				})
			}
		}
	})
	t.Run("EveryJSONFieldReadsBackAnEqualValue", func(t *testing.T) {
		f := newFixture(t, h)
		for _, tc := range jsonCases() {
			for name, raw := range goodJSON() {
				got, err := tc.call(f, json.RawMessage(raw))
				require.NoError(t, err, "%s %s", tc.field, name)
				requireSameJSONValue(t, raw, got, "%s %s", tc.field, name)
			}
		}
	})
	t.Run("ErrorsQuoteOnlyAShortPrefixOfTheJSON", func(t *testing.T) {
		f := newFixture(t, h)
		long := strings.Repeat("k", 4096)
		_, err := jsonCases()[0].call(f, json.RawMessage(`{"`+long+`":1,"`+long+`":2}`))
		require.ErrorIs(t, err, noetl.ErrInvalid)
		require.Less(t, len(err.Error()), 200, "the error repeats the input: %.300s", err)
	})
}

// requireSameJSONValue checks that got is the same JSON value as want:
// objects with the same keys and equal values in any order, arrays equal
// element by element, numbers equal as exact decimals (1e2 equals 100 and
// 1.50 equals 1.5), strings and literals equal.
func requireSameJSONValue(t *testing.T, want string, got json.RawMessage, msgAndArgs ...any) {
	t.Helper()
	w, err := decodeExact([]byte(want))
	require.NoError(t, err, msgAndArgs...)
	g, err := decodeExact(got)
	require.NoError(t, err, msgAndArgs...)
	require.True(t, sameJSON(w, g), append([]any{"want %s, read back %s"}, want, got))
}

func decodeExact(raw []byte) (any, error) {
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	var v any
	return v, d.Decode(&v)
}

func sameJSON(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) {
			return false
		}
		for k, v := range a {
			if w, ok := bm[k]; !ok || !sameJSON(v, w) {
				return false
			}
		}
		return true
	case []any:
		bs, ok := b.([]any)
		if !ok || len(a) != len(bs) {
			return false
		}
		for i := range a {
			if !sameJSON(a[i], bs[i]) {
				return false
			}
		}
		return true
	case json.Number:
		bn, ok := b.(json.Number)
		if !ok {
			return false
		}
		x, ok1 := new(big.Rat).SetString(string(a))
		y, ok2 := new(big.Rat).SetString(string(bn))
		return ok1 && ok2 && x.Cmp(y) == 0
	default:
		return a == b
	}
}
