package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// Hub wakes a store's followers (MessageRepo.Follow, EventRepo.Follow) in
// process. Each followed chat or execution has a channel, closed and
// replaced by Wake; a follower takes the channel before it reads, so a wake
// after its read closes the channel it then waits on. A wake only makes its
// followers read again from their cursors: a missed wake is harmless when
// another arrives after each commit, and merged wakes cost nothing. Keys
// nobody follows have no channel, so a wake for them is a map look-up.
type Hub struct {
	mu    sync.Mutex
	slots map[HubKey]*slot

	startOnce sync.Once
	start     func()
}

// slot is a followed key's channel and how many followers watch it.
type slot struct {
	ch   chan struct{}
	refs int
}

// HubKey names what a follower follows: a chat's messages or an
// execution's events.
type HubKey struct {
	// Kind is KindChat or KindExecution.
	Kind byte
	// ID is the chat's or execution's id.
	ID snowflake.ID
}

// The kinds of HubKey, also the first byte of a notification payload.
const (
	KindChat      = 'm'
	KindExecution = 'e'
)

// ChatKey is the key of a chat's messages.
func ChatKey(id snowflake.ID) HubKey { return HubKey{KindChat, id} }

// ExecutionKey is the key of an execution's events.
func ExecutionKey(id snowflake.ID) HubKey { return HubKey{KindExecution, id} }

// NewHub returns a hub with no followers. start, when not nil, runs once,
// when the first follower watches: the backend then begins to notice other
// processes' commits (a store that never follows holds nothing for it).
// start must wake every follower once it notices commits, as a follower
// may have read before that.
func NewHub(start func()) *Hub { return &Hub{slots: map[HubKey]*slot{}, start: start} }

// Wake wakes the followers of k.
func (h *Hub) Wake(k HubKey) {
	h.mu.Lock()
	if sl := h.slots[k]; sl != nil {
		close(sl.ch)
		sl.ch = make(chan struct{})
	}
	h.mu.Unlock()
}

// WakeAll wakes every follower, after wake-ups may have been lost (a
// listener reconnected) or when a change is known but not where.
func (h *Hub) WakeAll() {
	h.mu.Lock()
	for _, sl := range h.slots {
		close(sl.ch)
		sl.ch = make(chan struct{})
	}
	h.mu.Unlock()
}

// Followed reports how many keys have followers.
func (h *Hub) Followed() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.slots)
}

// watch registers a follower of k; unwatch ends it.
func (h *Hub) watch(k HubKey) {
	if h.start != nil {
		h.startOnce.Do(h.start)
	}
	h.mu.Lock()
	sl := h.slots[k]
	if sl == nil {
		sl = &slot{ch: make(chan struct{})}
		h.slots[k] = sl
	}
	sl.refs++
	h.mu.Unlock()
}

func (h *Hub) unwatch(k HubKey) {
	h.mu.Lock()
	if sl := h.slots[k]; sl != nil {
		if sl.refs--; sl.refs == 0 {
			delete(h.slots, k)
		}
	}
	h.mu.Unlock()
}

// channel returns the channel the next wake of k closes; k is watched.
func (h *Hub) channel(k HubKey) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.slots[k].ch
}

// wakes collects the keys a transaction wrote, woken after it commits.
type wakes struct {
	mu   sync.Mutex
	keys []HubKey
}

func (w *wakes) add(keys ...HubKey) {
	w.mu.Lock()
	w.keys = append(w.keys, keys...)
	w.mu.Unlock()
}

// wrote (with ctx, the write's, which may carry a transaction) tells the store's followers that the keys were written: on an
// engine that notifies in the writing statement (PostgreSQL) it does
// nothing; outside a transaction the write committed and they wake now;
// in a transaction the store began, they wake after its commit; in a
// caller's transaction (Joined), whose commit the store does not see, they
// wake now and again when the backend notices the commit (SQLite's
// data_version loop).
func (s *Store) wrote(ctx context.Context, keys ...HubKey) {
	if s.d.Postgres() || s.cfg.Hub == nil {
		return
	}
	if s.tx == nil {
		if ts := s.joined(ctx); ts != nil {
			s = ts
		}
	}
	if s.wakes != nil {
		s.wakes.add(keys...)
		return
	}
	for _, k := range keys {
		s.cfg.Hub.Wake(k)
	}
}

// committed wakes the followers of what a committed transaction wrote.
func (s *Store) committed() {
	if s.wakes == nil || s.cfg.Hub == nil {
		return
	}
	s.wakes.mu.Lock()
	keys := s.wakes.keys
	s.wakes.keys = nil
	s.wakes.mu.Unlock()
	for _, k := range keys {
		s.cfg.Hub.Wake(k)
	}
}

// NotifyChannel is the PostgreSQL channel on which writes notify their
// commits: the payload is a kind (KindChat, KindExecution) and the chat's
// or execution's lock key (lockKey) in decimal, so a notification carries
// no row, and two ids sharing a key only wake each other's followers.
const NotifyChannel = "noetl_follow"

// notifySQL is the pg_notify call of a write to kind's key, the SQL
// expression key (an integer); delivered when the transaction commits.
func notifySQL(kind byte, key string) string {
	return fmt.Sprintf("pg_notify('%s', '%c' || %s)", NotifyChannel, kind, key)
}

// wakeChat wakes the chat's followers once ts's transaction commits, so each
// checks again whether its profile may still read the chat: on PostgreSQL
// by a notification sent with the commit, on SQLite through the hub.
func (ts *Store) wakeChat(ctx context.Context, chatID snowflake.ID) error {
	if !ts.d.Postgres() {
		ts.wrote(ctx, ChatKey(chatID))
		return nil
	}
	q := ts.d.SQL("chat.wake", func() string { return "SELECT " + notifySQL(KindChat, "CAST(? AS INTEGER)") })
	_, err := ts.q.Exec(ctx, q, lockKey(chatID))
	return err
}

// WakeNotified wakes the followers a notification on NotifyChannel names;
// a payload of another shape wakes every follower.
func (h *Hub) WakeNotified(payload string) {
	key, err := strconv.ParseInt(payload[min(1, len(payload)):], 10, 32)
	if err != nil || (payload[0] != KindChat && payload[0] != KindExecution) {
		h.WakeAll()
		return
	}
	h.mu.Lock()
	for k, sl := range h.slots {
		if k.Kind == payload[0] && lockKey(k.ID) == int32(key) {
			close(sl.ch)
			sl.ch = make(chan struct{})
		}
	}
	h.mu.Unlock()
}

// wroteEvents is wrote for a batch of events.
func (ts *Store) wroteEvents(ctx context.Context, events []noetl.Event) {
	if ts.d.Postgres() {
		return
	}
	var last snowflake.ID
	for i := range events {
		if e := events[i].ExecutionID; i == 0 || e != last {
			ts.wrote(ctx, ExecutionKey(e))
			last = e
		}
	}
}
