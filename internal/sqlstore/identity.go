package sqlstore

import (
	"context"
	"strings"
	"time"

	sq "github.com/Masterminds/squirrel"
	"golang.org/x/crypto/bcrypt"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// ---- roles ------------------------------------------------------------------

type roleRepo struct{ s *Store }

const roleCols = "id, name, description"

func scanRole(r Row) (noetl.Role, error) {
	var v noetl.Role
	err := r.Scan(&v.ID, &v.Name, &v.Description)
	return v, err
}

func (r roleRepo) Create(ctx context.Context, in noetl.NewRole) (noetl.Role, error) {
	if err := in.Validate(); err != nil {
		return noetl.Role{}, err
	}
	id, err := r.s.newID()
	if err != nil {
		return noetl.Role{}, err
	}
	q := r.s.d.SQL("role.create", func() string {
		return "INSERT INTO {role} (" + roleCols + ") VALUES (?, ?, ?)"
	})
	if _, err := r.s.q.Exec(ctx, q, id, in.Name, in.Description); err != nil {
		return noetl.Role{}, r.s.wrap(err, "role %q: name", in.Name)
	}
	return noetl.Role{ID: id, Name: in.Name, Description: in.Description}, nil
}

func (r roleRepo) Get(ctx context.Context, id snowflake.ID) (noetl.Role, error) {
	q := r.s.d.SQL("role.get", func() string { return "SELECT " + roleCols + " FROM {role} WHERE id = ?" })
	v, err := scanRole(r.s.q.QueryRow(ctx, q, id))
	return v, r.s.wrap(err, "role %s", id)
}

func (r roleRepo) GetByName(ctx context.Context, name string) (noetl.Role, error) {
	if err := noetl.ValidateString("role name", name); err != nil {
		return noetl.Role{}, err
	}
	q := r.s.d.SQL("role.byname", func() string { return "SELECT " + roleCols + " FROM {role} WHERE name = ?" })
	v, err := scanRole(r.s.q.QueryRow(ctx, q, name))
	return v, r.s.wrap(err, "role %q", name)
}

func (r roleRepo) List(ctx context.Context, qr noetl.RoleQuery) (noetl.Page[noetl.Role], error) {
	limit, err := noetl.ClampLimit(qr.Limit)
	if err != nil {
		return noetl.Page[noetl.Role]{}, err
	}
	var after string
	if _, err := DecodeCursor("role", qr.After, &after); err != nil {
		return noetl.Page[noetl.Role]{}, err
	}
	q := r.s.d.SQL("role.list", func() string {
		return "SELECT " + roleCols + " FROM {role} WHERE name" + byteOrder(r.s.d) + " > ? ORDER BY name" + byteOrder(r.s.d) + " LIMIT ?"
	})
	items, err := collect(ctx, r.s.q, q, []any{after, limit + 1}, scanRole)
	if err != nil {
		return noetl.Page[noetl.Role]{}, r.s.wrap(err, "list roles")
	}
	return pageOf(items, limit, "role", func(v noetl.Role) any { return v.Name }), nil
}

func (r roleRepo) Update(ctx context.Context, id snowflake.ID, u noetl.RoleUpdate) (noetl.Role, error) {
	if err := u.Validate(); err != nil {
		return noetl.Role{}, err
	}
	b := r.s.d.Builder().Update(r.s.d.T("role")).Where(sq.Eq{"id": id}).Suffix("RETURNING " + roleCols)
	if u.Name == nil && u.Description == nil {
		return r.Get(ctx, id)
	}
	if u.Name != nil {
		b = b.Set("name", *u.Name)
	}
	if u.Description != nil {
		b = b.Set("description", nullString(*u.Description))
	}
	q, args, err := b.ToSql()
	if err != nil {
		return noetl.Role{}, err
	}
	v, err := scanRole(r.s.q.QueryRow(ctx, q, args...))
	return v, r.s.wrap(err, "update role %s", id)
}

func (r roleRepo) Delete(ctx context.Context, id snowflake.ID) error {
	q := r.s.d.SQL("role.delete", func() string { return "DELETE FROM {role} WHERE id = ?" })
	n, err := r.s.q.Exec(ctx, q, id)
	if kind, _ := r.s.constraint(err); kind == noetl.ErrReferenced {
		return &noetl.Error{Kind: noetl.ErrReferenced, Msg: "delete role " + id.String() + ": still held by profiles", Cause: err}
	}
	if err != nil {
		return r.s.wrap(err, "delete role %s", id)
	}
	if n == 0 {
		return noetl.NewError(noetl.ErrNotFound, "role %s", id)
	}
	return nil
}

// ---- profiles ---------------------------------------------------------------

type profileRepo struct{ s *Store }

const profileCols = "id, username, email, password_hash, type, role_id, created_at"

func scanProfile(r Row) (noetl.Profile, error) {
	var v noetl.Profile
	err := r.Scan(&v.ID, &v.Username, &v.Email, &v.PasswordHash, &v.Type, &v.RoleID, TimeDest(&v.CreatedAt))
	return v, err
}

func (r profileRepo) hash(pw noetl.Secret) (*string, error) {
	if pw == "" {
		return nil, nil
	}
	cost := r.s.cfg.PasswordCost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw.Reveal()), cost)
	if err != nil {
		// The error never carries the password.
		return nil, noetl.Invalidf("password: %v", err)
	}
	s := string(h)
	return &s, nil
}

// writeErr names the field a unique or foreign key refused. A write whose
// username and email are both taken is a conflict on the username on both
// engines, whichever unique index the engine happened to check first.
// id is the written row's and username its new username, nil when the
// write leaves it.
func (r profileRepo) writeErr(ctx context.Context, err error, what string, id snowflake.ID, username *string) error {
	kind, c := r.s.constraint(err)
	field := ""
	switch {
	case kind == noetl.ErrConflict && strings.Contains(c, "email"):
		field = "email"
	case kind == noetl.ErrConflict && strings.Contains(c, "username"):
		field = "username"
	case kind == noetl.ErrReferenced:
		return &noetl.Error{Kind: kind, Msg: what + ": role does not exist", Field: "role_id", Cause: err}
	}
	if kind == noetl.ErrConflict && field != "" {
		field = r.conflictField(ctx, id, username, field)
	}
	switch field {
	case "email":
		return &noetl.Error{Kind: kind, Msg: what + ": email already used", Field: "email", Cause: err}
	case "username":
		return &noetl.Error{Kind: kind, Msg: what + ": username already used", Field: "username", Cause: err}
	}
	return r.s.wrap(err, "%s", what)
}

// conflictField returns the field a unique conflict is reported on: the
// username when another profile holds it, else the one the engine
// reported. It reads on the failed write's connection or transaction
// (which the failure left usable); when the read fails, the engine's
// answer stands.
func (r profileRepo) conflictField(ctx context.Context, id snowflake.ID, username *string, reported string) string {
	if reported == "username" || username == nil {
		return reported
	}
	q := r.s.d.SQL("profile.username_taken", func() string {
		return "SELECT count(*) FROM {profile} WHERE username = ? AND id <> ?"
	})
	var n int64
	if err := r.s.q.QueryRow(ctx, q, *username, id).Scan(&n); err == nil && n > 0 {
		return "username"
	}
	return reported
}

func (r profileRepo) Create(ctx context.Context, in noetl.NewProfile) (noetl.Profile, error) {
	if err := in.Validate(); err != nil {
		return noetl.Profile{}, err
	}
	hash, err := r.hash(in.Password)
	if err != nil {
		return noetl.Profile{}, err
	}
	id := in.ID
	if id == 0 {
		if id, err = r.s.newID(); err != nil {
			return noetl.Profile{}, err
		}
	}
	username, _ := noetl.CanonicalUsername(in.Username) // Validate checked it
	v := noetl.Profile{ID: id, Username: username, PasswordHash: hash, Type: in.Type, RoleID: in.RoleID, CreatedAt: r.s.now()}
	if in.Email != "" {
		email, _ := noetl.CanonicalEmail(in.Email)
		v.Email = &email
	}
	q := r.s.d.SQL("profile.create", func() string {
		return "INSERT INTO {profile} (" + profileCols + ") VALUES (?, ?, ?, ?, ?, ?, ?)"
	})
	_, err = r.s.q.Exec(ctx, q, v.ID, v.Username, v.Email, v.PasswordHash, string(v.Type), ptrArg(v.RoleID), r.s.d.Time(v.CreatedAt))
	if err != nil {
		return noetl.Profile{}, r.writeErr(ctx, err, "profile "+quote(in.Username), v.ID, &v.Username)
	}
	return v, nil
}

// quote quotes an input for an error message, cut to a short prefix.
func quote(s string) string { return noetl.Quote(s) }

func (r profileRepo) getBy(ctx context.Context, key, col string, arg any, what string) (noetl.Profile, error) {
	q := r.s.d.SQL(key, func() string { return "SELECT " + profileCols + " FROM {profile} WHERE " + col + " = ?" })
	v, err := scanProfile(r.s.q.QueryRow(ctx, q, arg))
	return v, r.s.wrap(err, "%s", what)
}

func (r profileRepo) Get(ctx context.Context, id snowflake.ID) (noetl.Profile, error) {
	return r.getBy(ctx, "profile.get", "id", id, "profile "+id.String())
}

func (r profileRepo) GetByUsername(ctx context.Context, username string) (noetl.Profile, error) {
	canon, err := noetl.CanonicalUsername(username)
	if err != nil {
		return noetl.Profile{}, err
	}
	return r.getBy(ctx, "profile.byusername", "username", canon, "profile "+quote(canon))
}

func (r profileRepo) GetByEmail(ctx context.Context, email string) (noetl.Profile, error) {
	if err := noetl.ValidateString("email", email); err != nil {
		return noetl.Profile{}, err
	}
	email = strings.ToLower(email) // stored in lower case (noetl.CanonicalEmail)
	return r.getBy(ctx, "profile.byemail", "email", email, "profile with email "+quote(email))
}

func (r profileRepo) List(ctx context.Context, qr noetl.ProfileQuery) (noetl.Page[noetl.Profile], error) {
	if err := qr.Validate(); err != nil {
		return noetl.Page[noetl.Profile]{}, err
	}
	limit, _ := noetl.ClampLimit(qr.Limit)
	var after int64
	if _, err := DecodeCursor("profile", qr.After, &after); err != nil {
		return noetl.Page[noetl.Profile]{}, err
	}
	b := r.s.d.Builder().Select(profileCols).From(r.s.d.T("profile")).
		Where(sq.Gt{"id": after}).OrderBy("id").Limit(uint64(limit + 1))
	if qr.Type != "" {
		b = b.Where(sq.Eq{"type": string(qr.Type)})
	}
	if qr.RoleID != nil {
		b = b.Where(sq.Eq{"role_id": *qr.RoleID})
	}
	if qr.UsernamePrefix != "" {
		// substr comparison instead of LIKE: no escaping, same on both engines.
		prefix, err := noetl.CanonicalUsername(qr.UsernamePrefix)
		if err != nil {
			return noetl.Page[noetl.Profile]{}, err
		}
		b = b.Where("substr(username, 1, ?) = ?", len([]rune(prefix)), prefix)
	}
	q, args, err := b.ToSql()
	if err != nil {
		return noetl.Page[noetl.Profile]{}, err
	}
	items, err := collect(ctx, r.s.q, q, args, scanProfile)
	if err != nil {
		return noetl.Page[noetl.Profile]{}, r.s.wrap(err, "list profiles")
	}
	return pageOf(items, limit, "profile", func(v noetl.Profile) any { return int64(v.ID) }), nil
}

func (r profileRepo) Update(ctx context.Context, id snowflake.ID, u noetl.ProfileUpdate) (noetl.Profile, error) {
	if err := u.Validate(); err != nil {
		return noetl.Profile{}, err
	}
	if u.Username == nil && u.Email == nil && u.Type == nil && u.RoleID == nil {
		return r.Get(ctx, id)
	}
	b := r.s.d.Builder().Update(r.s.d.T("profile")).Where(sq.Eq{"id": id}).Suffix("RETURNING " + profileCols)
	var username *string
	if u.Username != nil {
		canon, _ := noetl.CanonicalUsername(*u.Username) // Validate checked it
		username = &canon
		b = b.Set("username", canon)
	}
	if u.Email != nil {
		email := strings.ToLower(*u.Email) // noetl.CanonicalEmail; Validate checked it
		b = b.Set("email", nullString(email))
	}
	if u.Type != nil {
		b = b.Set("type", string(*u.Type))
	}
	if u.RoleID != nil {
		if *u.RoleID == 0 {
			b = b.Set("role_id", nil)
		} else {
			b = b.Set("role_id", *u.RoleID)
		}
	}
	q, args, err := b.ToSql()
	if err != nil {
		return noetl.Profile{}, err
	}
	v, err := scanProfile(r.s.q.QueryRow(ctx, q, args...))
	if err != nil {
		return noetl.Profile{}, r.writeErr(ctx, err, "update profile "+id.String(), id, username)
	}
	return v, nil
}

func (r profileRepo) Delete(ctx context.Context, id snowflake.ID) error {
	q := r.s.d.SQL("profile.delete", func() string { return "DELETE FROM {profile} WHERE id = ?" })
	n, err := r.s.q.Exec(ctx, q, id)
	if kind, _ := r.s.constraint(err); kind == noetl.ErrReferenced {
		return &noetl.Error{Kind: kind, Msg: "delete profile " + id.String() + ": still owns chats or uploads", Cause: err}
	}
	if err != nil {
		return r.s.wrap(err, "delete profile %s", id)
	}
	if n == 0 {
		return noetl.NewError(noetl.ErrNotFound, "profile %s", id)
	}
	return nil
}

func (r profileRepo) SetPassword(ctx context.Context, id snowflake.ID, pw noetl.Secret) error {
	if err := noetl.ValidatePassword(pw); err != nil {
		return err
	}
	hash, err := r.hash(pw)
	if err != nil {
		return err
	}
	q := r.s.d.SQL("profile.setpw", func() string { return "UPDATE {profile} SET password_hash = ? WHERE id = ?" })
	n, err := r.s.q.Exec(ctx, q, *hash, id)
	if err != nil {
		return r.s.wrap(err, "set password of profile %s", id)
	}
	if n == 0 {
		return noetl.NewError(noetl.ErrNotFound, "profile %s", id)
	}
	return nil
}

// dummyHash returns a hash at the store's cost, compared against when a
// username is unknown or has no password, so a miss takes as long as a
// wrong password and timing does not tell which usernames exist.
func (r profileRepo) dummyHash() []byte {
	d := r.s.dummy
	d.once.Do(func() {
		h, err := r.hash("noetldb-timing-equaliser")
		if err == nil && h != nil {
			d.hash = []byte(*h)
		}
	})
	return d.hash
}

func (r profileRepo) VerifyPassword(ctx context.Context, username string, pw noetl.Secret) (noetl.Profile, error) {
	if len(pw) > noetl.MaxPasswordLen {
		// bcrypt reads 72 bytes: a longer password would open with only its
		// prefix. It says nothing about the username, so it is not hidden.
		return noetl.Profile{}, noetl.Invalidf("password: longer than %d bytes", noetl.MaxPasswordLen)
	}
	refused := noetl.NewError(noetl.ErrForbidden, "wrong username or password")
	v, err := r.GetByUsername(ctx, username)
	switch {
	case err != nil && !isNotFound(err):
		return noetl.Profile{}, err
	case err != nil || v.PasswordHash == nil:
		_ = bcrypt.CompareHashAndPassword(r.dummyHash(), []byte(pw.Reveal()))
		return noetl.Profile{}, refused
	}
	if bcrypt.CompareHashAndPassword([]byte(*v.PasswordHash), []byte(pw.Reveal())) != nil {
		return noetl.Profile{}, refused
	}
	return v, nil
}

// ---- sessions ---------------------------------------------------------------

type sessionRepo struct{ s *Store }

const sessionCols = "id, profile_id, session_type, connected_at, disconnected_at, metadata"

func scanSession(r Row) (noetl.Session, error) {
	var v noetl.Session
	err := r.Scan(&v.ID, &v.ProfileID, &v.SessionType, TimeDest(&v.ConnectedAt), NullTimeDest(&v.DisconnectedAt), JSONDest(&v.Metadata))
	return v, err
}

func (r sessionRepo) Open(ctx context.Context, in noetl.NewSession) (noetl.Session, error) {
	if err := in.Validate(); err != nil {
		return noetl.Session{}, err
	}
	id, err := r.s.newID()
	if err != nil {
		return noetl.Session{}, err
	}
	v := noetl.Session{ID: id, ProfileID: in.ProfileID, SessionType: in.SessionType, ConnectedAt: r.s.now(), Metadata: in.Metadata}
	q := r.s.d.SQL("session.open", func() string {
		return "INSERT INTO {session} (" + sessionCols + ") VALUES (?, ?, ?, ?, NULL, ?)"
	})
	_, err = r.s.q.Exec(ctx, q, v.ID, v.ProfileID, string(v.SessionType), r.s.d.Time(v.ConnectedAt), r.s.d.JSON(v.Metadata))
	if kind, _ := r.s.constraint(err); kind == noetl.ErrReferenced {
		return noetl.Session{}, &noetl.Error{Kind: kind, Msg: "open session: profile " + in.ProfileID.String() + " does not exist", Cause: err}
	}
	if err != nil {
		return noetl.Session{}, r.s.wrap(err, "open session for profile %s", in.ProfileID)
	}
	return v, nil
}

func (r sessionRepo) Get(ctx context.Context, id snowflake.ID) (noetl.Session, error) {
	q := r.s.d.SQL("session.get", func() string { return "SELECT " + sessionCols + " FROM {session} WHERE id = ?" })
	v, err := scanSession(r.s.q.QueryRow(ctx, q, id))
	return v, r.s.wrap(err, "session %s", id)
}

func (r sessionRepo) Close(ctx context.Context, id snowflake.ID) (noetl.Session, error) {
	q := r.s.d.SQL("session.close", func() string {
		return "UPDATE {session} SET disconnected_at = ? WHERE id = ? AND disconnected_at IS NULL RETURNING " + sessionCols
	})
	v, err := scanSession(r.s.q.QueryRow(ctx, q, r.s.d.Time(r.s.now()), id))
	if err == nil {
		return v, nil
	}
	if err = r.s.wrap(err, "close session %s", id); !isNotFound(err) {
		return noetl.Session{}, err
	}
	if _, gerr := r.Get(ctx, id); gerr != nil {
		return noetl.Session{}, gerr
	}
	return noetl.Session{}, noetl.NewError(noetl.ErrConflict, "close session %s: already closed", id)
}

func (r sessionRepo) ListActive(ctx context.Context, profileID snowflake.ID, qr noetl.SessionQuery) (noetl.Page[noetl.Session], error) {
	limit, err := noetl.ClampLimit(qr.Limit)
	if err != nil {
		return noetl.Page[noetl.Session]{}, err
	}
	var cur [2]int64
	has, err := DecodeCursor("session", qr.After, &cur)
	if err != nil {
		return noetl.Page[noetl.Session]{}, err
	}
	if !has {
		cur = [2]int64{1<<63 - 1, 1<<63 - 1}
	}
	q := r.s.d.SQL("session.active", func() string {
		return "SELECT " + sessionCols + " FROM {session} WHERE profile_id = ? AND disconnected_at IS NULL" +
			" AND (connected_at, id) < (?, ?) ORDER BY connected_at DESC, id DESC LIMIT ?"
	})
	at := r.s.d.Time(time.UnixMicro(cur[0]))
	items, err := collect(ctx, r.s.q, q, []any{profileID, at, cur[1], limit + 1}, scanSession)
	if err != nil {
		return noetl.Page[noetl.Session]{}, r.s.wrap(err, "list sessions of profile %s", profileID)
	}
	return pageOf(items, limit, "session", func(v noetl.Session) any {
		return [2]int64{v.ConnectedAt.UnixMicro(), int64(v.ID)}
	}), nil
}

func (r sessionRepo) DeleteClosedBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	if err := noetl.ValidateTime("cutoff", cutoff); err != nil {
		return 0, err
	}
	q := r.s.d.SQL("session.prune", func() string {
		return "DELETE FROM {session} WHERE disconnected_at IS NOT NULL AND disconnected_at < ?"
	})
	n, err := r.s.q.Exec(ctx, q, r.s.d.Time(cutoff))
	return n, r.s.wrap(err, "delete sessions closed before %s", cutoff.UTC().Format(time.RFC3339))
}

// Ensure gets the profile by username or creates it. A creation that loses
// a race conflicts on the username; the winner's row is then read. Any
// other conflict (the email or id is another profile's) is returned as it
// is. The creation runs under a savepoint inside a transaction, so a
// conflict leaves the transaction usable.
func (r profileRepo) Ensure(ctx context.Context, in noetl.NewProfile) (noetl.Profile, bool, error) {
	if err := in.Validate(); err != nil {
		return noetl.Profile{}, false, err
	}
	var last error
	for attempt := 1; attempt <= ensureAttempts; attempt++ {
		if attempt > 1 {
			r.s.retried(ctx, attempt, last)
		}
		p, err := r.GetByUsername(ctx, in.Username)
		if err == nil || !isNotFound(err) {
			return p, false, err
		}
		err = r.s.undoable(ctx, func(ctx context.Context, ts *Store) error {
			var err error
			p, err = profileRepo{ts}.Create(ctx, in)
			return err
		})
		if !isConflict(err) {
			return p, err == nil, err
		}
		last = err
		// Lost a race for the username, or the email or id is taken.
		if p, err := r.GetByUsername(ctx, in.Username); err == nil || !isNotFound(err) {
			return p, false, err
		}
		if in.Email != "" {
			if _, err := r.GetByEmail(ctx, in.Email); err == nil {
				return noetl.Profile{}, false, last
			}
		}
		if in.ID != 0 {
			if _, err := r.Get(ctx, in.ID); err == nil {
				return noetl.Profile{}, false, last
			}
		}
	}
	return noetl.Profile{}, false, last
}
