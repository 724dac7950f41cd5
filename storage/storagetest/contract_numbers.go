package storagetest

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

func init() { register("contract_numbers", testContractNumbers) }

// pastInt32 returns 2^31 as an int without a constant that overflows a
// 32-bit int.
func pastInt32() int {
	n := int64(math.MaxInt32)
	n++
	return int(n)
}

func testContractNumbers(t *testing.T, h Harness) {
	t.Run("RuntimeCapacityPastInt32IsRefusedAndTheLargestIsKept", func(t *testing.T) {
		f := newFixture(t, h)
		for _, c := range []int{pastInt32(), math.MaxInt} {
			refusedEverywhere(t, f.s, noetl.ErrInvalid, "capacity", func() error {
				_, err := f.s.Runtimes().Register(ctxBG, noetl.NewRuntime{Name: "big", ComponentType: noetl.ComponentWorkerPool, Capacity: &c})
				return err
			})
		}
		largest := math.MaxInt32
		r, err := f.s.Runtimes().Register(ctxBG, noetl.NewRuntime{Name: "big", ComponentType: noetl.ComponentWorkerPool, Capacity: &largest})
		require.NoError(t, err)
		r, err = f.s.Runtimes().Get(ctxBG, r.RuntimeID)
		require.NoError(t, err)
		require.Equal(t, math.MaxInt32, *r.Capacity)
	})
	t.Run("ScheduleIntervalPastInt32IsRefusedOnCreate", func(t *testing.T) {
		f := newFixture(t, h)
		for _, sec := range []int{pastInt32(), 10_000_000_000, math.MaxInt} {
			refusedEverywhere(t, f.s, noetl.ErrInvalid, "interval", func() error {
				_, err := f.s.Schedules().Create(ctxBG, noetl.NewSchedule{PlaybookPath: "p", IntervalSec: sec})
				return err
			})
		}
		sc, err := f.s.Schedules().Create(ctxBG, noetl.NewSchedule{PlaybookPath: "p", IntervalSec: math.MaxInt32})
		require.NoError(t, err)
		require.NotNil(t, sc.NextRunAt, "the longest interval still schedules a run")
		require.Equal(t, math.MaxInt32, *sc.IntervalSec)
	})
	t.Run("ScheduleIntervalPastInt32IsRefusedOnUpdate", func(t *testing.T) {
		f := newFixture(t, h)
		for _, sec := range []int{pastInt32(), 10_000_000_000} {
			refusedEverywhere(t, f.s, noetl.ErrInvalid, "interval", func() error {
				_, err := f.s.Schedules().Update(ctxBG, f.sched.ScheduleID, noetl.ScheduleUpdate{IntervalSec: &sec})
				return err
			})
		}
		largest := math.MaxInt32
		sc, err := f.s.Schedules().Update(ctxBG, f.sched.ScheduleID, noetl.ScheduleUpdate{IntervalSec: &largest})
		require.NoError(t, err)
		require.NotNil(t, sc.NextRunAt)
	})
	t.Run("CatalogAutoVersionPastTheLargestPatchIsConflict", func(t *testing.T) {
		f := newFixture(t, h)
		last := "0.1." + "999999999"
		register := func(version string) (noetl.CatalogEntry, error) {
			return f.s.Catalog().Register(ctxBG, noetl.NewCatalogEntry{Path: "full", Type: "playbook", Version: version, Payload: json.RawMessage(`{}`)})
		}
		_, err := register(last)
		require.NoError(t, err)
		refusedEverywhere(t, f.s, noetl.ErrConflict, "0.1.999999999", func() error {
			_, err := register("")
			return err
		})
		e, err := f.s.Catalog().Get(ctxBG, "full", "")
		require.NoError(t, err)
		require.Equal(t, last, e.ResourceVersion, "every stored version can be read back")
		_, err = register("0.2.0")
		require.NoError(t, err, "an explicit higher minor opens new patches")
		e, err = register("")
		require.NoError(t, err)
		require.Equal(t, "0.2.1", e.ResourceVersion)
		require.NoError(t, f.s.Catalog().Delete(ctxBG, "full", last), "every stored version can be deleted")
	})
}
