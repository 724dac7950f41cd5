package main

import (
	"encoding/json"
	"errors"
	"log"
	"net/http"
	"strconv"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

// maxBody is the largest request body the service reads.
const maxBody = 1 << 20

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "dialect": a.store.Dialect()})
	})
	mux.HandleFunc("POST /profiles", a.createProfile)
	mux.HandleFunc("POST /tickets", a.postTicket)
	mux.HandleFunc("GET /tickets/{id}", a.readTicket)
	a.conversationRoutes(mux)
	a.catalogRoutes(mux)
	return mux
}

// httpError is an error with the status it maps to.
type httpError struct {
	status int
	msg    string
}

func (e httpError) Error() string { return e.msg }

// statusOf maps noetldb's sentinel errors to HTTP statuses.
func statusOf(err error) int {
	var he httpError
	switch {
	case errors.As(err, &he):
		return he.status
	case errors.Is(err, noetl.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, noetl.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, noetl.ErrConflict), errors.Is(err, noetl.ErrReferenced):
		return http.StatusConflict
	case errors.Is(err, noetl.ErrForbidden):
		return http.StatusForbidden
	}
	return http.StatusInternalServerError
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	status := statusOf(err)
	msg := err.Error()
	if status == http.StatusInternalServerError {
		log.Printf("internal error: %v", err)
		msg = "internal error"
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

// decode reads a size-limited JSON body into v, refusing unknown fields.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return httpError{http.StatusRequestEntityTooLarge, "request body larger than 1 MiB"}
		}
		return noetl.Invalidf("request body: %v", err)
	}
	return nil
}

// pathID reads an id from the URL path.
func pathID(r *http.Request, name string) (snowflake.ID, error) {
	id, err := snowflake.ParseID(r.PathValue(name))
	if err != nil {
		return 0, noetl.Invalidf("%s %q: not an id", name, r.PathValue(name))
	}
	return id, nil
}

// actor is the acting profile, from the X-Profile-ID header. A real service
// would take it from its authentication.
func actor(r *http.Request) (snowflake.ID, error) {
	id, err := snowflake.ParseID(r.Header.Get("X-Profile-ID"))
	if err != nil || id == 0 {
		return 0, noetl.Invalidf("X-Profile-ID header: not a profile id")
	}
	return id, nil
}

// actorAndChat reads the acting profile (X-Profile-ID) and the chat id of
// the path.
func actorAndChat(r *http.Request) (who, chatID snowflake.ID, err error) {
	if who, err = actor(r); err != nil {
		return 0, 0, err
	}
	chatID, err = pathID(r, "id")
	return who, chatID, err
}

func queryLimit(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, noetl.Invalidf("limit %q: not a number", s)
	}
	return n, nil
}

func (a *app) createProfile(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string            `json:"username"`
		Email    string            `json:"email"`
		Type     noetl.ProfileType `json:"type"`
	}
	if err := decode(w, r, &in); err != nil {
		writeError(w, err)
		return
	}
	p, err := a.store.Profiles().Create(r.Context(), noetl.NewProfile{Username: in.Username, Email: in.Email, Type: in.Type})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

func (a *app) postTicket(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ChatID snowflake.ID `json:"chat_id"`
		Title  string       `json:"title"`
	}
	if err := decode(w, r, &in); err != nil {
		writeError(w, err)
		return
	}
	tk, err := a.createTicket(r.Context(), in.ChatID, in.Title)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, tk)
}

func (a *app) readTicket(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		writeError(w, err)
		return
	}
	tk, err := a.getTicket(r.Context(), id)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, tk)
}
