package snowflake_test

import (
	"encoding/json"
	"fmt"
	"log"
	"time"

	"github.com/noetl/noetldb/snowflake"
)

func ExampleGenerator() {
	// Shard 1 belongs to the database; each process takes its own shard.
	g, err := snowflake.NewGenerator(2)
	if err != nil {
		log.Fatal(err)
	}
	a := g.MustNext()
	b := g.MustNext()
	fmt.Println(a < b, a.Shard())
	// Output: true 2
}

func ExampleGenerator_Block() {
	g, err := snowflake.NewGenerator(2)
	if err != nil {
		log.Fatal(err)
	}
	first, err := g.Block(3)
	if err != nil {
		log.Fatal(err)
	}
	for id := first; id < first+3; id++ {
		fmt.Println(id.Shard(), id.Sequence()-first.Sequence())
	}
	// Output:
	// 2 0
	// 2 1
	// 2 2
}

func ExampleCompose() {
	// The id noetl.snowflake_id() returns one second after the epoch when
	// its sequence yields 5.
	id, err := snowflake.Compose(time.Date(2024, 1, 1, 0, 0, 1, 0, time.UTC), 1, 5)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(id, id.Time(), id.Shard(), id.Sequence())
	// Output: 8388870149 2024-01-01 00:00:01 +0000 UTC 1 5
}

func ExampleID_MarshalJSON() {
	b, err := json.Marshal(struct {
		ID snowflake.ID `json:"id"`
	}{8388870149})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(b))

	var v struct {
		ID snowflake.ID `json:"id"`
	}
	if err := json.Unmarshal([]byte(`{"id": 8388870149}`), &v); err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.ID)
	// Output:
	// {"id":"8388870149"}
	// 8388870149
}
