package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

type attachmentRepo struct{ s *Store }

const attachmentCols = "id, label_id, chat_id, filename, filepath, uploaded_by, created_at"

func scanAttachment(r Row) (noetl.Attachment, error) {
	var v noetl.Attachment
	err := r.Scan(&v.ID, &v.LabelID, &v.ChatID, &v.Filename, &v.Filepath, &v.UploadedBy, TimeDest(&v.CreatedAt))
	return v, err
}

func (r attachmentRepo) Add(ctx context.Context, in noetl.NewAttachment) (noetl.Attachment, error) {
	if err := in.Validate(); err != nil {
		return noetl.Attachment{}, err
	}
	id, err := r.s.newID()
	if err != nil {
		return noetl.Attachment{}, err
	}
	v := noetl.Attachment{ID: id, LabelID: in.LabelID, ChatID: in.ChatID, Filename: in.Filename, Filepath: in.Filepath,
		UploadedBy: in.UploadedBy, CreatedAt: r.s.now()}
	what := fmt.Sprintf("attach %q", in.Filename)
	labelID, chatID := idOr0(in.LabelID), idOr0(in.ChatID)
	err = r.s.inTx(ctx, func(ctx context.Context, ts *Store) error {
		// One read gathers every reason to refuse.
		q := ts.d.SQL("attachment.add.check", func() string {
			return "SELECT (SELECT COUNT(*) FROM {profile} WHERE id = ?), (SELECT COUNT(*) FROM {label} WHERE id = ?)," +
				" (SELECT COUNT(*) FROM {chat} WHERE id = ?), (SELECT label_id FROM {chat} WHERE id = ?)," +
				" (SELECT role FROM {member} WHERE chat_id = ? AND profile_id = ?)"
		})
		var uploaders, labels, chats int64
		var chatLabel *snowflake.ID
		var role *string
		err := ts.q.QueryRow(ctx, q, in.UploadedBy, labelID, chatID, chatID, chatID, in.UploadedBy).
			Scan(&uploaders, &labels, &chats, &chatLabel, &role)
		if err != nil {
			return ts.wrap(err, "%s", what)
		}
		switch {
		case in.LabelID != nil && labels == 0:
			return noetl.NewError(noetl.ErrReferenced, "%s: label %s does not exist", what, labelID)
		case in.ChatID != nil && chats == 0:
			return noetl.NewError(noetl.ErrReferenced, "%s: chat %s does not exist", what, chatID)
		case uploaders == 0:
			return noetl.NewError(noetl.ErrReferenced, "%s: uploader profile %s does not exist", what, in.UploadedBy)
		case in.LabelID != nil && in.ChatID != nil && (chatLabel == nil || *chatLabel != labelID):
			return noetl.Invalidf("%s: chat %s is not in label %s", what, chatID, labelID)
		}
		if in.ChatID != nil {
			var r noetl.MemberRole
			if role != nil {
				r = noetl.MemberRole(*role)
			}
			if err := permit(true, r, in.UploadedBy, chatID, noetl.ActionPost, what); err != nil {
				return err
			}
		}
		d := ts.d
		q = d.SQL("attachment.add", func() string {
			return "INSERT INTO {attachment} (" + attachmentCols + ") VALUES (?, ?, ?, ?, ?, ?, ?)"
		})
		_, err = ts.q.Exec(ctx, q, v.ID, ptrArg(v.LabelID), ptrArg(v.ChatID), v.Filename, v.Filepath, v.UploadedBy, d.Time(v.CreatedAt))
		return ts.wrap(err, "%s", what)
	})
	if err != nil {
		return noetl.Attachment{}, err
	}
	return v, nil
}

func (r attachmentRepo) Get(ctx context.Context, id snowflake.ID) (noetl.Attachment, error) {
	q := r.s.d.SQL("attachment.get", func() string { return "SELECT " + attachmentCols + " FROM {attachment} WHERE id = ?" })
	v, err := scanAttachment(r.s.q.QueryRow(ctx, q, id))
	return v, r.s.wrap(err, "attachment %s", id)
}

func (r attachmentRepo) List(ctx context.Context, aq noetl.AttachmentQuery) (noetl.Page[noetl.Attachment], error) {
	if err := aq.Validate(); err != nil {
		return noetl.Page[noetl.Attachment]{}, err
	}
	limit, _ := noetl.ClampLimit(aq.Limit)
	var cur [2]int64
	has, err := DecodeCursor("attachment", aq.After, &cur)
	if err != nil {
		return noetl.Page[noetl.Attachment]{}, err
	}
	if err := cursorTime(aq.After, cur[0]); has && err != nil {
		return noetl.Page[noetl.Attachment]{}, err
	}
	col, owner := "chat_id", idOr0(aq.ChatID)
	if aq.LabelID != nil {
		col, owner = "label_id", *aq.LabelID
	}
	d := r.s.d
	key := fmt.Sprintf("attachment.list.%s.%t", col, has)
	q := d.SQL(key, func() string {
		s := "SELECT " + attachmentCols + " FROM {attachment} WHERE " + col + " = ?"
		if has {
			s += " AND (created_at, id) < (?, ?)"
		}
		return s + " ORDER BY created_at DESC, id DESC LIMIT ?"
	})
	args := []any{owner}
	if has {
		args = append(args, d.Time(time.UnixMicro(cur[0])), cur[1])
	}
	items, err := collect(ctx, r.s.q, q, append(args, limit+1), scanAttachment)
	if err != nil {
		return noetl.Page[noetl.Attachment]{}, r.s.wrap(err, "list attachments")
	}
	return pageOf(items, limit, "attachment", func(v noetl.Attachment) any {
		return [2]int64{v.CreatedAt.UnixMicro(), int64(v.ID)}
	}), nil
}

func (r attachmentRepo) Delete(ctx context.Context, actor, id snowflake.ID) error {
	q := r.s.d.SQL("attachment.delete", func() string {
		return "DELETE FROM {attachment} WHERE id = ? AND (uploaded_by = ? OR EXISTS (SELECT 1 FROM {member}" +
			" WHERE chat_id = (SELECT chat_id FROM {attachment} WHERE id = ?) AND profile_id = ? AND role IN " +
			rolesIn(noetl.ActionModerate) + "))"
	})
	what := fmt.Sprintf("delete attachment %s", id)
	n, err := r.s.q.Exec(ctx, q, id, actor, id, actor)
	if err != nil {
		return r.s.wrap(err, "%s", what)
	}
	if n == 1 {
		return nil
	}
	a, err := r.Get(ctx, id)
	if err != nil {
		return err
	}
	if a.ChatID == nil {
		return noetl.NewError(noetl.ErrForbidden, "%s: only its uploader may delete an attachment on a label", what)
	}
	if err := r.s.check(ctx, actor, *a.ChatID, noetl.ActionModerate, what+" uploaded by another profile"); err != nil {
		return err
	}
	return raced(what)
}
