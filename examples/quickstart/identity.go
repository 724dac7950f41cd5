package main

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/noetl/noetldb/noetl"
)

func init() {
	addStep(10, "Snowflake ids", tourIDs)
	addStep(20, "Identity: roles, a profile, a session", tourIdentity)
}

func tourIDs(t *tour) error {
	id, err := t.store.IDs().Next()
	if err != nil {
		return err
	}
	t.printf("new id %s\n", id)
	t.printf("  time     %s\n", id.Time().Format(time.RFC3339Nano))
	t.printf("  shard    %d (the database's own snowflake_id() uses shard 1)\n", id.Shard())
	t.printf("  sequence %d\n", id.Sequence())
	b, _ := json.Marshal(struct {
		ID any `json:"id"`
	}{id})
	t.printf("  as JSON  %s (a string: ids exceed what JavaScript numbers hold)\n", b)
	return nil
}

func tourIdentity(t *tour) error {
	roles, err := t.store.Roles().List(t.ctx, noetl.RoleQuery{})
	if err != nil {
		return err
	}
	for _, r := range roles.Items {
		t.printf("role %-6s id %s (shard %d)\n", r.Name, r.ID, r.ID.Shard())
	}
	user, err := t.store.Roles().GetByName(t.ctx, "user")
	if err != nil {
		return err
	}
	ann, err := t.store.Profiles().Create(t.ctx, noetl.NewProfile{
		Username: t.unique("ann"), Email: t.unique("ann") + "@example.com", Type: noetl.ProfileUser,
		RoleID: &user.ID, Password: "correct horse battery",
	})
	if err != nil {
		return err
	}
	t.state["ann"] = ann
	t.printf("created %s\n", ann)
	if _, err := t.store.Profiles().VerifyPassword(t.ctx, ann.Username, "correct horse battery"); err != nil {
		return err
	}
	t.printf("password verified (stored as a bcrypt hash only)\n")
	_, err = t.store.Profiles().Create(t.ctx, noetl.NewProfile{Username: t.unique("ann2"), Email: *ann.Email, Type: noetl.ProfileUser})
	if !errors.Is(err, noetl.ErrConflict) {
		return errors.New("a second profile with ann's email was not refused")
	}
	t.printf("refused: %v\n", err)
	sess, err := t.store.Sessions().Open(t.ctx, noetl.NewSession{
		ProfileID: ann.ID, SessionType: noetl.SessionUser, Metadata: json.RawMessage(`{"client":"quickstart"}`),
	})
	if err != nil {
		return err
	}
	t.printf("session %s opened at %s\n", sess.ID, sess.ConnectedAt.Format(time.RFC3339Nano))
	closed, err := t.store.Sessions().Close(t.ctx, sess.ID)
	if err != nil {
		return err
	}
	t.printf("session closed after %s\n", closed.DisconnectedAt.Sub(closed.ConnectedAt))
	return nil
}
