package noetl

import (
	"encoding/json"
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

// LabelRepo stores the label tree.
type LabelRepo interface{}

// ChatRepo stores chats.
type ChatRepo interface{}

// MemberRepo stores chat memberships.
type MemberRepo interface{}

// MessageRepo stores messages.
type MessageRepo interface{}

// AttachmentRepo stores attachment references.
type AttachmentRepo interface{}
