package storagetest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/noetl/noetldb/noetl"
)

func init() { register("contract_identity", testContractIdentity) }

func testContractIdentity(t *testing.T, h Harness) {
	t.Run("UsernamesAreStoredInCanonicalFormAndCompareThatWay", func(t *testing.T) {
		f := newFixture(t, h)
		p, err := f.s.Profiles().Create(ctxBG, noetl.NewProfile{Username: "Zoë", Type: noetl.ProfileUser, Password: "correct-horse"})
		require.NoError(t, err)
		require.Equal(t, "zoë", p.Username, "stored and displayed in canonical form")
		for _, spoof := range []string{"zoë", "ZOË", "Zoe\u0308", "Ｚｏë"} {
			refusedEverywhere(t, f.s, noetl.ErrConflict, "username", func() error {
				_, err := f.s.Profiles().Create(ctxBG, noetl.NewProfile{Username: spoof, Type: noetl.ProfileUser})
				return err
			})
			got, err := f.s.Profiles().GetByUsername(ctxBG, spoof)
			require.NoError(t, err, spoof)
			require.Equal(t, p.ID, got.ID, spoof)
			_, err = f.s.Profiles().VerifyPassword(ctxBG, spoof, "correct-horse")
			require.NoError(t, err, spoof)
		}
		got, err := f.s.Profiles().Update(ctxBG, f.ann.ID, noetl.ProfileUpdate{Username: ptr("ANNA")})
		require.NoError(t, err)
		require.Equal(t, "anna", got.Username)
	})
	t.Run("UsernamesThatCouldSpoofAnotherAreRefused", func(t *testing.T) {
		f := newFixture(t, h)
		for name, u := range map[string]string{
			"ZeroWidthSpace": "an\u200bn", "RightToLeftOverride": "\u202eann", "Tab": "an\tn",
			"TrailingSpace": "ann ", "InnerSpace": "ann smith", "ControlCharacter": "ann\u0007",
		} {
			refusedEverywhere(t, f.s, noetl.ErrInvalid, "username", func() error {
				_, err := f.s.Profiles().Create(ctxBG, noetl.NewProfile{Username: u, Type: noetl.ProfileUser})
				return err
			})
			refusedEverywhere(t, f.s, noetl.ErrInvalid, "username", func() error {
				_, err := f.s.Profiles().Update(ctxBG, f.ann.ID, noetl.ProfileUpdate{Username: &u})
				return err
			})
			_, err := f.s.Profiles().GetByUsername(ctxBG, u)
			require.ErrorIs(t, err, noetl.ErrInvalid, name)
		}
	})
	t.Run("EmailsCompareCaseInsensitively", func(t *testing.T) {
		f := newFixture(t, h)
		p, err := f.s.Profiles().Create(ctxBG, noetl.NewProfile{Username: "eve", Email: "Eve.Smith@Example.COM", Type: noetl.ProfileUser})
		require.NoError(t, err)
		require.Equal(t, "eve.smith@example.com", *p.Email, "stored and displayed in lower case")
		refusedEverywhere(t, f.s, noetl.ErrConflict, "email", func() error {
			_, err := f.s.Profiles().Create(ctxBG, noetl.NewProfile{Username: "eve2", Email: "EVE.SMITH@example.com", Type: noetl.ProfileUser})
			return err
		})
		refusedEverywhere(t, f.s, noetl.ErrConflict, "email", func() error {
			_, err := f.s.Profiles().Update(ctxBG, f.ann.ID, noetl.ProfileUpdate{Email: ptr("eve.smith@EXAMPLE.com")})
			return err
		})
		got, err := f.s.Profiles().GetByEmail(ctxBG, "EVE.SMITH@EXAMPLE.COM")
		require.NoError(t, err)
		require.Equal(t, p.ID, got.ID)
	})
	t.Run("VerifyPasswordRefusesMoreThan72Bytes", func(t *testing.T) {
		f := newFixture(t, h)
		pw := noetl.Secret(strings.Repeat("p", noetl.MaxPasswordLen))
		require.NoError(t, f.s.Profiles().SetPassword(ctxBG, f.ann.ID, pw))
		_, err := f.s.Profiles().VerifyPassword(ctxBG, "ann", pw)
		require.NoError(t, err, "the 72 bytes open")
		_, err = f.s.Profiles().VerifyPassword(ctxBG, "ann", pw+"anything")
		require.ErrorIs(t, err, noetl.ErrInvalid, "bcrypt would compare only the first 72 bytes")
		require.NotContains(t, err.Error(), string(pw))
	})
	t.Run("AnAIMessageSpeaksOnlyForAMemberAndASystemMessageForNobody", func(t *testing.T) {
		f := newFixture(t, h)
		dan, err := f.s.Profiles().GetByUsername(ctxBG, "dan")
		require.NoError(t, err, "dan belongs to no chat")
		post := func(st noetl.SenderType, sender *noetl.Profile) error {
			in := noetl.NewMessage{ChatID: f.chat.ID, SenderType: st, Content: "hello"}
			if sender != nil {
				in.SenderID = &sender.ID
			}
			_, err := f.s.Messages().Post(ctxBG, in)
			return err
		}
		refusedEverywhere(t, f.s, noetl.ErrForbidden, "", func() error { return post(noetl.SenderAI, &dan) })
		refusedEverywhere(t, f.s, noetl.ErrInvalid, "system", func() error { return post(noetl.SenderSystem, &f.ann) })
		refusedEverywhere(t, f.s, noetl.ErrForbidden, "", func() error { return post(noetl.SenderUser, &dan) })
		require.NoError(t, post(noetl.SenderAI, &f.ann), "an ai message on behalf of a member")
		require.NoError(t, post(noetl.SenderAI, nil), "an ai message from nobody in particular")
		require.NoError(t, post(noetl.SenderSystem, nil))
	})
}
