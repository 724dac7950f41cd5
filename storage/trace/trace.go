// Package trace lets a program watch what a noetldb store does: every
// repository call (one [Hook.OnCall] per method such as Messages().Post,
// named "messages.post"), every SQL statement the call sends beneath it
// ([Hook.OnStatement]) and every retry the store makes on its own
// ([Hook.OnRetry]). The hook is the same on both engines.
//
// Give a hook to a store with storage.WithHook, or a *slog.Logger with
// storage.WithLogger (which uses [NewLogHook]). A store opened with neither
// is the plain store: nothing is wrapped and nothing is paid.
//
// The package imports only the standard library, so a program that wants
// OpenTelemetry spans writes a small Hook over its tracer (see
// examples/otel) and nobody else links OpenTelemetry.
//
// Statements are reported without their arguments: the SQL text holds
// placeholders only, never values or secrets.
package trace

import (
	"context"
	"time"
)

// Hook receives what a store does. Its methods are called from the
// goroutines of the store's callers, concurrently; they must be safe for
// that and should be quick.
type Hook interface {
	// OnCall is called when a repository method (or Store.InTx, named
	// "store.in_tx") starts. The returned context is passed down to the
	// statements of the call, so a tracer can put the call's span in it;
	// end is called once with the call's error when it returns. op is the
	// repository accessor and method in snake case: "messages.post",
	// "profiles.get_by_username".
	OnCall(ctx context.Context, op string) (context.Context, func(err error))
	// OnStatement is called when a statement has finished: an Exec when it
	// returns, a Query when its rows are closed, a single-row query when its
	// row is scanned. ctx is the call's (as OnCall returned it).
	OnStatement(ctx context.Context, s Statement)
	// OnRetry is called when the store retries a statement or a step on
	// its own (for example a get-or-create whose row vanished under it).
	OnRetry(ctx context.Context, r Retry)
}

// Statement is one finished SQL statement.
type Statement struct {
	// Op is the repository operation the statement belongs to, "" when it
	// ran outside one.
	Op string
	// SQL is the statement's text, with placeholders for its arguments.
	// Transaction control is reported too: "BEGIN", "COMMIT", "ROLLBACK",
	// "SAVEPOINT ...". A bulk copy is reported as "COPY table (columns)
	// ...". A SQLite event batch writes its rows as literals in the
	// statement's text; such a statement is reported with the rows elided,
	// as "INSERT INTO event_log (columns) VALUES (500 rows of literals)".
	// No value of a row ever reaches SQL.
	SQL string
	// Start is when the statement was sent.
	Start time.Time
	// Duration is how long it took, until its last row for a query.
	Duration time.Duration
	// Rows is the number of rows the statement affected or returned; -1
	// when the driver does not tell (a prepared statement's Exec).
	Rows int64
	// Err is the statement's error, nil on success. A single-row query that
	// finds no row has Rows 0 and no error: the repository decides whether
	// that is a failure (ErrNotFound) and reports it to OnCall's end.
	Err error
}

// Retry is one retry a store makes on its own.
type Retry struct {
	// Op is the repository operation that retries.
	Op string
	// Attempt is the attempt about to start: 2 for the first retry.
	Attempt int
	// Err is why the previous attempt did not succeed.
	Err error
}

type opKey struct{}

// WithOp returns ctx carrying op as the repository operation its statements
// belong to. Stores call it; a Hook may call it to label its own work.
func WithOp(ctx context.Context, op string) context.Context {
	return context.WithValue(ctx, opKey{}, op)
}

// Op returns the repository operation ctx carries, or "".
func Op(ctx context.Context) string {
	op, _ := ctx.Value(opKey{}).(string)
	return op
}

// Funcs is a Hook made of functions; a nil one does nothing.
type Funcs struct {
	// Call is OnCall; when nil, calls are not reported.
	Call func(ctx context.Context, op string) (context.Context, func(err error))
	// Statement is OnStatement.
	Statement func(ctx context.Context, s Statement)
	// Retry is OnRetry.
	Retry func(ctx context.Context, r Retry)
}

// OnCall implements Hook.
func (f Funcs) OnCall(ctx context.Context, op string) (context.Context, func(error)) {
	if f.Call == nil {
		return ctx, noEnd
	}
	return f.Call(ctx, op)
}

// OnStatement implements Hook.
func (f Funcs) OnStatement(ctx context.Context, s Statement) {
	if f.Statement != nil {
		f.Statement(ctx, s)
	}
}

// OnRetry implements Hook.
func (f Funcs) OnRetry(ctx context.Context, r Retry) {
	if f.Retry != nil {
		f.Retry(ctx, r)
	}
}

func noEnd(error) {}

// Multi returns a Hook that reports to every non-nil hook in order (the
// context each OnCall returns is passed to the next); nil when there is
// none, the hook itself when there is one.
func Multi(hooks ...Hook) Hook {
	var hs multi
	for _, h := range hooks {
		if h != nil {
			hs = append(hs, h)
		}
	}
	switch len(hs) {
	case 0:
		return nil
	case 1:
		return hs[0]
	}
	return hs
}

type multi []Hook

func (m multi) OnCall(ctx context.Context, op string) (context.Context, func(error)) {
	ends := make([]func(error), len(m))
	for i, h := range m {
		ctx, ends[i] = h.OnCall(ctx, op)
	}
	return ctx, func(err error) {
		for i := len(ends) - 1; i >= 0; i-- {
			ends[i](err)
		}
	}
}

func (m multi) OnStatement(ctx context.Context, s Statement) {
	for _, h := range m {
		h.OnStatement(ctx, s)
	}
}

func (m multi) OnRetry(ctx context.Context, r Retry) {
	for _, h := range m {
		h.OnRetry(ctx, r)
	}
}

var (
	_ Hook = Funcs{}
	_ Hook = multi{}
)
