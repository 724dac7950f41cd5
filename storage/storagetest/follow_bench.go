package storagetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

// BenchFollow measures the live feed on s: n followers follow one chat
// while each iteration posts one message to it and waits until every
// follower has it. It reports, over every delivery, the latency from the
// post's start to the follower's receipt at p50 and p99 (post-to-deliver),
// the mean duration of Post itself (the commit, for reference: delivery
// minus it is the feed's own delay), and, with n >= 100, the process CPU
// an idle store with the n followers burns per second of wall time.
// during, when not nil, runs once while the followers follow (after the
// timed loop) and reports
// more metrics (for example the server connections they hold).
func BenchFollow(b *testing.B, s noetl.Store, n int, during func(b *testing.B)) {
	c := context.Background()
	owner, err := s.Profiles().Create(c, noetl.NewProfile{Username: "bench", Email: "bench@example.com", Type: noetl.ProfileUser})
	require.NoError(b, err)
	label, err := s.Labels().Create(c, noetl.NewLabel{Name: fmt.Sprint("bench-", time.Now().UnixNano())})
	require.NoError(b, err)
	chat, err := s.Chats().Create(c, owner.ID, noetl.NewChat{LabelID: label.ID, Name: "bench"})
	require.NoError(b, err)

	var start atomic.Int64 // the current post's start, UnixNano
	got := make(chan struct{}, n)
	lat := make([][]time.Duration, n)
	fc, cancel := context.WithCancel(c)
	var wg sync.WaitGroup
	ready := make(chan struct{}, n)
	for i := range n {
		wg.Go(func() {
			ready <- struct{}{}
			for _, err := range s.Messages().Follow(fc, owner.ID, chat.ID, "") {
				if err != nil {
					b.Error(err)
					return
				}
				lat[i] = append(lat[i], time.Duration(time.Now().UnixNano()-start.Load()))
				got <- struct{}{}
			}
		})
	}
	defer func() {
		cancel()
		wg.Wait()
	}()
	for range n {
		<-ready
	}
	time.Sleep(200 * time.Millisecond) // every follower reads once and waits
	var post time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		start.Store(t0.UnixNano())
		_, err := s.Messages().Post(c, noetl.NewMessage{ChatID: chat.ID, SenderType: noetl.SenderSystem, Content: "tick"})
		post += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		for range n {
			select {
			case <-got:
			case <-time.After(30 * time.Second):
				b.Fatal("a follower did not get the message in 30s")
			}
		}
	}
	b.StopTimer()
	if during != nil {
		during(b)
	}
	if n >= 100 {
		var ru0, ru1 syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
		t0 := time.Now()
		time.Sleep(time.Second)
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
		b.ReportMetric(float64(cpu.Microseconds())/time.Since(t0).Seconds()/1000, "idle-cpu-ms/s")
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	if len(all) > 0 {
		b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
		b.ReportMetric(float64(post.Microseconds())/float64(b.N), "post-µs")
	}
}
