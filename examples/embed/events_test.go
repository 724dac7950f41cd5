package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/pgtest"
)

// sse is one server-sent event.
type sse struct {
	id, event string
	data      map[string]any
}

// openEvents opens the chat's event stream as actor, from lastID when set.
func openEvents(t *testing.T, c client, chatID, actor, lastID string) (*http.Response, func() sse) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", c.url+"/chats/"+chatID+"/events", nil)
	require.NoError(t, err)
	req.Header.Set("X-Profile-ID", actor)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { res.Body.Close() })
	events := make(chan sse, 16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		var e sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				events <- e
				e = sse{}
			case strings.HasPrefix(line, "id: "):
				e.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				e.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &e.data)
			}
		}
	}()
	return res, func() sse {
		t.Helper()
		select {
		case e, ok := <-events:
			require.True(t, ok, "the stream ended")
			return e
		case <-time.After(20 * time.Second):
			require.Fail(t, "no event in 20s")
		}
		return sse{}
	}
}

// followSession reads a chat's event stream: the messages posted before,
// each new one, a resume from an event's id, and a non-member's refusal.
func followSession(t *testing.T, c client) {
	_, ann := c.do("POST", "/profiles", "", map[string]any{"username": "ann", "type": "user"})
	annID := ann["id"].(string)
	_, bob := c.do("POST", "/profiles", "", map[string]any{"username": "bob", "type": "user"})
	_, label := c.do("POST", "/labels", "", map[string]any{"name": "support"})
	_, chat := c.do("POST", "/chats", annID, map[string]any{"label_id": label["id"], "name": "live"})
	chatID := chat["id"].(string)
	post := func(content string) {
		code, m := c.do("POST", "/chats/"+chatID+"/messages", annID, map[string]any{"content": content})
		require.Equal(t, http.StatusCreated, code, m)
	}
	post("first")
	post("second")

	res, next := openEvents(t, c, chatID, annID, "")
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "text/event-stream", res.Header.Get("Content-Type"))
	first := next()
	require.Equal(t, "message", first.event)
	require.Equal(t, "first", first.data["content"])
	require.NotEmpty(t, first.id, "each event carries the cursor to resume after it")
	require.Equal(t, "second", next().data["content"])
	post("third")
	require.Equal(t, "third", next().data["content"], "a new post reaches the open stream")

	_, resumed := openEvents(t, c, chatID, annID, first.id)
	for _, want := range []string{"second", "third"} {
		require.Equal(t, want, resumed().data["content"], "a reconnect with Last-Event-ID resumes after that event")
	}

	code, body := c.do("GET", "/chats/"+chatID+"/events", bob["id"].(string), nil)
	require.Equal(t, http.StatusForbidden, code, fmt.Sprint(body))
}

func TestChatEventsOnSQLiteMemory(t *testing.T) {
	followSession(t, serve(t, "sqlite::memory:", "noetl"))
}

func TestChatEventsOnPostgres(t *testing.T) {
	followSession(t, serve(t, pgtest.NewDatabase(t), fmt.Sprintf("noetl_%d", schemas.Add(1))))
}
