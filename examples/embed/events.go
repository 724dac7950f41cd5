package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/noetl/noetldb/noetl"
)

// chatEvents serves GET /chats/{id}/events: the chat's messages as
// server-sent events, oldest first, then each new one as it is posted,
// for as long as the client stays. Each event's id is the cursor after its
// message, so a client that reconnects with Last-Event-ID (browsers' EventSource
// does) resumes where it was, missing and repeating nothing; ?after=CURSOR
// starts after a cursor of the oldest-first list. A member removed from the
// chat gets an "error" event and the stream ends.
func (a *app) chatEvents(w http.ResponseWriter, r *http.Request) {
	who, chatID, err := actorAndChat(r)
	if err != nil {
		writeError(w, err)
		return
	}
	after := r.Header.Get("Last-Event-ID")
	if after == "" {
		after = r.URL.Query().Get("after")
	}
	// Refusals (not a member, a bad cursor) as a plain JSON error, before
	// the stream starts.
	if _, err := a.store.Messages().List(r.Context(), who, chatID, noetl.MessageQuery{Order: noetl.OldestFirst, Limit: 1, After: after}); err != nil {
		writeError(w, err)
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // the stream outlives the server's write timeout
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if err := rc.Flush(); err != nil {
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(a.streams, cancel)
	defer stop()
	for m, err := range a.store.Messages().Follow(ctx, who, chatID, after) {
		if err != nil {
			b, _ := json.Marshal(map[string]string{"error": err.Error()})
			fmt.Fprintf(w, "event: error\ndata: %s\n\n", b)
			_ = rc.Flush()
			return
		}
		b, err := json.Marshal(m.Item)
		if err != nil {
			return
		}
		if _, err := fmt.Fprintf(w, "id: %s\nevent: message\ndata: %s\n\n", m.Cursor, b); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
