package sqlstore

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/schema"
)

// tableColumns reads every table's columns, in order, from the SQLite
// migrations (the schema test proves both dialects have the same).
func tableColumns(t *testing.T) map[string][]string {
	t.Helper()
	text, err := schema.SQL(schema.SQLite, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	re := regexp.MustCompile(`(?s)CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\);`)
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		for _, line := range strings.Split(m[2], "\n") {
			f := strings.Fields(line)
			if len(f) < 2 || strings.ToUpper(f[0]) == f[0] {
				continue // constraints and continuation lines
			}
			out[m[1]] = append(out[m[1]], f[0])
		}
	}
	return out
}

// fieldColumns names the column of each field of a row struct: its json
// tag, or the field name in snake case where the tag hides it.
func fieldColumns(typ reflect.Type) []string {
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			var b strings.Builder
			for j, r := range f.Name {
				if unicode.IsUpper(r) && j > 0 {
					b.WriteByte('_')
				}
				b.WriteRune(unicode.ToLower(r))
			}
			name = b.String()
		}
		out = append(out, name)
	}
	return out
}

func split(cols string) []string {
	out := strings.Split(cols, ",")
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}

// The positional lists (the *Cols constant, the struct, the table) are
// kept in one order: a column added to one and not the others, or two
// columns swapped in one list, fails here rather than in a scan at run
// time. Insert arguments and scan targets follow the struct's order; swaps
// of two columns of one type there are caught by the suite's full-field
// fixtures.
func TestColumnListsMatchTheirStructAndTable(t *testing.T) {
	tables := tableColumns(t)
	for _, c := range []struct {
		table string
		cols  string
		row   any
	}{
		{"role", roleCols, noetl.Role{}},
		{"profile", profileCols, noetl.Profile{}},
		{"session", sessionCols, noetl.Session{}},
		{"label", labelCols, noetl.Label{}},
		{"chat", chatCols, noetl.Chat{}},
		{"member", memberCols, noetl.Member{}},
		{"message", messageCols, noetl.Message{}},
		{"attachment", attachmentCols, noetl.Attachment{}},
		{"catalog", catalogCols, noetl.CatalogEntry{}},
		{"runtime", runtimeCols, noetl.Runtime{}},
		{"schedule", scheduleCols, noetl.Schedule{}},
		{"workload", workloadCols, noetl.Workload{}},
		{"workflow", stepCols, noetl.WorkflowStep{}},
		{"workbook", taskCols, noetl.WorkbookTask{}},
		{"transition", transitionCols, noetl.Transition{}},
		{"event_log", eventCols, noetl.Event{}},
		{"error_log", errorLogCols, noetl.ErrorLog{}},
	} {
		cols := split(c.cols)
		if got := tables[c.table]; !reflect.DeepEqual(cols, got) {
			t.Errorf("%s: the column list\n  %v\ndiffers from the table's\n  %v", c.table, cols, got)
		}
		if got := fieldColumns(reflect.TypeOf(c.row)); !reflect.DeepEqual(cols, got) {
			t.Errorf("%s: the column list\n  %v\ndiffers from %T's fields\n  %v", c.table, cols, c.row, got)
		}
	}
}
