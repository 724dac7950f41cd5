package noetl

import "slices"

// Action is something a profile does in a chat. The permission matrix says
// which member role may do which action; repository methods that act for a
// profile (they take an actor id) look up the actor's role in the chat and
// refuse with ErrForbidden what the matrix does not allow. A profile that is
// not a member of the chat may do none of them.
//
// The matrix (each role may also do everything of the roles above it):
//
//	role    may
//	member  read (list, get and count messages), post (messages and attachments)
//	admin   add and remove members, rename the chat, moderate (delete other
//	        profiles' messages and attachments)
//	owner   change roles, move the chat to another label, delete the chat
//
// Three rules refine it, each enforced by the repositories:
//
//   - Granting a role: adding a member as admin or owner is a role change,
//     so it needs [ActionChangeRole] (owner); an admin adds plain members.
//   - Removing: an owner may remove anyone; an admin may remove only plain
//     members (not another admin or an owner); any member may remove itself
//     (leave the chat). See [MemberRole.CanRemove].
//   - Authorship: the author of a message or attachment may always delete
//     it; deleting other profiles' content needs [ActionModerate].
//
// Senders: a message is posted for its sender. A user or bot message names
// its sender, an ai message may name one (the member an AI speaks for or
// through), and that profile needs [ActionPost] in the chat whatever the
// sender type, so nobody posts in the name of a profile outside the chat.
// A system message names no sender and acts for nobody, like an ai message
// without one: the application decides who may post those.
//
// And one invariant holds whatever the roles: a chat always keeps at least
// one owner, so removing or demoting its last owner is refused (ErrConflict).
type Action string

// Actions of the permission matrix.
const (
	// ActionRead lists, gets and counts a chat's messages.
	ActionRead Action = "read"
	// ActionPost posts messages and attaches files to the chat.
	ActionPost Action = "post"
	// ActionAddMember adds a profile to the chat (as a plain member; see
	// ActionChangeRole for higher roles).
	ActionAddMember Action = "add_member"
	// ActionRemoveMember removes a profile from the chat (see
	// MemberRole.CanRemove for whom).
	ActionRemoveMember Action = "remove_member"
	// ActionRenameChat renames the chat.
	ActionRenameChat Action = "rename_chat"
	// ActionModerate deletes messages and attachments other profiles wrote.
	ActionModerate Action = "moderate"
	// ActionChangeRole changes a member's role, or adds a member with a role
	// above member.
	ActionChangeRole Action = "change_role"
	// ActionMoveChat moves the chat to another label.
	ActionMoveChat Action = "move_chat"
	// ActionDeleteChat deletes the chat with its members, messages and
	// attachments.
	ActionDeleteChat Action = "delete_chat"
)

// Actions lists every Action, in the order of the matrix.
var Actions = []Action{
	ActionRead, ActionPost,
	ActionAddMember, ActionRemoveMember, ActionRenameChat, ActionModerate,
	ActionChangeRole, ActionMoveChat, ActionDeleteChat,
}

// minRole is the permission matrix: the lowest role allowed each action.
var minRole = map[Action]MemberRole{
	ActionRead:         RoleMember,
	ActionPost:         RoleMember,
	ActionAddMember:    RoleAdmin,
	ActionRemoveMember: RoleAdmin,
	ActionRenameChat:   RoleAdmin,
	ActionModerate:     RoleAdmin,
	ActionChangeRole:   RoleOwner,
	ActionMoveChat:     RoleOwner,
	ActionDeleteChat:   RoleOwner,
}

// Valid reports whether a is a known action.
func (a Action) Valid() bool { _, ok := minRole[a]; return ok }

// MinRole returns the lowest role allowed a, or "" for an unknown action.
func (a Action) MinRole() MemberRole { return minRole[a] }

// Roles returns the roles allowed a, lowest first (none for an unknown
// action).
func (a Action) Roles() []MemberRole {
	min, ok := minRole[a]
	if !ok {
		return nil
	}
	return slices.Clone(MemberRoles[min.Rank()-1:])
}

// Rank orders the roles: member 1, admin 2, owner 3; 0 for an unknown role.
func (r MemberRole) Rank() int { return slices.Index(MemberRoles, r) + 1 }

// Can reports whether a member with role r may do a. An unknown role or
// action may do nothing.
func (r MemberRole) Can(a Action) bool {
	min, ok := minRole[a]
	return ok && r.Rank() >= min.Rank()
}

// CanGrant reports whether a member with role r may add a profile to the
// chat with role target: a plain member needs ActionAddMember, a higher role
// needs ActionChangeRole.
func (r MemberRole) CanGrant(target MemberRole) bool {
	switch {
	case !target.Valid():
		return false
	case target == RoleMember:
		return r.Can(ActionAddMember)
	}
	return r.Can(ActionChangeRole)
}

// CanRemove reports whether a member with role r may remove another member
// whose role is target: an owner may remove anyone, an admin only plain
// members. (Removing oneself is always allowed; the repositories check that
// case before asking.)
func (r MemberRole) CanRemove(target MemberRole) bool {
	if !r.Can(ActionRemoveMember) || !target.Valid() {
		return false
	}
	return r == RoleOwner || target.Rank() < r.Rank()
}
