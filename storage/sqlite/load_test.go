package sqlite_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
	"github.com/noetl/noetldb/storage"
	"github.com/noetl/noetldb/storage/sqlite"
)

// Load tests of concurrent writers on a SQLite file, run only with
// NOETL_LOAD=1 (NOETL_LOAD_SECONDS sets the duration, 60 by default):
//
//	NOETL_LOAD=1 go test ./storage/sqlite -run 'TestLoad' -v -timeout 10m
//
// TestLoadWriters runs 8 writers in one store; TestLoadTwoProcesses runs 8
// in this process and 8 in a second one (this test binary re-run as a
// helper) on the same file. Each reports calls, errors, throughput and
// latencies, and fails on any error.

const (
	envLoad        = "NOETL_LOAD"
	envLoadSeconds = "NOETL_LOAD_SECONDS"
	envLoadHelper  = "NOETL_LOAD_HELPER" // the file the helper process writes to
	loadWriters    = 8
)

func loadDuration(t *testing.T) time.Duration {
	t.Helper()
	if os.Getenv(envLoad) != "1" {
		t.Skip("load test: set NOETL_LOAD=1 to run it")
	}
	d := 60 * time.Second
	if v := os.Getenv(envLoadSeconds); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, envLoadSeconds)
		d = time.Duration(n) * time.Second
	}
	return d
}

// loadResult is what one process's writers did.
type loadResult struct {
	Calls    int           `json:"calls"`
	Errors   int           `json:"errors"`
	FirstErr string        `json:"first_error,omitempty"`
	Elapsed  time.Duration `json:"elapsed"`
	P50      time.Duration `json:"p50"`
	P99      time.Duration `json:"p99"`
	Max      time.Duration `json:"max"`
	OverOneS int           `json:"over_1s"`
}

func (r loadResult) String() string {
	return fmt.Sprintf("%d calls in %v (%.0f/s), %d errors, latency p50 %v p99 %v max %v, %d over 1 s%s",
		r.Calls, r.Elapsed.Round(time.Millisecond), float64(r.Calls)/r.Elapsed.Seconds(), r.Errors,
		r.P50, r.P99, r.Max, r.OverOneS, map[bool]string{true: ", first error: " + r.FirstErr, false: ""}[r.FirstErr != ""])
}

// runLoad runs loadWriters writers on s for d, each posting a message,
// appending an event and registering a catalog version in turn.
func runLoad(s noetl.Store, name string, d time.Duration) (loadResult, error) {
	ctx := context.Background()
	owner, err := s.Profiles().Create(ctx, noetl.NewProfile{Username: name, Type: noetl.ProfileUser})
	if err != nil {
		return loadResult{}, err
	}
	label, err := s.Labels().Create(ctx, noetl.NewLabel{Name: name})
	if err != nil {
		return loadResult{}, err
	}
	chat, err := s.Chats().Create(ctx, owner.ID, noetl.NewChat{LabelID: label.ID, Name: name})
	if err != nil {
		return loadResult{}, err
	}
	w, err := s.Workloads().Put(ctx, noetl.NewWorkload{Data: ptrTo(`{"playbook":"load"}`)})
	if err != nil {
		return loadResult{}, err
	}
	var mu sync.Mutex
	var res loadResult
	var lat []time.Duration
	var wg sync.WaitGroup
	began := time.Now()
	stop := began.Add(d)
	for g := range loadWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			var errs int
			var first string
			for i := 0; time.Now().Before(stop); i++ {
				t0 := time.Now()
				var err error
				switch i % 3 {
				case 0:
					_, err = s.Messages().Post(ctx, noetl.NewMessage{ChatID: chat.ID, SenderType: noetl.SenderUser,
						SenderID: &owner.ID, Content: fmt.Sprintf("writer %d call %d", g, i)})
				case 1:
					_, err = s.Events().Append(ctx, noetl.Event{ExecutionID: w.ExecutionID, EventType: ptrTo("load"),
						Metadata: json.RawMessage(fmt.Sprintf(`{"writer":%d,"call":%d}`, g, i))})
				default:
					_, err = s.Catalog().Register(ctx, noetl.NewCatalogEntry{Path: "load/flow", Type: "playbook",
						Payload: json.RawMessage(fmt.Sprintf(`{"writer":%d,"call":%d}`, g, i))})
				}
				mine = append(mine, time.Since(t0))
				if err != nil {
					if errs == 0 {
						first = err.Error()
					}
					errs++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			lat = append(lat, mine...)
			res.Errors += errs
			if res.FirstErr == "" {
				res.FirstErr = first
			}
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(began)
	res.Calls = len(lat)
	if len(lat) > 0 {
		slices.Sort(lat)
		res.P50, res.P99, res.Max = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
		for _, l := range lat {
			if l > time.Second {
				res.OverOneS++
			}
		}
	}
	return res, nil
}

func ptrTo[T any](v T) *T { return &v }

func loadStore(t testing.TB, path string, shard int) noetl.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path, storage.WithShard(shard), storage.WithPasswordCost(4))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestLoadWriters(t *testing.T) {
	d := loadDuration(t)
	s := loadStore(t, filepath.Join(t.TempDir(), "load.db"), 3)
	res, err := runLoad(s, "writers", d)
	require.NoError(t, err)
	t.Logf("one store, %d writers: %v", loadWriters, res)
	require.Zero(t, res.Errors, "first error: %s", res.FirstErr)
}

func TestLoadTwoProcesses(t *testing.T) {
	d := loadDuration(t)
	path := filepath.Join(t.TempDir(), "two.db")
	s := loadStore(t, path, 3) // creates and migrates the file first

	cmd := exec.Command(os.Args[0], "-test.run", "^TestLoadHelperProcess$", "-test.v")
	cmd.Env = append(os.Environ(), envLoadHelper+"="+path, envLoadSeconds+"="+strconv.Itoa(int(d/time.Second)))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	mine, err := runLoad(s, "parent", d)
	require.NoError(t, err)
	werr := cmd.Wait()
	require.NoError(t, werr, "helper process:\n%s", out.String())
	var other loadResult
	found := false
	for _, line := range bytes.Split(out.Bytes(), []byte("\n")) {
		if rest, ok := bytes.CutPrefix(bytes.TrimSpace(line), []byte("LOAD-RESULT ")); ok {
			require.NoError(t, json.Unmarshal(rest, &other))
			found = true
		}
	}
	require.True(t, found, "helper process printed no result:\n%s", out.String())
	t.Logf("process 1, %d writers: %v", loadWriters, mine)
	t.Logf("process 2, %d writers: %v", loadWriters, other)
	require.Zero(t, mine.Errors, "process 1, first error: %s", mine.FirstErr)
	require.Zero(t, other.Errors, "process 2, first error: %s", other.FirstErr)
}

// TestLoadHelperProcess is the second process of TestLoadTwoProcesses; it
// does nothing unless that test started it.
func TestLoadHelperProcess(t *testing.T) {
	path := os.Getenv(envLoadHelper)
	if path == "" {
		t.Skip("helper of TestLoadTwoProcesses")
	}
	secs, err := strconv.Atoi(os.Getenv(envLoadSeconds))
	require.NoError(t, err)
	s, err := sqlite.Open(context.Background(), path, storage.WithShard(4), storage.WithPasswordCost(4), storage.WithoutMigrate())
	require.NoError(t, err)
	defer s.Close()
	res, err := runLoad(s, "helper", time.Duration(secs)*time.Second)
	require.NoError(t, err)
	b, err := json.Marshal(res)
	require.NoError(t, err)
	fmt.Printf("LOAD-RESULT %s\n", b)
}
