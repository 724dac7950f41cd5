package storagetest

import (
	"encoding/json"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

func init() { register("contract_order", testContractOrder) }

// RunOrdering runs the subtests that page every list and check the order
// of every list ordered by text. A backend whose databases may have a
// natural-language collation (PostgreSQL with ICU) runs it on such a
// database too, to prove the lists still come back in byte order.
func RunOrdering(t *testing.T, h Harness) {
	t.Helper()
	t.Run("contract_order", func(t *testing.T) { testContractOrder(t, h) })
	t.Run("contract_cursors", func(t *testing.T) { testContractCursors(t, h) })
}

// orderNames differ in order between byte order and natural-language
// collations (case, punctuation, spaces, accents).
var orderNames = []string{"b", "B", "a_b", "ab", "Z", "a", "a b", "é", "e", "A"}

// sep joins the keys of a transition so that byte order of the joined
// text is the order of the tuple: it sorts before every name character.
const sep = "\x01"

// byteSorted returns names sorted in byte order, the order of every text
// list on every engine.
func byteSorted(names ...string) []string {
	out := append([]string(nil), names...)
	sort.Strings(out)
	return out
}

// pageAll pages a list two items at a time and returns the keys it yields.
func pageAll[T any](t *testing.T, list func(after string) (noetl.Page[T], error), key func(T) string) []string {
	t.Helper()
	var out []string
	for _, v := range allPages(t, list) {
		out = append(out, key(v))
	}
	return out
}

func testContractOrder(t *testing.T, h Harness) {
	t.Run("EveryTextOrderedListIsInByteOrder", func(t *testing.T) {
		s := newWith(t, h, StoreOptions{Keyring: testKeyring(t, "k1")})
		c := ctx(t)
		w, err := s.Workloads().Put(c, noetl.NewWorkload{})
		require.NoError(t, err)
		exec := w.ExecutionID
		top := mkLabel(t, s, nil, "top")
		for _, n := range orderNames {
			_, err := s.Roles().Create(c, noetl.NewRole{Name: n})
			require.NoError(t, err)
			_, err = s.Catalog().Register(c, noetl.NewCatalogEntry{Path: n, Type: "t" + n, Payload: json.RawMessage(`{}`)})
			require.NoError(t, err)
			_, err = s.Credentials().Put(c, noetl.NewCredential{Name: n, Type: "t", Data: `{"a":1}`})
			require.NoError(t, err)
			mkLabel(t, s, &top.ID, n)
			require.NoError(t, s.Workflows().Add(c, noetl.WorkflowStep{ExecutionID: exec, StepID: n}))
			require.NoError(t, s.Workbooks().Add(c, noetl.WorkbookTask{ExecutionID: exec, TaskID: n}))
			require.NoError(t, s.Transitions().Add(c, noetl.Transition{ExecutionID: exec, FromStep: n, ToStep: "x", Condition: n},
				noetl.Transition{ExecutionID: exec, FromStep: "f", ToStep: n, Condition: "c"},
				noetl.Transition{ExecutionID: exec, FromStep: "f", ToStep: "t", Condition: n}))
		}
		want := byteSorted(orderNames...)
		typed := make([]string, len(orderNames))
		for i, n := range orderNames {
			typed[i] = "t" + n
		}
		require.Equal(t, byteSorted(append(want, "admin", "bot", "user")...), pageAll(t, func(a string) (noetl.Page[noetl.Role], error) {
			return s.Roles().List(c, noetl.RoleQuery{Limit: 2, After: a})
		}, func(v noetl.Role) string { return v.Name }), "roles")
		require.Equal(t, byteSorted(typed...), pageAll(t, func(a string) (noetl.Page[noetl.Resource], error) {
			return s.Resources().List(c, noetl.ResourceQuery{Limit: 2, After: a})
		}, func(v noetl.Resource) string { return v.Name }), "resources")
		require.Equal(t, want, pageAll(t, func(a string) (noetl.Page[noetl.CatalogEntry], error) {
			return s.Catalog().List(c, noetl.CatalogQuery{Limit: 2, After: a})
		}, func(v noetl.CatalogEntry) string { return v.ResourcePath }), "catalog")
		require.Equal(t, want, pageAll(t, func(a string) (noetl.Page[noetl.Credential], error) {
			return s.Credentials().List(c, noetl.CredentialQuery{Limit: 2, After: a})
		}, func(v noetl.Credential) string { return v.Name }), "credentials")
		require.Equal(t, want, pageAll(t, func(a string) (noetl.Page[noetl.Label], error) {
			return s.Labels().Children(c, &top.ID, noetl.LabelQuery{Limit: 2, After: a})
		}, func(v noetl.Label) string { return v.Name }), "label children")
		nodes, err := s.Labels().Subtree(c, top.ID)
		require.NoError(t, err)
		var sub []string
		for _, n := range nodes[1:] {
			sub = append(sub, n.Name)
		}
		require.Equal(t, want, sub, "subtree siblings")
		require.Equal(t, want, pageAll(t, func(a string) (noetl.Page[noetl.WorkflowStep], error) {
			return s.Workflows().List(c, exec, noetl.StepQuery{Limit: 2, After: a})
		}, func(v noetl.WorkflowStep) string { return v.StepID }), "workflow steps")
		require.Equal(t, want, pageAll(t, func(a string) (noetl.Page[noetl.WorkbookTask], error) {
			return s.Workbooks().List(c, exec, noetl.TaskQuery{Limit: 2, After: a})
		}, func(v noetl.WorkbookTask) string { return v.TaskID }), "workbook tasks")
		var wantTr []string
		for _, n := range orderNames {
			wantTr = append(wantTr, n+sep+"x"+sep+n, "f"+sep+n+sep+"c", "f"+sep+"t"+sep+n)
		}
		require.Equal(t, byteSorted(wantTr...), pageAll(t, func(a string) (noetl.Page[noetl.Transition], error) {
			return s.Transitions().List(c, exec, noetl.TransitionQuery{Limit: 2, After: a})
		}, func(v noetl.Transition) string { return v.FromStep + sep + v.ToStep + sep + v.Condition }), "transitions")
		var wantFrom []string
		for _, n := range orderNames {
			wantFrom = append(wantFrom, n+sep+"c", "t"+sep+n)
		}
		require.Equal(t, byteSorted(wantFrom...), pageAll(t, func(a string) (noetl.Page[noetl.Transition], error) {
			return s.Transitions().ListFrom(c, exec, "f", noetl.TransitionQuery{Limit: 2, After: a})
		}, func(v noetl.Transition) string { return v.ToStep + sep + v.Condition }), "transitions from a step")
	})
}
