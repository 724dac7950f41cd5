package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/noetl/noetldb/noetl"
)

func init() {
	addStep(40, "Catalog: two versions of a playbook", tourCatalog)
	addStep(41, "Credentials: sealed at rest, revealed on demand", tourCredentials)
	addStep(42, "Runtime: a worker pool registers and heartbeats", tourRuntime)
	addStep(43, "Schedules: cron and interval, one claimed", tourSchedules)
}

// keyEnv names the environment variable the tour reads its credential key
// from (64 hex digits or base64 of 32 bytes).
const keyEnv = "NOETL_CREDENTIAL_KEY"

// tourKeyring returns the keyring the tour's store seals credentials with:
// the key in NOETL_CREDENTIAL_KEY, or a random one that lives as long as the
// process (fine for a tour: its credentials do not outlive it).
func tourKeyring() (*noetl.Keyring, error) {
	if s := os.Getenv(keyEnv); s != "" {
		key, err := noetl.ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", keyEnv, err)
		}
		return noetl.NewKeyring("env", key)
	}
	key, err := noetl.GenerateKey()
	if err != nil {
		return nil, err
	}
	return noetl.NewKeyring("tour", key)
}

func tourCatalog(t *tour) error {
	for _, content := range []string{"steps: [start, end]", "steps: [start, fetch, end]"} {
		e, err := t.store.Catalog().Register(t.ctx, noetl.NewCatalogEntry{
			Path: "examples/weather", Type: "playbook", Content: &content,
			Payload: json.RawMessage(fmt.Sprintf(`{"content":%q}`, content)),
		})
		if err != nil {
			return err
		}
		t.printf("registered %s version %s\n", e.ResourcePath, e.ResourceVersion)
	}
	latest, err := t.store.Catalog().Get(t.ctx, "examples/weather", noetl.LatestVersion)
	if err != nil {
		return err
	}
	t.printf("latest is %s: %s\n", latest.ResourceVersion, *latest.Content)
	_, err = t.store.Catalog().Register(t.ctx, noetl.NewCatalogEntry{Path: "examples/weather", Type: "playbook", Version: "0.1.1"})
	if !errors.Is(err, noetl.ErrConflict) {
		return errors.New("registering an existing version again was not refused")
	}
	t.printf("refused: %v\n", err)
	return nil
}

func tourCredentials(t *tour) error {
	in := noetl.NewCredential{
		Name: "pg_warehouse", Type: "postgres", Tags: []string{"prod"},
		Data: `{"host":"db","user":"etl","password":"s3cr3t-pa55"}`,
	}
	t.printf("the input prints as %+v\n", in)
	c, err := t.store.Credentials().Put(t.ctx, in)
	if err != nil {
		return err
	}
	page, err := t.store.Credentials().List(t.ctx, noetl.CredentialQuery{Tag: "prod"})
	if err != nil {
		return err
	}
	for _, c := range page.Items {
		b, _ := json.Marshal(c)
		t.printf("listed (metadata only): %s\n", b)
	}
	data, err := t.store.Credentials().Reveal(t.ctx, c.Name)
	if err != nil {
		return err
	}
	t.printf("revealed %d bytes of secret JSON (printed: %v)\n", len(data.Reveal()), data)
	if _, err := t.store.Catalog().Register(t.ctx, noetl.NewCatalogEntry{Path: "examples/load", Type: "playbook", CredentialID: &c.ID}); err != nil {
		return err
	}
	t.printf("playbook examples/load uses credential %s\n", c.ID)
	return nil
}

func tourRuntime(t *tour) error {
	capacity := 8
	w, err := t.store.Runtimes().Register(t.ctx, noetl.NewRuntime{
		Name: "cpu-pool", ComponentType: noetl.ComponentWorkerPool, Capacity: &capacity,
		Labels: json.RawMessage(`{"zone":"eu"}`), Capabilities: json.RawMessage(`["python","http"]`),
	})
	if err != nil {
		return err
	}
	t.printf("worker pool %q registered as runtime %s, status %s\n", w.Name, w.RuntimeID, w.Status)
	hb, err := t.store.Runtimes().Heartbeat(t.ctx, w.RuntimeID, "busy")
	if err != nil {
		return err
	}
	t.printf("heartbeat at %s, status %s\n", hb.LastHeartbeat.Format(time.RFC3339Nano), hb.Status)
	eu, err := t.store.Runtimes().List(t.ctx, noetl.RuntimeQuery{LabelKey: "zone", LabelValue: "eu"})
	if err != nil {
		return err
	}
	t.printf("%d component(s) labelled zone=eu\n", len(eu.Items))
	n, err := t.store.Runtimes().MarkOffline(t.ctx, time.Minute)
	if err != nil {
		return err
	}
	t.printf("components silent for a minute marked offline: %d\n", n)
	return nil
}

func tourSchedules(t *tour) error {
	cron, err := t.store.Schedules().Create(t.ctx, noetl.NewSchedule{
		PlaybookPath: "examples/weather", Cron: "0 9 * * 1", Timezone: "Europe/Berlin",
	})
	if err != nil {
		return err
	}
	t.printf("cron %q (%s): next run %s\n", *cron.Cron, cron.Timezone, cron.NextRunAt.Format(time.RFC3339))
	every, err := t.store.Schedules().Create(t.ctx, noetl.NewSchedule{
		PlaybookPath: "examples/weather", IntervalSec: 30, InputPayload: json.RawMessage(`{"city":"Paris"}`),
	})
	if err != nil {
		return err
	}
	t.printf("every %d s: next run %s\n", *every.IntervalSec, every.NextRunAt.Format(time.RFC3339))
	claims, err := t.store.Schedules().Claim(t.ctx, *every.NextRunAt, 10)
	if err != nil {
		return err
	}
	for _, c := range claims {
		t.printf("claimed schedule %s for slot %s; its next run is %s\n",
			c.Schedule.ScheduleID, c.Slot.Format(time.RFC3339), c.Schedule.NextRunAt.Format(time.RFC3339))
		if _, err := t.store.Schedules().RecordRun(t.ctx, c.Schedule.ScheduleID, noetl.EventCompleted); err != nil {
			return err
		}
	}
	again, err := t.store.Schedules().Claim(t.ctx, *every.NextRunAt, 10)
	if err != nil {
		return err
	}
	t.printf("claiming the same time again hands out %d\n", len(again))
	return nil
}
