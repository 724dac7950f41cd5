package noetl

import (
	"context"
	"encoding/json"
	"iter"
	"strings"
	"time"

	"github.com/noetl/noetldb/snowflake"
)

// Label is a row of the label table: a folder in the conversation tree. A
// label with no parent is at the root. Sibling names are unique.
type Label struct {
	ID        snowflake.ID  `json:"id"`
	ParentID  *snowflake.ID `json:"parent_id"`
	Name      string        `json:"name"`
	OwnerID   *snowflake.ID `json:"owner_id"`
	CreatedAt time.Time     `json:"created_at"`
}

// Chat is a row of the chat table: a conversation inside a label.
type Chat struct {
	ID        snowflake.ID `json:"id"`
	LabelID   snowflake.ID `json:"label_id"`
	Name      string       `json:"name"`
	OwnerID   snowflake.ID `json:"owner_id"`
	CreatedAt time.Time    `json:"created_at"`
}

// Member is a row of the member table: a profile's role in a chat.
type Member struct {
	ID        snowflake.ID `json:"id"`
	ChatID    snowflake.ID `json:"chat_id"`
	ProfileID snowflake.ID `json:"profile_id"`
	Role      MemberRole   `json:"role"`
	JoinedAt  time.Time    `json:"joined_at"`
}

// Message is a row of the message table.
type Message struct {
	ID         snowflake.ID    `json:"id"`
	ChatID     snowflake.ID    `json:"chat_id"`
	SenderType SenderType      `json:"sender_type"`
	SenderID   *snowflake.ID   `json:"sender_id"`
	Role       *string         `json:"role"`
	Content    string          `json:"content"`
	Metadata   json.RawMessage `json:"metadata"`
	CreatedAt  time.Time       `json:"created_at"`
}

// Attachment is a row of the attachment table: a reference to a file on a
// label, a chat, or a chat inside a label. The store keeps the reference
// only; it never reads or writes the file.
type Attachment struct {
	ID         snowflake.ID  `json:"id"`
	LabelID    *snowflake.ID `json:"label_id"`
	ChatID     *snowflake.ID `json:"chat_id"`
	Filename   string        `json:"filename"`
	Filepath   string        `json:"filepath"`
	UploadedBy snowflake.ID  `json:"uploaded_by"`
	CreatedAt  time.Time     `json:"created_at"`
}

// ---- labels -------------------------------------------------------------------

// LabelPathSeparator separates label names in a path: "/a/b/c". It is the
// one character a label name may not hold.
const LabelPathSeparator = "/"

// ValidateLabelName checks a label name: a valid name (see ValidateName)
// without "/", and neither "." nor "..", which would make paths ambiguous.
func ValidateLabelName(name string) error {
	if err := ValidateName("label name", name); err != nil {
		return err
	}
	switch {
	case strings.Contains(name, LabelPathSeparator):
		return Invalidf("label name %q: must not contain %q", name, LabelPathSeparator)
	case name == "." || name == "..":
		return Invalidf("label name %q: reserved", name)
	}
	return nil
}

// ParseLabelPath splits an absolute label path ("/a/b/c") into its names.
// The path must start with "/" and name at least one label; an empty
// segment ("//", a trailing "/"), "." or ".." is ErrInvalid, as is a segment
// that is not a valid label name.
func ParseLabelPath(path string) ([]string, error) {
	if !strings.HasPrefix(path, LabelPathSeparator) {
		return nil, Invalidf("label path %q: must start with %q", path, LabelPathSeparator)
	}
	if path == LabelPathSeparator {
		return nil, Invalidf("label path %q: names the root, not a label", path)
	}
	names := strings.Split(path[1:], LabelPathSeparator)
	for i, n := range names {
		switch {
		case n == "":
			return nil, Invalidf("label path %q: segment %d is empty", path, i+1)
		case n == "." || n == "..":
			return nil, Invalidf("label path %q: segment %d is %q; paths are absolute and literal", path, i+1, n)
		}
		if err := ValidateName("label path segment", n); err != nil {
			return nil, Invalidf("label path %q: segment %d: %v", path, i+1, err)
		}
	}
	return names, nil
}

// JoinLabelPath is the inverse of ParseLabelPath: "/" followed by names
// joined with "/".
func JoinLabelPath(names []string) string {
	return LabelPathSeparator + strings.Join(names, LabelPathSeparator)
}

// NewLabel is the input of LabelRepo.Create.
type NewLabel struct {
	// ParentID is the parent label; nil creates the label at the root.
	ParentID *snowflake.ID
	// Name is unique among the label's siblings (see ValidateLabelName).
	Name string
	// OwnerID is an optional owning profile, kept for the caller; the
	// repository grants it nothing.
	OwnerID *snowflake.ID
}

// Validate checks the input; errors wrap ErrInvalid.
func (l NewLabel) Validate() error {
	if l.ParentID != nil && *l.ParentID == 0 {
		return Invalidf("label %q: parent id 0 (use nil for the root)", l.Name)
	}
	return ValidateLabelName(l.Name)
}

// LabelNode is a label of a subtree with its depth below the subtree's top
// (the top itself is depth 0).
type LabelNode struct {
	Label
	Depth int `json:"depth"`
}

// LabelQuery pages LabelRepo.Children, ordered by name (byte order, the same
// on both engines).
type LabelQuery struct {
	Limit int    // page size: DefaultLimit when 0, capped at MaxLimit
	After string // cursor from the previous page's Next
}

// LabelRepo stores the label tree: folders that hold chats, like
// directories in a filesystem. Sibling names are unique, the root level
// included. It does not act for a profile: the caller decides who may
// shape the tree (deleting a label deletes the chats under it whatever
// their members' roles).
type LabelRepo interface {
	// Create adds a label under in.ParentID (at the root when nil). A
	// sibling with the same name is ErrConflict; an unknown parent or owner
	// is ErrReferenced.
	Create(ctx context.Context, in NewLabel) (Label, error)
	// Get returns the label with id, or ErrNotFound.
	Get(ctx context.Context, id snowflake.ID) (Label, error)
	// Children returns the labels directly under parentID (the root labels
	// when nil), ordered by name, in keyset pages. An unknown parent has no
	// children.
	Children(ctx context.Context, parentID *snowflake.ID, q LabelQuery) (Page[Label], error)
	// Ancestors returns the labels above id, root first, without id itself
	// (empty for a root label), in one query. An unknown id is ErrNotFound.
	Ancestors(ctx context.Context, id snowflake.ID) ([]Label, error)
	// Path returns the absolute path of the label ("/a/b/c"), in one query.
	// An unknown id is ErrNotFound.
	Path(ctx context.Context, id snowflake.ID) (string, error)
	// Resolve returns the label at an absolute path ("/a/b/c"), walking the
	// tree in one query whatever the depth. A malformed path (see
	// ParseLabelPath) is ErrInvalid; a path that leads nowhere is
	// ErrNotFound.
	Resolve(ctx context.Context, path string) (Label, error)
	// Subtree returns the label id and every label below it with its depth,
	// in one recursive query: depth-first, the top first, siblings by name,
	// so printing the nodes in order, indented by depth, draws the tree. An
	// unknown id is ErrNotFound.
	Subtree(ctx context.Context, id snowflake.ID) ([]LabelNode, error)
	// Rename changes the label's name. A sibling with that name is
	// ErrConflict; an unknown id is ErrNotFound.
	Rename(ctx context.Context, id snowflake.ID, name string) (Label, error)
	// Move puts the label, with everything under it, under parentID (at the
	// root when nil). Moving a label under itself or anything below it is
	// ErrInvalid; a label of the same name at the destination is ErrConflict;
	// an unknown destination is ErrReferenced; an unknown id is ErrNotFound.
	// Concurrent moves are serialised, so two of them cannot make a cycle.
	Move(ctx context.Context, id snowflake.ID, parentID *snowflake.ID) (Label, error)
	// Delete removes the label and everything under it: sub-labels, their
	// chats, messages, members and attachments, in one statement, all or
	// nothing. An unknown id is ErrNotFound.
	Delete(ctx context.Context, id snowflake.ID) error
	// EnsurePath returns the label at an absolute path ("/acme/eng"),
	// creating every missing label along it (owned by ownerID, none when
	// nil), all or nothing. It is idempotent and race-safe: concurrent
	// callers get the same labels. A malformed path is ErrInvalid, an
	// unknown owner ErrReferenced; neither writes anything.
	EnsurePath(ctx context.Context, path string, ownerID *snowflake.ID) (Label, error)
}

// ---- chats --------------------------------------------------------------------

// NewChat is the input of ChatRepo.Create.
type NewChat struct {
	LabelID snowflake.ID
	Name    string
}

// Validate checks the input; errors wrap ErrInvalid.
func (c NewChat) Validate() error {
	if c.LabelID == 0 {
		return Invalidf("chat %q: label id is required", c.Name)
	}
	return ValidateName("chat name", c.Name)
}

// ChatQuery filters ChatRepo.List. Chats are listed by id (the order they
// were created in).
type ChatQuery struct {
	// LabelID is the label whose chats to list. Required.
	LabelID snowflake.ID
	// Subtree lists the chats of every label under LabelID as well.
	Subtree bool
	Limit   int    // page size: DefaultLimit when 0, capped at MaxLimit
	After   string // cursor from the previous page's Next
}

// Validate checks the query; errors wrap ErrInvalid.
func (q ChatQuery) Validate() error {
	if q.LabelID == 0 {
		return Invalidf("list chats: label id is required")
	}
	_, err := ClampLimit(q.Limit)
	return err
}

// ChatMembership is a chat a profile belongs to, with its role there.
type ChatMembership struct {
	Chat     Chat       `json:"chat"`
	Role     MemberRole `json:"role"`
	JoinedAt time.Time  `json:"joined_at"`
}

// MembershipQuery pages ChatRepo.ListForProfile, by chat id.
type MembershipQuery struct {
	Role  MemberRole // only memberships with this role, when set
	Limit int        // page size: DefaultLimit when 0, capped at MaxLimit
	After string     // cursor from the previous page's Next
}

// Validate checks the query; errors wrap ErrInvalid.
func (q MembershipQuery) Validate() error {
	if q.Role != "" && !q.Role.Valid() {
		_, err := ParseMemberRole(string(q.Role))
		return err
	}
	_, err := ClampLimit(q.Limit)
	return err
}

// ChatRepo stores chats. Methods taking an actor act for that profile and
// check the permission matrix (see [Action]): a refused action is
// ErrForbidden and changes nothing; an unknown chat is ErrNotFound, checked
// first. The others say that they act for nobody.
type ChatRepo interface {
	// Create adds a chat under a label, owned by actor, who becomes its
	// owner member in the same transaction. An unknown label or actor is
	// ErrReferenced.
	Create(ctx context.Context, actor snowflake.ID, in NewChat) (Chat, error)
	// Get returns the chat with id, or ErrNotFound. It acts for nobody.
	Get(ctx context.Context, id snowflake.ID) (Chat, error)
	// List returns the chats in a label (and its whole subtree when
	// q.Subtree), oldest first, in keyset pages; an unknown label has none.
	// It acts for nobody.
	List(ctx context.Context, q ChatQuery) (Page[Chat], error)
	// ListForProfile returns the chats profileID is a member of, with its
	// role in each, by chat id, in keyset pages (optionally only those where
	// it has q.Role). It acts for nobody.
	ListForProfile(ctx context.Context, profileID snowflake.ID, q MembershipQuery) (Page[ChatMembership], error)
	// Rename changes the chat's name; actor needs ActionRenameChat (admin).
	Rename(ctx context.Context, actor, id snowflake.ID, name string) (Chat, error)
	// Move puts the chat in another label; actor needs ActionMoveChat
	// (owner). Attachments that name both the chat and its label follow it
	// to the new label. An unknown label is ErrReferenced.
	Move(ctx context.Context, actor, id, labelID snowflake.ID) (Chat, error)
	// Delete removes the chat with its members, messages and attachments;
	// actor needs ActionDeleteChat (owner).
	Delete(ctx context.Context, actor, id snowflake.ID) error
}

// ---- members ------------------------------------------------------------------

// NewMember is the input of MemberRepo.Add.
type NewMember struct {
	ChatID    snowflake.ID
	ProfileID snowflake.ID
	// Role is the new member's role; RoleMember when empty.
	Role MemberRole
}

// Validate checks the input; errors wrap ErrInvalid.
func (m NewMember) Validate() error {
	switch {
	case m.ChatID == 0:
		return Invalidf("member: chat id is required")
	case m.ProfileID == 0:
		return Invalidf("member: profile id is required")
	case m.Role != "" && !m.Role.Valid():
		_, err := ParseMemberRole(string(m.Role))
		return err
	}
	return nil
}

// MemberQuery filters MemberRepo.List. Members are listed in the order they
// joined (by id).
type MemberQuery struct {
	Role  MemberRole // only members with this role, when set
	Limit int        // page size: DefaultLimit when 0, capped at MaxLimit
	After string     // cursor from the previous page's Next
}

// Validate checks the query; errors wrap ErrInvalid.
func (q MemberQuery) Validate() error {
	if q.Role != "" && !q.Role.Valid() {
		_, err := ParseMemberRole(string(q.Role))
		return err
	}
	_, err := ClampLimit(q.Limit)
	return err
}

// MemberRepo stores chat memberships: one per (chat, profile), with a role.
// Methods taking an actor act for that profile and check the permission
// matrix (see [Action]): a refused action is ErrForbidden and changes
// nothing; an unknown chat is ErrNotFound, checked first. Every change keeps
// at least one owner in the chat: removing or demoting the last owner is
// ErrConflict. Changes to one chat's members are serialised.
type MemberRepo interface {
	// Add makes a profile a member of a chat. actor needs ActionAddMember
	// for a plain member and ActionChangeRole for a higher role (see
	// MemberRole.CanGrant). A profile already in the chat is ErrConflict; an
	// unknown profile is ErrReferenced.
	Add(ctx context.Context, actor snowflake.ID, in NewMember) (Member, error)
	// Remove takes a profile out of a chat. A member may remove itself;
	// otherwise actor needs ActionRemoveMember and a role above the target's
	// (see MemberRole.CanRemove). A profile not in the chat is ErrNotFound.
	// When the profile was the chat's owner_id, another owner takes its place.
	Remove(ctx context.Context, actor, chatID, profileID snowflake.ID) error
	// SetRole changes a member's role; actor needs ActionChangeRole (owner).
	// A profile not in the chat is ErrNotFound. When a demoted profile was
	// the chat's owner_id, another owner takes its place.
	SetRole(ctx context.Context, actor, chatID, profileID snowflake.ID, role MemberRole) (Member, error)
	// Get returns the membership of profileID in chatID, or ErrNotFound. It
	// acts for nobody.
	Get(ctx context.Context, chatID, profileID snowflake.ID) (Member, error)
	// List returns a chat's members in the order they joined, in keyset
	// pages; an unknown chat has none. It acts for nobody.
	List(ctx context.Context, chatID snowflake.ID, q MemberQuery) (Page[Member], error)
}

// ---- messages -----------------------------------------------------------------

// NewMessage is the input of MessageRepo.Post.
type NewMessage struct {
	// ID is optional: zero takes the message's id from the store's
	// generator. A caller that may retry a post after an ambiguous failure
	// (a deadline at commit, a lost connection) picks the id once and posts
	// with it each time: a post whose id is stored already with the same
	// chat, sender, role, content and metadata returns the stored message;
	// with anything else it is ErrConflict.
	ID         snowflake.ID
	ChatID     snowflake.ID
	SenderType SenderType
	// SenderID is the sending profile, which must be a member of the chat
	// (ActionPost): required for a user or bot sender, optional for ai (the
	// member an AI speaks for or through), and refused for system, which
	// speaks for nobody.
	SenderID *snowflake.ID
	// Role is free text for the caller (for example an LLM role such as
	// "assistant"); empty stores NULL.
	Role string
	// Content is the message text; it must not be empty.
	Content string
	// Metadata is any JSON value, or empty for none.
	Metadata json.RawMessage
}

// Validate checks the input; errors wrap ErrInvalid.
func (m NewMessage) Validate() error {
	switch {
	case m.ChatID == 0:
		return Invalidf("message: chat id is required")
	case !m.SenderType.Valid():
		_, err := ParseSenderType(string(m.SenderType))
		return err
	case (m.SenderType == SenderUser || m.SenderType == SenderBot) && (m.SenderID == nil || *m.SenderID == 0):
		return Invalidf("message: a %s sender needs a sender id", m.SenderType)
	case m.SenderID != nil && *m.SenderID == 0:
		return Invalidf("message: sender id 0 (use nil for none)")
	case m.SenderType == SenderSystem && m.SenderID != nil:
		return Invalidf("message: a system message has no sender id (it speaks for nobody)")
	case strings.TrimSpace(m.Content) == "":
		return Invalidf("message: content must not be empty")
	}
	if err := ValidateString("message content", m.Content); err != nil {
		return err
	}
	if err := ValidateString("message role", m.Role); err != nil {
		return err
	}
	return ValidateJSON("message metadata", m.Metadata)
}

// MessageOrder is the order MessageRepo.List returns messages in.
type MessageOrder string

// Message orders. Both follow the order messages were posted in (their
// commit order within the chat), not created_at, which is the poster's
// clock.
const (
	// NewestFirst lists the latest messages first; the default.
	NewestFirst MessageOrder = "newest_first"
	// OldestFirst lists the earliest messages first.
	OldestFirst MessageOrder = "oldest_first"
)

// MessageQuery pages MessageRepo.List.
type MessageQuery struct {
	// Order is NewestFirst when empty.
	Order MessageOrder
	// Limit is the page size: DefaultLimit when 0, capped at MaxLimit.
	Limit int
	// After is the cursor from the previous page's Next, in the same order.
	After string
}

// Validate checks the query; errors wrap ErrInvalid.
func (q MessageQuery) Validate() error {
	if q.Order != "" && q.Order != NewestFirst && q.Order != OldestFirst {
		return Invalidf("message order %q: want %s or %s", q.Order, NewestFirst, OldestFirst)
	}
	_, err := ClampLimit(q.Limit)
	return err
}

// MessageRepo stores messages. Methods taking an actor act for that profile
// and check the permission matrix (see [Action]): reading needs
// ActionRead (any member); a refusal is ErrForbidden. An unknown chat or
// message is ErrNotFound.
type MessageRepo interface {
	// Post adds a message, created now (at the store's clock), at the end
	// of its chat: messages are numbered in the order their posts commit, so
	// a reader following the chat never misses one (see List). A post waits
	// for another post to the same chat that has not committed yet (one in a
	// long transaction, for example); a transaction posting to several chats
	// should post to them in one order, as two that do not may deadlock
	// (PostgreSQL then fails one of them).
	//
	// It acts for the sender: whenever in.SenderID is set (always for user
	// and bot, optionally for ai) that profile must be a member of the chat
	// (ActionPost), else ErrForbidden. An ai message without a sender and a
	// system message (which never has one) act for nobody: the caller
	// decides who may post them. Empty content is ErrInvalid; an unknown
	// chat is ErrNotFound. With in.ID set, a message stored already under
	// that id is returned when it holds the same input (a retry) and is
	// ErrConflict otherwise.
	Post(ctx context.Context, in NewMessage) (Message, error)
	// PostBatch posts messages as one write, all or nothing, for importing
	// a chat's history or writing a transcript: each is checked as Post
	// checks it (one permission check per chat and sender), and nothing is
	// written when one fails, naming the first by its index. The messages
	// are returned in slice order, and a chat lists them oldest first in
	// that order, after every message committed before the batch. A zero
	// in[i].ID is filled in, in the caller's slice too, so that a batch
	// whose outcome is unknown can be retried with the same slice: messages
	// stored already with the same input are returned as stored and the
	// others written; an id stored with other input, or given twice in the
	// batch, is ErrConflict and nothing is written. An empty batch writes
	// nothing.
	PostBatch(ctx context.Context, in []NewMessage) ([]Message, error)
	// Get returns a message of a chat actor belongs to.
	Get(ctx context.Context, actor, id snowflake.ID) (Message, error)
	// Count returns how many messages a chat actor belongs to holds.
	Count(ctx context.Context, actor, chatID snowflake.ID) (int64, error)
	// List returns a chat's messages in pages, newest or oldest first, by
	// an opaque keyset cursor on their position in the chat, never an
	// offset: a page costs the same at the end of a long chat as at its
	// start, and paging never repeats a message. actor must be a member. A
	// cursor from another order is ErrInvalid.
	//
	// Oldest first, a chat can be followed: every non-empty page, the last
	// one included, has a Next, and a reader that pages to the end and later
	// continues from the last Next it got sees every message committed since
	// exactly once, in list order, however many post meanwhile, from however
	// many stores or transactions (Post numbers messages in commit order).
	// The end of the chat, for now, is a page shorter than the limit.
	// Newest first, a page's Next is empty on the last page.
	List(ctx context.Context, actor, chatID snowflake.ID, q MessageQuery) (Page[Message], error)
	// Follow yields a chat's messages oldest first, as actor: every message
	// committed after the cursor after (empty: from the start; a Next of
	// the oldest-first List, or a Cursor Follow yielded), in list order,
	// exactly once; then each new message as its post commits, until ctx
	// ends, when the iteration ends without an error. It does not poll:
	// the store wakes its followers when a post to the chat commits (in
	// this process, or another on the same database) and each re-reads
	// from its cursor with List's statement, so a missed or merged wake-up
	// never loses or repeats a message. actor's membership is checked as
	// List checks it, at every wake-up, and removing a member or deleting
	// the chat wakes the chat's followers: a removed member gets
	// ErrForbidden, a deleted chat ErrNotFound, and the iteration ends. A
	// bad cursor is
	// ErrInvalid; a store in a transaction (or a ctx carrying one) cannot
	// follow (ErrInvalid). An error is yielded once, and ends the
	// iteration. A transient failure (ErrTransient: a lost connection, the
	// server restarting) is not yielded: the read is retried from the
	// cursor. Closing the store ends its follows with ErrClosed. The rows are read from the primary, never a replica.
	Follow(ctx context.Context, actor, chatID snowflake.ID, after string) iter.Seq2[Followed[Message], error]
	// Delete removes a message. Its sender may always delete it; anyone
	// else needs ActionModerate (admin) in its chat.
	Delete(ctx context.Context, actor, id snowflake.ID) error
}

// ---- attachments --------------------------------------------------------------

// MaxFilepathLen is the longest attachment filepath accepted, in bytes.
const MaxFilepathLen = 4096

// NewAttachment is the input of AttachmentRepo.Add: a reference to a file
// on a label, a chat, or both (then the chat must be in that label).
type NewAttachment struct {
	LabelID *snowflake.ID
	ChatID  *snowflake.ID
	// Filename is the file's display name.
	Filename string
	// Filepath is where the file lives (a path, a URL, an object key); the
	// store never opens it.
	Filepath string
	// UploadedBy is the uploading profile.
	UploadedBy snowflake.ID
}

// Validate checks the input; errors wrap ErrInvalid.
func (a NewAttachment) Validate() error {
	switch {
	case a.LabelID == nil && a.ChatID == nil:
		return Invalidf("attachment %q: needs a label, a chat or both", a.Filename)
	case a.LabelID != nil && *a.LabelID == 0, a.ChatID != nil && *a.ChatID == 0:
		return Invalidf("attachment %q: id 0 (use nil for none)", a.Filename)
	case a.UploadedBy == 0:
		return Invalidf("attachment %q: uploader is required", a.Filename)
	}
	if err := ValidateName("attachment filename", a.Filename); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(a.Filepath) == "":
		return Invalidf("attachment %q: filepath must not be empty", a.Filename)
	case len(a.Filepath) > MaxFilepathLen:
		return Invalidf("attachment %q: filepath longer than %d bytes", a.Filename, MaxFilepathLen)
	case strings.ContainsAny(a.Filepath, "\x00\n\r"):
		return Invalidf("attachment %q: filepath must be one line without NUL", a.Filename)
	}
	return ValidateString("attachment filepath", a.Filepath)
}

// AttachmentQuery filters AttachmentRepo.List: exactly one of ChatID and
// LabelID. Attachments are listed newest first.
type AttachmentQuery struct {
	ChatID  *snowflake.ID // the attachments of this chat
	LabelID *snowflake.ID // the attachments of this label (including those also on a chat in it)
	Limit   int           // page size: DefaultLimit when 0, capped at MaxLimit
	After   string        // cursor from the previous page's Next
}

// Validate checks the query; errors wrap ErrInvalid.
func (q AttachmentQuery) Validate() error {
	if (q.ChatID == nil) == (q.LabelID == nil) {
		return Invalidf("list attachments: give exactly one of chat id and label id")
	}
	_, err := ClampLimit(q.Limit)
	return err
}

// AttachmentRepo stores references to files on labels and chats. It stores
// the reference only: it never reads or writes the file.
type AttachmentRepo interface {
	// Add stores a reference, created now. It acts for the uploader: on a
	// chat, the uploader must be a member (ActionPost), else ErrForbidden.
	// With both a label and a chat, a chat outside that label is
	// ErrInvalid; an unknown label, chat or uploader is ErrReferenced.
	Add(ctx context.Context, in NewAttachment) (Attachment, error)
	// Get returns the attachment with id, or ErrNotFound. It acts for
	// nobody.
	Get(ctx context.Context, id snowflake.ID) (Attachment, error)
	// List returns a chat's or a label's attachments, newest first, in
	// keyset pages; an unknown chat or label has none. It acts for nobody.
	List(ctx context.Context, q AttachmentQuery) (Page[Attachment], error)
	// Delete removes the reference. Its uploader may always delete it;
	// anyone else needs ActionModerate (admin) in its chat (so an attachment
	// on a label only is deleted by its uploader alone).
	Delete(ctx context.Context, actor, id snowflake.ID) error
}
