package storagetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() { register("concurrency_writers", testConcurrentWriters) }

// writerRounds is how many rounds each of the concurrent writers runs; a
// round posts a message, appends an event, registers a catalog version and
// runs a transaction doing two of those together.
const (
	concurrentWriters = 8
	writerRounds      = 25
)

// Concurrent writers on one store wait for each other; none is refused for
// contention, whatever the engine.
func testConcurrentWriters(t *testing.T, h Harness) {
	t.Run("EightWritersPostAppendRegisterAndTransactWithoutAnError", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		exec := newWorkload(t, s)
		var wg sync.WaitGroup
		errs := make(chan error, concurrentWriters*writerRounds*5)
		start := make(chan struct{})
		for w := range concurrentWriters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for r := range writerRounds {
					for _, err := range writerRound(ctx(t), s, c, exec, w, r) {
						if err != nil {
							errs <- fmt.Errorf("writer %d round %d: %w", w, r, err)
						}
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		var failed []error
		for err := range errs {
			failed = append(failed, err)
		}
		require.Empty(t, failed, "no write is refused for contention")

		total := concurrentWriters * writerRounds
		msgs := allPages(t, func(after string) (noetl.Page[noetl.Message], error) {
			return s.Messages().List(ctx(t), c.ann.ID, c.chat.ID, noetl.MessageQuery{After: after, Limit: noetl.MaxLimit})
		})
		assert.Len(t, msgs, 2*total, "every message posted, alone or in a transaction, is stored once")
		assert.Equal(t, 2*total, countEvents(t, s, exec), "every event appended is stored once")
		versions := versionsOf(t, s, "concurrent/flow")
		assert.Len(t, versions, 2*total, "every registration is stored")
		seen := map[string]bool{}
		for _, v := range versions {
			assert.False(t, seen[v], "version %s taken twice", v)
			seen[v] = true
		}
	})
	t.Run("WriterWaitingBehindAnOpenTransactionHonoursItsDeadline", func(t *testing.T) {
		s := h.New(t)
		holding := make(chan struct{})
		release := make(chan struct{})
		held := make(chan error, 1)
		go func() {
			held <- s.InTx(ctx(t), func(ctx context.Context, tx noetl.Store) error {
				if _, err := tx.Catalog().Register(ctx, noetl.NewCatalogEntry{Path: "held/flow", Type: "playbook", Version: "1.0.0"}); err != nil {
					close(holding)
					return err
				}
				close(holding)
				<-release
				return nil
			})
		}()
		<-holding
		// The same version of the same path: on every engine this waits for
		// the open transaction (SQLite's write lock, PostgreSQL's unique
		// index entry).
		c, cancel := context.WithTimeout(ctx(t), 300*time.Millisecond)
		defer cancel()
		began := time.Now()
		_, err := s.Catalog().Register(c, noetl.NewCatalogEntry{Path: "held/flow", Type: "playbook", Version: "1.0.0",
			Payload: json.RawMessage(`{"second":true}`)})
		waited := time.Since(began)
		close(release)
		require.NoError(t, <-held)
		require.Error(t, err)
		assert.ErrorIs(t, err, context.DeadlineExceeded, "the waiter gets its deadline's error: %v", err)
		assert.Less(t, waited, 10*time.Second, "the waiter returned at its deadline, not after a lock timeout")
		e, err := s.Catalog().Get(ctx(t), "held/flow", "1.0.0")
		require.NoError(t, err)
		assert.JSONEq(t, `{}`, string(e.Payload), "the waiter wrote nothing")
		assert.Equal(t, []string{"1.0.0"}, versionsOf(t, s, "held/flow"))
	})
	t.Run("WriterWaitingBehindAnOpenTransactionGoesOnWhenItCommits", func(t *testing.T) {
		s := h.New(t)
		c := newConvo(t, s)
		holding := make(chan struct{})
		release := make(chan struct{})
		held := make(chan error, 1)
		go func() {
			held <- s.InTx(ctx(t), func(ctx context.Context, tx noetl.Store) error {
				_, err := tx.Catalog().Register(ctx, noetl.NewCatalogEntry{Path: "held/flow", Type: "playbook"})
				close(holding)
				if err != nil {
					return err
				}
				<-release
				return nil
			})
		}()
		<-holding
		done := make(chan error, 1)
		go func() {
			_, err := s.Catalog().Register(ctx(t), noetl.NewCatalogEntry{Path: "held/flow", Type: "playbook"})
			if err == nil {
				_, err = s.Messages().Post(ctx(t), noetl.NewMessage{ChatID: c.chat.ID, SenderType: noetl.SenderUser,
					SenderID: &c.bob.ID, Content: "after the wait"})
			}
			done <- err
		}()
		time.Sleep(100 * time.Millisecond) // let the second writer queue behind the first
		close(release)
		require.NoError(t, <-held)
		require.NoError(t, <-done, "the waiting writer completes once the transaction commits")
		assert.Equal(t, []string{"0.1.1", "0.1.0"}, versionsOf(t, s, "held/flow"))
	})
}

// writerRound runs one round of a concurrent writer and returns the error of
// each of its calls.
func writerRound(c context.Context, s noetl.Store, cv *convo, exec snowflake.ID, w, r int) []error {
	sender := []noetl.Profile{cv.ann, cv.bob, cv.cat}[w%3]
	post := func(c context.Context, s noetl.Store, what string) error {
		_, err := s.Messages().Post(c, noetl.NewMessage{ChatID: cv.chat.ID, SenderType: noetl.SenderUser,
			SenderID: &sender.ID, Content: fmt.Sprintf("%s w%d r%d", what, w, r)})
		return err
	}
	appendEvent := func(c context.Context, s noetl.Store, what string) error {
		_, err := s.Events().Append(c, noetl.Event{ExecutionID: exec, EventType: ptr(what),
			Metadata: json.RawMessage(fmt.Sprintf(`{"writer":%d,"round":%d}`, w, r))})
		return err
	}
	register := func(c context.Context, s noetl.Store) error {
		_, err := s.Catalog().Register(c, noetl.NewCatalogEntry{Path: "concurrent/flow", Type: "playbook",
			Payload: json.RawMessage(fmt.Sprintf(`{"writer":%d,"round":%d}`, w, r))})
		return err
	}
	errs := []error{post(c, s, "alone"), appendEvent(c, s, "alone"), register(c, s)}
	errs = append(errs, s.InTx(c, func(c context.Context, tx noetl.Store) error {
		return errors.Join(post(c, tx, "in tx"), appendEvent(c, tx, "in tx"), register(c, tx))
	}))
	return errs
}
