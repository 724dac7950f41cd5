package noetl

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnumsParseCaseInsensitiveAndRefuseUnknown(t *testing.T) {
	pt, err := ParseProfileType(" Bot ")
	require.NoError(t, err)
	assert.Equal(t, ProfileBot, pt)
	_, err = ParseProfileType("robot")
	assert.ErrorIs(t, err, ErrInvalid)
	assert.ErrorContains(t, err, "user, bot")

	for _, s := range []string{"user", "bot", "ai"} {
		v, err := ParseSessionType(s)
		require.NoError(t, err)
		assert.True(t, v.Valid())
	}
	for _, s := range []string{"owner", "admin", "member"} {
		_, err := ParseMemberRole(s)
		assert.NoError(t, err)
	}
	for _, s := range []string{"user", "bot", "ai", "system"} {
		_, err := ParseSenderType(s)
		assert.NoError(t, err)
	}
	for _, s := range []string{"worker_pool", "server_api", "broker"} {
		_, err := ParseComponentType(s)
		assert.NoError(t, err)
	}
	for _, s := range []string{"debug", "info", "warning", "error", "critical"} {
		_, err := ParseSeverity(s)
		assert.NoError(t, err)
	}
	for _, bad := range []error{
		func() error { _, err := ParseSessionType("human"); return err }(),
		func() error { _, err := ParseMemberRole("king"); return err }(),
		func() error { _, err := ParseSenderType("alien"); return err }(),
		func() error { _, err := ParseComponentType("toaster"); return err }(),
		func() error { _, err := ParseSeverity("fatal"); return err }(),
	} {
		assert.ErrorIs(t, bad, ErrInvalid)
	}
}

func TestValidateEmail(t *testing.T) {
	for _, ok := range []string{"a@b.co", "first.last+tag@example.com"} {
		assert.NoError(t, ValidateEmail(ok), ok)
	}
	for _, bad := range []string{"", "a", "a@b", "a@", "@b.co", "A <a@b.co>", "a b@c.de"} {
		assert.ErrorIs(t, ValidateEmail(bad), ErrInvalid, bad)
	}
}

func TestValidateJSON(t *testing.T) {
	assert.NoError(t, ValidateJSON("x", nil))
	assert.NoError(t, ValidateJSON("x", json.RawMessage(`[1,2]`)))
	assert.ErrorIs(t, ValidateJSON("x", json.RawMessage(`{`)), ErrInvalid)
	assert.NoError(t, ValidateJSONObject("x", json.RawMessage(` {"a":1}`)))
	assert.ErrorIs(t, ValidateJSONObject("x", json.RawMessage(`"s"`)), ErrInvalid)
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2")
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		assert.NotContains(t, fmt.Sprintf(f, s), "hunter2", f)
	}
	b, err := json.Marshal(struct{ P Secret }{s})
	require.NoError(t, err)
	assert.NotContains(t, string(b), "hunter2")
	assert.Equal(t, "hunter2", s.Reveal())
}

func TestErrorMatchesKindAndCause(t *testing.T) {
	cause := errors.New("driver said no")
	err := error(&Error{Kind: ErrConflict, Msg: `profile "ann": email already used`, Cause: cause})
	assert.ErrorIs(t, err, ErrConflict)
	assert.ErrorIs(t, err, cause)
	assert.NotErrorIs(t, err, ErrNotFound)
	assert.Equal(t, `profile "ann": email already used: conflict`, err.Error())
	assert.ErrorIs(t, Invalidf("limit %d", -1), ErrInvalid)
}

func TestClampLimit(t *testing.T) {
	n, err := ClampLimit(0)
	require.NoError(t, err)
	assert.Equal(t, DefaultLimit, n)
	n, _ = ClampLimit(MaxLimit + 1)
	assert.Equal(t, MaxLimit, n)
	_, err = ClampLimit(-1)
	assert.ErrorIs(t, err, ErrInvalid)
}

func TestUTCTruncatesToMicroseconds(t *testing.T) {
	in := time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", 3600))
	out := UTC(in)
	assert.Equal(t, time.UTC, out.Location())
	assert.Equal(t, 123456000, out.Nanosecond())
	assert.True(t, in.Truncate(time.Microsecond).Equal(out))
}

func TestValidateTimeKeepsYearsBothEnginesStore(t *testing.T) {
	assert.NoError(t, ValidateTime("t", time.Time{}), "zero means not set")
	assert.NoError(t, ValidateTime("t", time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)))
	assert.NoError(t, ValidateTime("t", time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)))
	assert.ErrorIs(t, ValidateTime("t", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)), ErrInvalid)
	assert.ErrorIs(t, ValidateTime("t", time.Date(295000, 1, 1, 0, 0, 0, 0, time.UTC)), ErrInvalid)
	assert.ErrorIs(t, ValidateTime("t", time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)), ErrInvalid)
	ev := Event{ExecutionID: 1, Timestamp: time.Date(295000, 1, 1, 0, 0, 0, 0, time.UTC)}
	assert.ErrorIs(t, ev.Validate(), ErrInvalid)
}
