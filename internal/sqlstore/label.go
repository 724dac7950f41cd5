package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

type labelRepo struct{ s *Store }

const labelCols = "id, parent_id, name, owner_id, created_at"

// scanOne reads one label through a staging row (see labelRow).
func (r labelRepo) scanOne(row Row) (noetl.Label, error) {
	n, err := newLabelRow(r.s.d, false).scan(row)
	return n.Label, err
}

// labels collects the rows of a query returning labelCols (and a depth
// when depth is set) through a reused staging row.
func (r labelRepo) labels(ctx context.Context, q string, args []any, hint int, depth bool) ([]noetl.LabelNode, error) {
	row := newLabelRow(r.s.d, depth)
	return collectInto(ctx, r.s.q, q, args, hint, func(rs Row, v *noetl.LabelNode) error {
		n, err := row.scan(rs)
		*v = n
		return err
	})
}

func (r labelRepo) Create(ctx context.Context, in noetl.NewLabel) (noetl.Label, error) {
	if err := in.Validate(); err != nil {
		return noetl.Label{}, err
	}
	id, err := r.s.newID()
	if err != nil {
		return noetl.Label{}, err
	}
	v := noetl.Label{ID: id, ParentID: in.ParentID, Name: in.Name, OwnerID: in.OwnerID, CreatedAt: r.s.now()}
	d := r.s.d
	q := d.SQL("label.create", func() string {
		return "INSERT INTO {label} (" + labelCols + ") SELECT " + typed(d, "BIGINT") + ", " + typed(d, "BIGINT") + ", " +
			typed(d, "TEXT") + ", " + typed(d, "BIGINT") + ", " + typed(d, "TIMESTAMPTZ") +
			" WHERE NOT EXISTS (SELECT 1 FROM {label} WHERE COALESCE(parent_id, 0) = ? AND name = ?)" +
			" AND (" + typed(d, "BIGINT") + " = 0 OR EXISTS (SELECT 1 FROM {label} WHERE id = ?))" +
			" AND (" + typed(d, "BIGINT") + " = 0 OR EXISTS (SELECT 1 FROM {profile} WHERE id = ?))"
	})
	parent, owner := idOr0(in.ParentID), idOr0(in.OwnerID)
	n, err := r.s.q.Exec(ctx, q, v.ID, ptrArg(v.ParentID), v.Name, ptrArg(v.OwnerID), d.Time(v.CreatedAt),
		parent, v.Name, parent, parent, owner, owner)
	what := "label " + strconv.Quote(in.Name)
	if err != nil {
		return noetl.Label{}, r.nameErr(err, what)
	}
	if n == 1 {
		return v, nil
	}
	// Refused: say why.
	diag := d.SQL("label.create.why", func() string {
		return "SELECT (SELECT COUNT(*) FROM {label} WHERE id = ?), (SELECT COUNT(*) FROM {profile} WHERE id = ?)"
	})
	var parents, owners int64
	if err := r.s.q.QueryRow(ctx, diag, parent, owner).Scan(&parents, &owners); err != nil {
		return noetl.Label{}, r.s.wrap(err, "%s", what)
	}
	switch {
	case parent != 0 && parents == 0:
		return noetl.Label{}, noetl.NewError(noetl.ErrReferenced, "%s: parent label %s does not exist", what, parent)
	case owner != 0 && owners == 0:
		return noetl.Label{}, noetl.NewError(noetl.ErrReferenced, "%s: owner profile %s does not exist", what, owner)
	}
	return noetl.Label{}, r.clash(what, in.Name)
}

func (r labelRepo) clash(what, name string) error {
	return noetl.NewError(noetl.ErrConflict, "%s: a sibling is already named %q", what, name)
}

// nameErr maps the unique sibling-name index (the backstop of the guarded
// statements when two writers race) to ErrConflict naming it.
func (r labelRepo) nameErr(err error, what string) error {
	if kind, _ := r.s.constraint(err); kind == noetl.ErrConflict {
		return &noetl.Error{Kind: kind, Msg: what + ": a sibling already has that name", Cause: err}
	}
	return r.s.wrap(err, "%s", what)
}

func (r labelRepo) Get(ctx context.Context, id snowflake.ID) (noetl.Label, error) {
	q := r.s.d.SQL("label.get", func() string { return "SELECT " + labelCols + " FROM {label} WHERE id = ?" })
	v, err := r.scanOne(r.s.q.QueryRow(ctx, q, id))
	return v, r.s.wrap(err, "label %s", id)
}

func (r labelRepo) Children(ctx context.Context, parentID *snowflake.ID, lq noetl.LabelQuery) (noetl.Page[noetl.Label], error) {
	limit, err := noetl.ClampLimit(lq.Limit)
	if err != nil {
		return noetl.Page[noetl.Label]{}, err
	}
	var after string
	if _, err := DecodeCursor("label.children", lq.After, &after); err != nil {
		return noetl.Page[noetl.Label]{}, err
	}
	d := r.s.d
	q := d.SQL("label.children", func() string {
		return "SELECT " + labelCols + " FROM {label} WHERE COALESCE(parent_id, 0) = ? AND name" + byteOrder(d) +
			" > ? ORDER BY name" + byteOrder(d) + " LIMIT ?"
	})
	nodes, err := r.labels(ctx, q, []any{idOr0(parentID), after, limit + 1}, limit+1, false)
	if err != nil {
		return noetl.Page[noetl.Label]{}, r.s.wrap(err, "list child labels")
	}
	items := make([]noetl.Label, len(nodes))
	for i, n := range nodes {
		items[i] = n.Label
	}
	return pageOf(items, limit, "label.children", func(v noetl.Label) any { return v.Name }), nil
}

// up returns the label id and every label above it, root first, in one
// recursive query.
func (r labelRepo) up(ctx context.Context, id snowflake.ID) ([]noetl.Label, error) {
	q := r.s.d.SQL("label.up", func() string {
		return "WITH RECURSIVE up(id, parent_id, name, owner_id, created_at, depth) AS (" +
			"SELECT " + labelCols + ", 0 FROM {label} WHERE id = ?" +
			" UNION ALL SELECT l.id, l.parent_id, l.name, l.owner_id, l.created_at, up.depth + 1" +
			" FROM {label} l JOIN up ON l.id = up.parent_id WHERE up.depth < " + strconv.Itoa(maxLabelDepth) +
			") SELECT " + labelCols + " FROM up ORDER BY depth DESC"
	})
	nodes, err := r.labels(ctx, q, []any{id}, 16, false)
	if err != nil {
		return nil, r.s.wrap(err, "label %s", id)
	}
	if len(nodes) == 0 {
		return nil, noetl.NewError(noetl.ErrNotFound, "label %s", id)
	}
	chain := make([]noetl.Label, len(nodes))
	for i, n := range nodes {
		chain[i] = n.Label
	}
	if chain[0].ParentID != nil {
		return nil, fmt.Errorf("label %s: more than %d levels above it: the tree is cyclic", id, maxLabelDepth)
	}
	return chain, nil
}

func (r labelRepo) Ancestors(ctx context.Context, id snowflake.ID) ([]noetl.Label, error) {
	chain, err := r.up(ctx, id)
	if err != nil {
		return nil, err
	}
	return chain[:len(chain)-1], nil
}

func (r labelRepo) Path(ctx context.Context, id snowflake.ID) (string, error) {
	chain, err := r.up(ctx, id)
	if err != nil {
		return "", err
	}
	names := make([]string, len(chain))
	for i, l := range chain {
		names[i] = l.Name
	}
	return noetl.JoinLabelPath(names), nil
}

// Resolve walks the path in one recursive statement. The names travel as
// one JSON array parameter; the anchor finds the root label named by
// element 0 through the unique (COALESCE(parent_id, 0), name) index, and
// each step of the recursion finds the child of the previous label named by
// the next element through the label(parent_id, name) index: one index seek
// per level, whatever the size of the tree. (A join on the expression index
// in the recursive step, or a json_each table of the names, made SQLite
// build an automatic index over every label on each call: 9 ms instead of
// 0.09 ms on a 10,000-label tree.)
func (r labelRepo) Resolve(ctx context.Context, path string) (noetl.Label, error) {
	names, err := noetl.ParseLabelPath(path)
	if err != nil {
		return noetl.Label{}, err
	}
	segs, err := json.Marshal(names)
	if err != nil {
		return noetl.Label{}, err
	}
	d := r.s.d
	q := d.SQL("label.resolve", func() string {
		// element returns the SQL of the JSON array parameter's element at
		// the 0-based index idx, as text.
		element := func(idx string) string {
			if d.Postgres() {
				return "(CAST(? AS JSONB) ->> " + idx + ")"
			}
			if idx == "0" {
				return "json_extract(?, '$[0]')"
			}
			return "json_extract(?, '$[' || " + idx + " || ']')"
		}
		return "WITH RECURSIVE walk(id, i) AS (" +
			"SELECT id, 1 FROM {label} WHERE COALESCE(parent_id, 0) = 0 AND name = " + element("0") +
			" UNION ALL SELECT l.id, walk.i + 1 FROM walk JOIN {label} l ON l.parent_id = walk.id AND l.name = " + element("walk.i") +
			") SELECT " + labelCols + " FROM {label} WHERE id = (SELECT id FROM walk WHERE i = ?)"
	})
	v, err := r.scanOne(r.s.q.QueryRow(ctx, q, string(segs), string(segs), len(names)))
	return v, r.s.wrap(err, "label path %q", path)
}

// Subtree reads the subtree in one recursive statement and orders it in Go
// (depth first, siblings by name in byte order): ordering by a path string
// in SQL would need a separator below every character a name may hold.
func (r labelRepo) Subtree(ctx context.Context, id snowflake.ID) ([]noetl.LabelNode, error) {
	q := r.s.d.SQL("label.subtree", func() string {
		return "WITH RECURSIVE sub(id, parent_id, name, owner_id, created_at, depth) AS (" +
			"SELECT " + labelCols + ", 0 FROM {label} WHERE id = ?" +
			" UNION ALL SELECT l.id, l.parent_id, l.name, l.owner_id, l.created_at, sub.depth + 1" +
			" FROM {label} l JOIN sub ON l.parent_id = sub.id WHERE sub.depth < " + strconv.Itoa(maxLabelDepth) +
			") SELECT " + labelCols + ", depth FROM sub"
	})
	nodes, err := r.labels(ctx, q, []any{id}, 64, true)
	if err != nil {
		return nil, r.s.wrap(err, "subtree of label %s", id)
	}
	if len(nodes) == 0 {
		return nil, noetl.NewError(noetl.ErrNotFound, "label %s", id)
	}
	return depthFirst(id, nodes)
}

// depthFirst orders the nodes of a subtree rooted at top: pre-order,
// siblings by name. Each node's children are threaded through two index
// arrays (first child, next sibling) in one pass, and only each group of
// siblings is sorted, when it is visited.
func depthFirst(top snowflake.ID, nodes []noetl.LabelNode) ([]noetl.LabelNode, error) {
	at := make(map[snowflake.ID]int32, len(nodes))
	for i := range nodes {
		at[nodes[i].ID] = int32(i)
	}
	first := make([]int32, len(nodes))
	next := make([]int32, len(nodes))
	for i := range first {
		first[i] = -1
	}
	root := int32(-1)
	for i := range nodes {
		n := &nodes[i]
		if n.ID == top {
			root = int32(i)
			continue
		}
		if n.Depth >= maxLabelDepth {
			return nil, fmt.Errorf("label %s: more than %d levels below it: the tree is cyclic", top, maxLabelDepth)
		}
		p := at[*n.ParentID]
		next[i], first[p] = first[p], int32(i)
	}
	out := make([]noetl.LabelNode, 0, len(nodes))
	stack := []int32{root}
	var kids []int32
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		out = append(out, nodes[i])
		kids = kids[:0]
		for k := first[i]; k >= 0; k = next[k] {
			kids = append(kids, k)
		}
		// Pushed in reverse name order, so they pop in name order.
		slices.SortFunc(kids, func(a, b int32) int { return strings.Compare(nodes[b].Name, nodes[a].Name) })
		stack = append(stack, kids...)
	}
	return out, nil
}

func (r labelRepo) Rename(ctx context.Context, id snowflake.ID, name string) (noetl.Label, error) {
	if err := noetl.ValidateLabelName(name); err != nil {
		return noetl.Label{}, err
	}
	q := r.s.d.SQL("label.rename", func() string {
		return "UPDATE {label} SET name = ? WHERE id = ? AND NOT EXISTS (SELECT 1 FROM {label} s" +
			" WHERE COALESCE(s.parent_id, 0) = (SELECT COALESCE(p.parent_id, 0) FROM {label} p WHERE p.id = ?)" +
			" AND s.name = ? AND s.id <> ?) RETURNING " + labelCols
	})
	what := fmt.Sprintf("rename label %s to %q", id, name)
	v, err := r.scanOne(r.s.q.QueryRow(ctx, q, name, id, id, name, id))
	if err == nil {
		return v, nil
	}
	if err = r.nameErr(err, what); !isNotFound(err) {
		return noetl.Label{}, err
	}
	if _, gerr := r.Get(ctx, id); gerr != nil {
		return noetl.Label{}, gerr
	}
	return noetl.Label{}, r.clash(what, name)
}

func (r labelRepo) Move(ctx context.Context, id snowflake.ID, parentID *snowflake.ID) (noetl.Label, error) {
	if parentID != nil && *parentID == 0 {
		return noetl.Label{}, noetl.Invalidf("move label %s: parent id 0 (use nil for the root)", id)
	}
	dest := idOr0(parentID)
	what := fmt.Sprintf("move label %s under %s", id, "the root")
	if dest != 0 {
		what = fmt.Sprintf("move label %s under label %s", id, dest)
	}
	var moved noetl.Label
	err := r.s.inTx(ctx, func(ctx context.Context, ts *Store) error {
		d := ts.d
		if d.Postgres() {
			// Serialise moves in this schema: two concurrent moves could each
			// pass the cycle check against the other's old parent (a under b
			// while b goes under a). SQLite's write transactions already are
			// serial.
			q := d.SQL("label.move.lock", func() string { return "SELECT pg_advisory_xact_lock(hashtext(?))" })
			if _, err := ts.q.Exec(ctx, q, "noetl.label.move "+d.Schema); err != nil {
				return ts.wrap(err, "%s", what)
			}
		}
		// One read finds every reason to refuse: the label is missing, the
		// destination is missing, the destination is the label or below it
		// (the label is among the destination's ancestors), or a sibling at
		// the destination has its name.
		q := d.SQL("label.move.check", func() string {
			return "WITH RECURSIVE up(id, parent_id, depth) AS (SELECT id, parent_id, 0 FROM {label} WHERE id = ?" +
				" UNION ALL SELECT l.id, l.parent_id, up.depth + 1 FROM {label} l JOIN up ON l.id = up.parent_id" +
				" WHERE up.depth < " + strconv.Itoa(maxLabelDepth) + ")" +
				" SELECT (SELECT COUNT(*) FROM {label} WHERE id = ?), (SELECT COUNT(*) FROM up WHERE id = ?)," +
				" (SELECT COUNT(*) FROM up WHERE id = ?)," +
				" (SELECT COUNT(*) FROM {label} s WHERE COALESCE(s.parent_id, 0) = ? AND s.id <> ?" +
				" AND s.name = (SELECT name FROM {label} WHERE id = ?))"
		})
		var self, dests, inside, clash int64
		if err := ts.q.QueryRow(ctx, q, dest, id, dest, id, dest, id, id).Scan(&self, &dests, &inside, &clash); err != nil {
			return ts.wrap(err, "%s", what)
		}
		switch {
		case self == 0:
			return noetl.NewError(noetl.ErrNotFound, "%s: label %s", what, id)
		case dest != 0 && dests == 0:
			return noetl.NewError(noetl.ErrReferenced, "%s: label %s does not exist", what, dest)
		case inside > 0:
			return noetl.Invalidf("%s: the destination is the label itself or in its subtree", what)
		case clash > 0:
			return noetl.NewError(noetl.ErrConflict, "%s: the destination already holds a label of that name", what)
		}
		q = d.SQL("label.move", func() string {
			return "UPDATE {label} SET parent_id = ? WHERE id = ? RETURNING " + labelCols
		})
		v, err := r.scanOne(ts.q.QueryRow(ctx, q, ptrArg(parentID), id))
		if err != nil {
			return r.nameErr(err, what)
		}
		moved = v
		return nil
	})
	return moved, err
}

func (r labelRepo) Delete(ctx context.Context, id snowflake.ID) error {
	// ON DELETE CASCADE removes the sub-labels, their chats, and the chats'
	// members, messages and attachments, in this one statement.
	q := r.s.d.SQL("label.delete", func() string { return "DELETE FROM {label} WHERE id = ?" })
	n, err := r.s.q.Exec(ctx, q, id)
	if err != nil {
		return r.s.wrap(err, "delete label %s", id)
	}
	if n == 0 {
		return noetl.NewError(noetl.ErrNotFound, "delete label %s", id)
	}
	return nil
}

// EnsurePath resolves the path in one query when it exists. Otherwise it
// walks the path from the top in one transaction, creating each missing
// label under a savepoint: a creation that loses a race to another caller
// conflicts and the winner's label is read instead. Callers create in the
// same top-down order, so they wait for each other rather than deadlock.
func (r labelRepo) EnsurePath(ctx context.Context, path string, ownerID *snowflake.ID) (noetl.Label, error) {
	names, err := noetl.ParseLabelPath(path)
	if err != nil {
		return noetl.Label{}, err
	}
	if l, err := r.Resolve(ctx, path); err == nil || !isNotFound(err) {
		return l, err
	}
	var out noetl.Label
	err = r.s.inTx(ctx, func(ctx context.Context, ts *Store) error {
		tr := labelRepo{ts}
		var parent *snowflake.ID
		for i := range names {
			l, err := tr.ensureChild(ctx, parent, names[:i+1], ownerID)
			if err != nil {
				return err
			}
			out, parent = l, &l.ID
		}
		return nil
	})
	return out, err
}

// ensureChild gets or creates the label at the path names, whose parent is
// parent (nil at the root).
func (r labelRepo) ensureChild(ctx context.Context, parent *snowflake.ID, names []string, ownerID *snowflake.ID) (noetl.Label, error) {
	path := noetl.LabelPathSeparator + strings.Join(names, noetl.LabelPathSeparator)
	var last error
	for attempt := 1; attempt <= ensureAttempts; attempt++ {
		if attempt > 1 {
			r.s.retried(ctx, attempt, last)
		}
		l, err := r.Resolve(ctx, path)
		if err == nil || !isNotFound(err) {
			return l, err
		}
		err = r.s.undoable(ctx, func(ctx context.Context, ts *Store) error {
			var err error
			l, err = labelRepo{ts}.Create(ctx, noetl.NewLabel{ParentID: parent, Name: names[len(names)-1], OwnerID: ownerID})
			return err
		})
		if !isConflict(err) {
			return l, err
		}
		last = err
	}
	return noetl.Label{}, last
}
