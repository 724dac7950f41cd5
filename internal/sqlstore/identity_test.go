package sqlstore

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// A miss in VerifyPassword compares against a hash of the store's own cost,
// so an unknown username costs what a wrong password does.
func TestDummyHashUsesTheStoresCost(t *testing.T) {
	for _, cost := range []int{bcrypt.MinCost, 6} {
		r := profileRepo{s: &Store{cfg: &Config{PasswordCost: cost}, dummy: &dummyHash{}}}
		got, err := bcrypt.Cost(r.dummyHash())
		if err != nil {
			t.Fatal(err)
		}
		if got != cost {
			t.Errorf("dummy hash cost %d, want the store's %d", got, cost)
		}
	}
}
