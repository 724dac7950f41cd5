package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// client drives the service through real HTTP requests.
type client struct {
	t   *testing.T
	url string
}

func (c client) do(method, path, actor string, body any) (int, map[string]any) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(c.t, err)
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.url+path, r)
	require.NoError(c.t, err)
	if actor != "" {
		req.Header.Set("X-Profile-ID", actor)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	assert.Equal(c.t, "application/json", res.Header.Get("Content-Type"))
	var out map[string]any
	require.NoError(c.t, json.NewDecoder(res.Body).Decode(&out))
	return res.StatusCode, out
}

// scriptedSession is the conversation a client has with the service:
// create, post, page, conflict, not found, forbidden, bad input.
func scriptedSession(t *testing.T, c client) {
	code, ann := c.do("POST", "/profiles", "", map[string]any{"username": "ann", "email": "ann@example.com", "type": "user"})
	require.Equal(t, http.StatusCreated, code, ann)
	annID, ok := ann["id"].(string)
	require.True(t, ok, "ids are JSON strings: %v", ann["id"])
	code, bob := c.do("POST", "/profiles", "", map[string]any{"username": "bob", "type": "user"})
	require.Equal(t, http.StatusCreated, code)
	bobID := bob["id"].(string)

	code, body := c.do("POST", "/profiles", "", map[string]any{"username": "ann", "type": "user"})
	assert.Equal(t, http.StatusConflict, code)
	assert.Contains(t, body["error"], "username already used")

	code, label := c.do("POST", "/labels", "", map[string]any{"name": "support"})
	require.Equal(t, http.StatusCreated, code, label)
	code, chat := c.do("POST", "/chats", annID, map[string]any{"label_id": label["id"], "name": "printer on fire"})
	require.Equal(t, http.StatusCreated, code, chat)
	chatID := chat["id"].(string)

	for i := range 3 {
		code, msg := c.do("POST", "/chats/"+chatID+"/messages", annID, map[string]any{"content": fmt.Sprintf("message %d", i)})
		require.Equal(t, http.StatusCreated, code, msg)
	}
	code, page := c.do("GET", "/chats/"+chatID+"/messages?limit=2&order=asc", annID, nil)
	require.Equal(t, http.StatusOK, code, page)
	items := page["items"].([]any)
	require.Len(t, items, 2)
	assert.Equal(t, "message 0", items[0].(map[string]any)["content"])
	next := page["next"].(string)
	require.NotEmpty(t, next)
	code, page = c.do("GET", "/chats/"+chatID+"/messages?limit=2&order=asc&after="+next, annID, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Len(t, page["items"].([]any), 1)
	next, _ = page["next"].(string)
	require.NotEmpty(t, next, "the last page of an oldest-first list has the cursor to follow the chat from")
	code, page = c.do("GET", "/chats/"+chatID+"/messages?limit=2&order=asc&after="+next, annID, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Empty(t, page["items"].([]any), "nothing posted since")
	assert.Nil(t, page["next"], "an empty page has no cursor")

	code, body = c.do("POST", "/chats/"+chatID+"/messages", bobID, map[string]any{"content": "let me in"})
	assert.Equal(t, http.StatusForbidden, code, body)

	code, body = c.do("GET", "/tickets/12345", "", nil)
	assert.Equal(t, http.StatusNotFound, code, body)
	code, tk := c.do("POST", "/tickets", "", map[string]any{"chat_id": chatID, "title": "printer"})
	require.Equal(t, http.StatusCreated, code, tk)
	code, got := c.do("GET", "/tickets/"+tk["id"].(string), "", nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, chatID, got["chat_id"])
	code, body = c.do("POST", "/tickets", "", map[string]any{"chat_id": "777", "title": "no such chat"})
	assert.Equal(t, http.StatusNotFound, code, body)
	// The ticket and its announcement are one transaction: a ticket that
	// helpdesk's own table refuses (its title is too long) takes the
	// announcement with it.
	messages := func() []string {
		code, page := c.do("GET", "/chats/"+chatID+"/messages?limit=100&order=asc", annID, nil)
		require.Equal(t, http.StatusOK, code, page)
		var out []string
		for _, m := range page["items"].([]any) {
			out = append(out, m.(map[string]any)["content"].(string))
		}
		return out
	}
	require.Contains(t, messages(), "ticket opened: printer")
	before := messages()
	code, body = c.do("POST", "/tickets", "", map[string]any{"chat_id": chatID, "title": strings.Repeat("long ", 30)})
	assert.Equal(t, http.StatusBadRequest, code, body)
	assert.Equal(t, before, messages(), "the refused ticket's announcement was rolled back")

	for _, want := range []string{"0.1.0", "0.1.1"} {
		code, e := c.do("POST", "/catalog", "", map[string]any{"path": "playbooks/weather", "type": "playbook", "payload": map[string]any{"steps": 3}})
		require.Equal(t, http.StatusCreated, code, e)
		assert.Equal(t, want, e["resource_version"])
	}
	code, e := c.do("GET", "/catalog/latest/playbooks/weather", "", nil)
	require.Equal(t, http.StatusOK, code, e)
	assert.Equal(t, "0.1.1", e["resource_version"])
	code, body = c.do("POST", "/catalog", "", map[string]any{"path": "playbooks/weather", "type": "playbook", "version": "0.1.0", "payload": map[string]any{}})
	assert.Equal(t, http.StatusConflict, code, body)
	code, body = c.do("GET", "/catalog/9.9.9/playbooks/weather", "", nil)
	assert.Equal(t, http.StatusNotFound, code, body)

	code, body = c.do("POST", "/labels", "", `{"name": `)
	assert.Equal(t, http.StatusBadRequest, code, body)
	code, body = c.do("POST", "/labels", "", map[string]any{"name": "x", "colour": "red"})
	assert.Equal(t, http.StatusBadRequest, code, body, "unknown fields are refused")
	code, body = c.do("POST", "/labels", "", `{"name": "`+strings.Repeat("x", maxBody)+`"}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code, body)
	code, body = c.do("POST", "/chats", "not-an-id", map[string]any{"label_id": label["id"], "name": "x"})
	assert.Equal(t, http.StatusBadRequest, code, body)
}

func serve(t *testing.T, dsn, schemaName string) client {
	t.Helper()
	a, err := openApp(context.Background(), dsn, schemaName)
	require.NoError(t, err)
	t.Cleanup(a.Close)
	srv := httptest.NewServer(a.routes())
	t.Cleanup(srv.Close)
	return client{t: t, url: srv.URL}
}

func TestServiceOnSQLiteMemory(t *testing.T) {
	scriptedSession(t, serve(t, "sqlite::memory:", "noetl"))
}

func TestServiceOnSQLiteFileSharesTheFile(t *testing.T) {
	scriptedSession(t, serve(t, "sqlite:"+t.TempDir()+"/helpdesk.db", "noetl"))
}

var schemas atomic.Int64

func TestServiceOnPostgres(t *testing.T) {
	scriptedSession(t, serve(t, pgtest.NewDatabase(t), fmt.Sprintf("noetl_%d", schemas.Add(1))))
}

// run serves on a real port and stops cleanly when its context ends.
func TestRunServesAndShutsDownGracefully(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, "sqlite::memory:", addr, "noetl") }()
	var res *http.Response
	require.Eventually(t, func() bool {
		res, err = http.Get("http://" + addr + "/healthz")
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	cancel()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("run did not return after its context was cancelled")
	}
}
