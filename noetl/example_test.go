package noetl_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage"
)

// Labels form a tree like directories: build one, draw it with Subtree,
// address a label by its path and refuse a move that would make a cycle.
func ExampleLabelRepo() {
	ctx := context.Background()
	store, err := storage.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer store.Close()

	labels := store.Labels()
	create := func(parent *noetl.Label, name string) noetl.Label {
		in := noetl.NewLabel{Name: name} // at the root when parent is nil
		if parent != nil {
			in.ParentID = &parent.ID
		}
		l, err := labels.Create(ctx, in)
		if err != nil {
			panic(err)
		}
		return l
	}
	acme := create(nil, "acme")
	eng := create(&acme, "eng")
	create(&acme, "sales")
	create(&eng, "frontend")
	create(&eng, "backend")

	// Subtree is depth-first, siblings by name: indenting by depth draws it.
	nodes, err := labels.Subtree(ctx, acme.ID)
	if err != nil {
		panic(err)
	}
	for _, n := range nodes {
		fmt.Printf("%s%s (depth %d)\n", strings.Repeat("  ", n.Depth), n.Name, n.Depth)
	}

	backend, err := labels.Resolve(ctx, "/acme/eng/backend")
	if err != nil {
		panic(err)
	}
	path, err := labels.Path(ctx, backend.ID)
	if err != nil {
		panic(err)
	}
	ancestors, err := labels.Ancestors(ctx, backend.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println("resolved:", backend.Name, "path:", path)
	for _, a := range ancestors {
		fmt.Println("ancestor:", a.Name)
	}

	// Moving eng under its own child would make a cycle.
	_, err = labels.Move(ctx, eng.ID, &backend.ID)
	fmt.Println("move eng under backend refused:", errors.Is(err, noetl.ErrInvalid))
	// Output:
	// acme (depth 0)
	//   eng (depth 1)
	//     backend (depth 2)
	//     frontend (depth 2)
	//   sales (depth 1)
	// resolved: backend path: /acme/eng/backend
	// ancestor: acme
	// ancestor: eng
	// move eng under backend refused: true
}

// A chat lives in a label; its creator becomes its owner. Members post and
// read messages, paged oldest first by keyset cursor; non-members are
// refused.
func ExampleMessageRepo() {
	ctx := context.Background()
	store, err := storage.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer store.Close()

	profile := func(username string) noetl.Profile {
		p, err := store.Profiles().Create(ctx, noetl.NewProfile{Username: username, Type: noetl.ProfileUser})
		if err != nil {
			panic(err)
		}
		return p
	}
	ann, bob, eve := profile("ann"), profile("bob"), profile("eve")
	username := map[snowflake.ID]string{ann.ID: "ann", bob.ID: "bob"}

	team, err := store.Labels().Create(ctx, noetl.NewLabel{Name: "team"})
	if err != nil {
		panic(err)
	}
	chat, err := store.Chats().Create(ctx, ann.ID, noetl.NewChat{LabelID: team.ID, Name: "standup"})
	if err != nil {
		panic(err)
	}
	owner, err := store.Members().Get(ctx, chat.ID, ann.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println("ann is", owner.Role, "of", chat.Name)
	// ann, the owner, adds bob (as a plain member: Role is empty).
	if _, err := store.Members().Add(ctx, ann.ID, noetl.NewMember{ChatID: chat.ID, ProfileID: bob.ID}); err != nil {
		panic(err)
	}

	for i, text := range []string{"morning", "hi ann", "shipping today", "nice", "see you"} {
		sender := []noetl.Profile{ann, bob}[i%2]
		_, err := store.Messages().Post(ctx, noetl.NewMessage{
			ChatID: chat.ID, SenderType: noetl.SenderUser, SenderID: &sender.ID, Content: text,
		})
		if err != nil {
			panic(err)
		}
	}

	// Page through the chat, two messages at a time, until Next is empty.
	q := noetl.MessageQuery{Order: noetl.OldestFirst, Limit: 2}
	for n := 1; ; n++ {
		page, err := store.Messages().List(ctx, bob.ID, chat.ID, q)
		if err != nil {
			panic(err)
		}
		for _, m := range page.Items {
			fmt.Printf("page %d: %s: %s\n", n, username[*m.SenderID], m.Content)
		}
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}

	// eve is not a member: she may not post.
	_, err = store.Messages().Post(ctx, noetl.NewMessage{
		ChatID: chat.ID, SenderType: noetl.SenderUser, SenderID: &eve.ID, Content: "let me in",
	})
	fmt.Println("eve's post refused:", errors.Is(err, noetl.ErrForbidden))
	// Output:
	// ann is owner of standup
	// page 1: ann: morning
	// page 1: bob: hi ann
	// page 2: ann: shipping today
	// page 2: bob: nice
	// page 3: ann: see you
	// eve's post refused: true
}

// The catalog versions a resource path: each registration without a
// version takes the next patch; an explicit version is accepted once.
func ExampleCatalogRepo() {
	ctx := context.Background()
	store, err := storage.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer store.Close()

	catalog := store.Catalog()
	for _, content := range []string{"steps: [start, end]", "steps: [start, load, end]"} {
		e, err := catalog.Register(ctx, noetl.NewCatalogEntry{Path: "etl/nightly", Type: "playbook", Content: &content})
		if err != nil {
			panic(err)
		}
		fmt.Println("registered", e.ResourcePath, e.ResourceVersion)
	}

	latest, err := catalog.Get(ctx, "etl/nightly", noetl.LatestVersion)
	if err != nil {
		panic(err)
	}
	fmt.Printf("latest %s: %s\n", latest.ResourceVersion, *latest.Content)

	versions, err := catalog.Versions(ctx, "etl/nightly", noetl.VersionQuery{})
	if err != nil {
		panic(err)
	}
	for _, v := range versions.Items { // newest first
		fmt.Println("version", v.ResourceVersion)
	}

	_, err = catalog.Register(ctx, noetl.NewCatalogEntry{Path: "etl/nightly", Type: "playbook", Version: "0.1.0"})
	fmt.Println(errors.Is(err, noetl.ErrConflict), err)
	// Output:
	// registered etl/nightly 0.1.0
	// registered etl/nightly 0.1.1
	// latest 0.1.1: steps: [start, load, end]
	// version 0.1.1
	// version 0.1.0
	// true register catalog "etl/nightly" version 0.1.0: already registered: conflict
}

// Schedules run a playbook on a cron expression (read in a timezone) or an
// interval. Claim hands each due run out once and moves the schedule to its
// next slot. The store's clock is fixed here so the times are known.
func ExampleScheduleRepo() {
	ctx := context.Background()
	now := time.Date(2026, time.March, 2, 7, 0, 0, 0, time.UTC) // a Monday
	store, err := storage.Open(ctx, "sqlite::memory:", storage.WithClock(func() time.Time { return now }))
	if err != nil {
		panic(err)
	}
	defer store.Close()

	schedules := store.Schedules()
	daily, err := schedules.Create(ctx, noetl.NewSchedule{
		PlaybookPath: "etl/nightly", Cron: "0 9 * * *", Timezone: "Europe/Berlin", // 09:00 CET is 08:00 UTC
	})
	if err != nil {
		panic(err)
	}
	poll, err := schedules.Create(ctx, noetl.NewSchedule{PlaybookPath: "etl/poll", IntervalSec: 600})
	if err != nil {
		panic(err)
	}
	fmt.Println(daily.PlaybookPath, "first run", daily.NextRunAt.Format(time.RFC3339))
	fmt.Println(poll.PlaybookPath, "first run", poll.NextRunAt.Format(time.RFC3339))

	// At 08:30 both are due, the earliest first. Slots missed in between run
	// once: each schedule moves to its first slot after 08:30.
	at := time.Date(2026, time.March, 2, 8, 30, 0, 0, time.UTC)
	claims, err := schedules.Claim(ctx, at, 10)
	if err != nil {
		panic(err)
	}
	for _, c := range claims {
		fmt.Println("claimed", c.Schedule.PlaybookPath, "slot", c.Slot.Format(time.RFC3339),
			"next", c.Schedule.NextRunAt.Format(time.RFC3339))
	}

	again, err := schedules.Claim(ctx, at, 10)
	if err != nil {
		panic(err)
	}
	fmt.Println("claimed again:", len(again))
	// Output:
	// etl/nightly first run 2026-03-02T08:00:00Z
	// etl/poll first run 2026-03-02T07:10:00Z
	// claimed etl/poll slot 2026-03-02T07:10:00Z next 2026-03-02T08:40:00Z
	// claimed etl/nightly slot 2026-03-02T08:00:00Z next 2026-03-03T08:00:00Z
	// claimed again: 0
}

// The event log records every step, loop iteration and retry of an
// execution. AppendBatch writes many events at once, all or nothing; the
// execution summary counts them.
func ExampleEventRepo() {
	ctx := context.Background()
	store, err := storage.Open(ctx, "sqlite::memory:")
	if err != nil {
		panic(err)
	}
	defer store.Close()

	payload := `{"playbook":"weather"}`
	w, err := store.Workloads().Put(ctx, noetl.NewWorkload{Data: &payload})
	if err != nil {
		panic(err)
	}

	base := time.Date(2026, time.March, 2, 7, 0, 0, 0, time.UTC)
	ev := func(sec float64, typ, node, status string) noetl.Event {
		e := noetl.Event{
			ExecutionID: w.ExecutionID, EventType: &typ, Status: &status,
			Timestamp: base.Add(time.Duration(sec * float64(time.Second))),
		}
		if node != "" {
			e.NodeID = &node
		}
		return e
	}
	iteration := func(sec float64, i int, city, status string) noetl.Event {
		e := ev(sec, "iteration_end", "fetch", status)
		loop, took := "cities", 0.5
		e.LoopID, e.CurrentIndex, e.CurrentItem, e.Duration = &loop, &i, &city, &took
		return e
	}
	events := []noetl.Event{
		ev(0, "execution_start", "", "RUNNING"),
		ev(0, "step_start", "start", "RUNNING"),
		ev(0.5, "step_end", "start", "COMPLETED"),
		ev(1, "loop_start", "fetch", "RUNNING"),
		iteration(1.5, 0, "Oslo", "COMPLETED"),
		iteration(2, 1, "Lima", "FAILED"),
		iteration(2.5, 1, "Lima", "COMPLETED"), // the retry
		iteration(3, 2, "Pune", "COMPLETED"),
		ev(3, "loop_end", "fetch", "COMPLETED"),
		ev(3, "step_start", "end", "RUNNING"),
		ev(3.5, "step_end", "end", "COMPLETED"),
		ev(4, "execution_end", "", "COMPLETED"),
	}
	// Ids are filled in, in slice order.
	if err := store.Events().AppendBatch(ctx, events); err != nil {
		panic(err)
	}

	page, err := store.Events().List(ctx, w.ExecutionID, noetl.EventQuery{})
	if err != nil {
		panic(err)
	}
	for _, e := range page.Items {
		line := fmt.Sprintf("%-15s %-9s", *e.EventType, *e.Status)
		if e.NodeID != nil {
			line += " " + *e.NodeID
		}
		if e.CurrentItem != nil {
			line += fmt.Sprintf(" [%d] %s", *e.CurrentIndex, *e.CurrentItem)
		}
		fmt.Println(strings.TrimSpace(line))
	}

	sum, err := store.Executions().Summary(ctx, w.ExecutionID)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d events over %s, durations sum to %.1f s\n", sum.Events, sum.LastAt.Sub(*sum.FirstAt), sum.Duration)
	for _, status := range slices.Sorted(maps.Keys(sum.ByStatus)) {
		fmt.Println(status, sum.ByStatus[status])
	}
	for _, e := range sum.LatestByNode {
		fmt.Println("latest of", *e.NodeID+":", *e.EventType, *e.Status)
	}
	// Output:
	// execution_start RUNNING
	// step_start      RUNNING   start
	// step_end        COMPLETED start
	// loop_start      RUNNING   fetch
	// iteration_end   COMPLETED fetch [0] Oslo
	// iteration_end   FAILED    fetch [1] Lima
	// iteration_end   COMPLETED fetch [1] Lima
	// iteration_end   COMPLETED fetch [2] Pune
	// loop_end        COMPLETED fetch
	// step_start      RUNNING   end
	// step_end        COMPLETED end
	// execution_end   COMPLETED
	// 12 events over 4s, durations sum to 2.0 s
	// COMPLETED 7
	// FAILED 1
	// RUNNING 4
	// latest of end: step_end COMPLETED
	// latest of fetch: loop_end COMPLETED
	// latest of start: step_end COMPLETED
}
