package main

import (
	"os"
	"testing"
)

// TestGeneratedFileIsCurrent fails when a repository interface changed and
// store_gen.go was not generated again (go generate ./internal/observe).
func TestGeneratedFileIsCurrent(t *testing.T) {
	want, err := generate("../../../noetl")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../store_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatal("internal/observe/store_gen.go is stale: run go generate ./internal/observe")
	}
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{
		"Post": "post", "GetByUsername": "get_by_username", "GetByID": "get_by_id",
		"AppendBatch": "append_batch", "IDs": "ids", "ListForProfile": "list_for_profile",
	} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
}
