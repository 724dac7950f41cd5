package main

import (
	"encoding/json"
	"net/http"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
)

func (a *app) conversationRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /labels", a.createLabel)
	mux.HandleFunc("POST /chats", a.createChat)
	mux.HandleFunc("POST /chats/{id}/messages", a.postMessage)
	mux.HandleFunc("GET /chats/{id}/messages", a.listMessages)
	mux.HandleFunc("GET /chats/{id}/events", a.chatEvents)
}

func (a *app) catalogRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /catalog", a.registerEntry)
	mux.HandleFunc("GET /catalog/{version}/{path...}", a.readEntry)
}

func (a *app) createLabel(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name     string        `json:"name"`
		ParentID *snowflake.ID `json:"parent_id"`
	}
	if err := decode(w, r, &in); err != nil {
		writeError(w, err)
		return
	}
	l, err := a.store.Labels().Create(r.Context(), noetl.NewLabel{Name: in.Name, ParentID: in.ParentID})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, l)
}

func (a *app) createChat(w http.ResponseWriter, r *http.Request) {
	who, err := actor(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var in struct {
		LabelID snowflake.ID `json:"label_id"`
		Name    string       `json:"name"`
	}
	if err := decode(w, r, &in); err != nil {
		writeError(w, err)
		return
	}
	c, err := a.store.Chats().Create(r.Context(), who, noetl.NewChat{LabelID: in.LabelID, Name: in.Name})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func (a *app) postMessage(w http.ResponseWriter, r *http.Request) {
	who, chatID, err := actorAndChat(r)
	if err != nil {
		writeError(w, err)
		return
	}
	var in struct {
		Content  string          `json:"content"`
		Role     string          `json:"role"`
		Metadata json.RawMessage `json:"metadata"`
	}
	if err := decode(w, r, &in); err != nil {
		writeError(w, err)
		return
	}
	m, err := a.store.Messages().Post(r.Context(), noetl.NewMessage{
		ChatID: chatID, SenderType: noetl.SenderUser, SenderID: &who,
		Role: in.Role, Content: in.Content, Metadata: in.Metadata,
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, m)
}

func (a *app) listMessages(w http.ResponseWriter, r *http.Request) {
	who, chatID, err := actorAndChat(r)
	if err != nil {
		writeError(w, err)
		return
	}
	limit, err := queryLimit(r)
	if err != nil {
		writeError(w, err)
		return
	}
	q := noetl.MessageQuery{Limit: limit, After: r.URL.Query().Get("after")}
	switch r.URL.Query().Get("order") {
	case "", "desc":
		q.Order = noetl.NewestFirst
	case "asc":
		q.Order = noetl.OldestFirst
	default:
		writeError(w, noetl.Invalidf("order %q: want asc or desc", r.URL.Query().Get("order")))
		return
	}
	page, err := a.store.Messages().List(r.Context(), who, chatID, q)
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (a *app) registerEntry(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Path    string          `json:"path"`
		Type    string          `json:"type"`
		Version string          `json:"version"`
		Content *string         `json:"content"`
		Payload json.RawMessage `json:"payload"`
		Meta    json.RawMessage `json:"meta"`
	}
	if err := decode(w, r, &in); err != nil {
		writeError(w, err)
		return
	}
	e, err := a.store.Catalog().Register(r.Context(), noetl.NewCatalogEntry{
		Path: in.Path, Type: in.Type, Version: in.Version, Content: in.Content, Payload: in.Payload, Meta: in.Meta,
	})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

func (a *app) readEntry(w http.ResponseWriter, r *http.Request) {
	e, err := a.store.Catalog().Get(r.Context(), r.PathValue("path"), r.PathValue("version"))
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}
