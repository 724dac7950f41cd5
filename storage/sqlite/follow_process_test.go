package sqlite_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/snowflake"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/sqlite"
)

const envFollowWriter = "NOETL_TEST_FOLLOW_WRITER" // path,chat,sender of the writer process

// A follower sees what another process writes to the same file: that
// process's commits reach it through the store's data_version loop, with
// no poll per follower.
func TestFollowSeesPostsOfAnotherProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "follow.db")
	s, err := sqlite.Open(ctx, path, storage.WithPasswordCost(4))
	require.NoError(t, err)
	defer s.Close()
	ann, err := s.Profiles().Create(ctx, noetl.NewProfile{Username: "ann", Type: noetl.ProfileUser})
	require.NoError(t, err)
	lbl, err := s.Labels().Create(ctx, noetl.NewLabel{Name: "team"})
	require.NoError(t, err)
	chat, err := s.Chats().Create(ctx, ann.ID, noetl.NewChat{LabelID: lbl.ID, Name: "general"})
	require.NoError(t, err)
	first, err := s.Messages().Post(ctx, noetl.NewMessage{ChatID: chat.ID, SenderType: noetl.SenderUser, SenderID: &ann.ID, Content: "first"})
	require.NoError(t, err)

	got := make(chan noetl.Followed[noetl.Message], 16)
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		for m, err := range s.Messages().Follow(fctx, ann.ID, chat.ID, "") {
			if err != nil {
				return
			}
			got <- m
		}
	}()
	next := func() noetl.Message {
		select {
		case m := <-got:
			return m.Item
		case <-time.After(20 * time.Second):
			t.Fatal("no message reached the follower in 20 s")
		}
		return noetl.Message{}
	}
	require.Equal(t, first.ID, next().ID, "the follow is waiting before the other process writes")

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", "^TestFollowWriterProcess$")
	cmd.Env = append(os.Environ(), envFollowWriter+"="+path+","+chat.ID.String()+","+ann.ID.String())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Run(), "writer process:\n%s", out.String())
	for i := range 3 {
		require.Equal(t, "from another process "+strconv.Itoa(i), next().Content)
	}
}

// TestFollowWriterProcess is the writer of TestFollowSeesPostsOfAnotherProcess;
// it does nothing unless that test started it.
func TestFollowWriterProcess(t *testing.T) {
	env := os.Getenv(envFollowWriter)
	if env == "" {
		t.Skip("helper of TestFollowSeesPostsOfAnotherProcess")
	}
	parts := bytes.Split([]byte(env), []byte(","))
	require.Len(t, parts, 3)
	chat, err := snowflake.ParseID(string(parts[1]))
	require.NoError(t, err)
	sender, err := snowflake.ParseID(string(parts[2]))
	require.NoError(t, err)
	ctx := context.Background()
	s, err := sqlite.Open(ctx, string(parts[0]), storage.WithPasswordCost(4), storage.WithoutMigrate())
	require.NoError(t, err)
	defer s.Close()
	for i := range 3 {
		_, err := s.Messages().Post(ctx, noetl.NewMessage{ChatID: chat, SenderType: noetl.SenderUser, SenderID: &sender,
			Content: "from another process " + strconv.Itoa(i)})
		require.NoError(t, err)
	}
}
