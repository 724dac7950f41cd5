package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func init() {
	addStep(30, "Conversations: a label tree", tourLabels)
	addStep(31, "Conversations: a chat, its members and what each may do", tourChat)
	addStep(32, "Conversations: messages, a page at a time", tourMessages)
	addStep(33, "Conversations: an attachment", tourAttachment)
	addStep(34, "Conversations: a refused action", tourRefused)
}

// person returns the profile an earlier step stored under name, creating
// it when missing.
func (t *tour) person(name string, typ noetl.ProfileType) (noetl.Profile, error) {
	if p, ok := t.state[name].(noetl.Profile); ok {
		return p, nil
	}
	p, err := t.store.Profiles().Create(t.ctx, noetl.NewProfile{Username: t.unique(name), Type: typ})
	if err != nil {
		return noetl.Profile{}, err
	}
	t.state[name] = p
	return p, nil
}

func tourLabels(t *tour) error {
	// Labels are folders: /acme/eng/{backend,frontend} and /acme/sales.
	mk := func(parent *snowflake.ID, name string) (noetl.Label, error) {
		return t.store.Labels().Create(t.ctx, noetl.NewLabel{ParentID: parent, Name: name})
	}
	acme, err := mk(nil, t.unique("acme"))
	if err != nil {
		return err
	}
	eng, err := mk(&acme.ID, "eng")
	if err != nil {
		return err
	}
	for _, l := range []struct {
		parent *snowflake.ID
		name   string
	}{{&eng.ID, "frontend"}, {&eng.ID, "backend"}, {&acme.ID, "sales"}} {
		if _, err := mk(l.parent, l.name); err != nil {
			return err
		}
	}
	t.state["eng"] = eng
	t.state["engPath"] = "/" + acme.Name + "/eng"
	nodes, err := t.store.Labels().Subtree(t.ctx, acme.ID) // one recursive query
	if err != nil {
		return err
	}
	for _, n := range nodes {
		t.printf("%s%s/\n", strings.Repeat("    ", n.Depth), n.Name)
	}
	backend, err := t.store.Labels().Resolve(t.ctx, "/"+acme.Name+"/eng/backend")
	if err != nil {
		return err
	}
	path, err := t.store.Labels().Path(t.ctx, backend.ID)
	if err != nil {
		return err
	}
	t.printf("resolved /%s/eng/backend to label %s, whose path is %s\n", acme.Name, backend.ID, path)
	return nil
}

func tourChat(t *tour) error {
	ann, err := t.person("ann", noetl.ProfileUser)
	if err != nil {
		return err
	}
	bob, err := t.person("bob", noetl.ProfileUser)
	if err != nil {
		return err
	}
	cat, err := t.person("cat", noetl.ProfileUser)
	if err != nil {
		return err
	}
	eng := t.state["eng"].(noetl.Label)
	// The creator becomes the chat's owner; ann then adds bob as admin and
	// cat as member. Methods that act for someone take that profile's id.
	chat, err := t.store.Chats().Create(t.ctx, ann.ID, noetl.NewChat{LabelID: eng.ID, Name: "standup"})
	if err != nil {
		return err
	}
	t.state["chat"] = chat
	for _, m := range []noetl.NewMember{
		{ChatID: chat.ID, ProfileID: bob.ID, Role: noetl.RoleAdmin},
		{ChatID: chat.ID, ProfileID: cat.ID, Role: noetl.RoleMember},
	} {
		if _, err := t.store.Members().Add(t.ctx, ann.ID, m); err != nil {
			return err
		}
	}
	members, err := t.store.Members().List(t.ctx, chat.ID, noetl.MemberQuery{})
	if err != nil {
		return err
	}
	names := map[snowflake.ID]string{ann.ID: "ann", bob.ID: "bob", cat.ID: "cat"}
	t.printf("chat %q in %s:\n", chat.Name, t.state["engPath"])
	for _, m := range members.Items {
		var may []string
		for _, a := range noetl.Actions {
			if m.Role.Can(a) {
				may = append(may, string(a))
			}
		}
		t.printf("  %-3s %-6s may %s\n", names[m.ProfileID], m.Role, strings.Join(may, ", "))
	}
	return nil
}

func tourMessages(t *tour) error {
	chat := t.state["chat"].(noetl.Chat)
	ann, bob := t.state["ann"].(noetl.Profile), t.state["bob"].(noetl.Profile)
	for _, in := range []noetl.NewMessage{
		{SenderType: noetl.SenderSystem, Content: "standup started"},
		{SenderType: noetl.SenderUser, SenderID: &ann.ID, Content: "yesterday: shipped the label tree"},
		{SenderType: noetl.SenderUser, SenderID: &bob.ID, Content: "today: chats and members"},
		{SenderType: noetl.SenderAI, Role: "assistant", Content: "summary: labels done, chats next",
			Metadata: json.RawMessage(`{"model":"example"}`)},
		{SenderType: noetl.SenderUser, SenderID: &ann.ID, Content: "thanks all"},
	} {
		in.ChatID = chat.ID
		if _, err := t.store.Messages().Post(t.ctx, in); err != nil {
			return err
		}
	}
	n, err := t.store.Messages().Count(t.ctx, bob.ID, chat.ID)
	if err != nil {
		return err
	}
	t.printf("%d messages; newest first, 3 a page (a keyset cursor, never an offset):\n", n)
	q := noetl.MessageQuery{Order: noetl.NewestFirst, Limit: 3}
	for page := 1; ; page++ {
		p, err := t.store.Messages().List(t.ctx, bob.ID, chat.ID, q)
		if err != nil {
			return err
		}
		for _, m := range p.Items {
			t.printf("  page %d  %-6s %s\n", page, m.SenderType, m.Content)
		}
		if p.Next == "" {
			return nil
		}
		q.After = p.Next
	}
}

func tourAttachment(t *tour) error {
	chat := t.state["chat"].(noetl.Chat)
	cat := t.state["cat"].(noetl.Profile)
	// The store keeps the reference; the file itself lives wherever the
	// filepath says.
	a, err := t.store.Attachments().Add(t.ctx, noetl.NewAttachment{
		LabelID: &chat.LabelID, ChatID: &chat.ID, Filename: "notes.md", Filepath: "s3://acme-files/standup/notes.md", UploadedBy: cat.ID,
	})
	if err != nil {
		return err
	}
	list, err := t.store.Attachments().List(t.ctx, noetl.AttachmentQuery{ChatID: &chat.ID})
	if err != nil {
		return err
	}
	t.printf("attachment %s: %s at %s (%d on the chat)\n", a.ID, a.Filename, a.Filepath, len(list.Items))
	return nil
}

func tourRefused(t *tour) error {
	chat := t.state["chat"].(noetl.Chat)
	ann, cat := t.state["ann"].(noetl.Profile), t.state["cat"].(noetl.Profile)
	_, err := t.store.Chats().Rename(t.ctx, cat.ID, chat.ID, "cat's chat")
	if !errors.Is(err, noetl.ErrForbidden) {
		return fmt.Errorf("a member renaming the chat was not refused: %v", err)
	}
	t.printf("refused: %v\n", err)
	err = t.store.Members().Remove(t.ctx, ann.ID, chat.ID, ann.ID)
	if !errors.Is(err, noetl.ErrConflict) {
		return fmt.Errorf("the last owner leaving was not refused: %v", err)
	}
	t.printf("refused: %v\n", err)
	return nil
}
