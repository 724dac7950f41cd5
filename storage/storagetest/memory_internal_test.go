package storagetest

import "testing"

// BenchmarkNewMemoryStore measures what NewMemoryStore does per test: open
// a private in-memory database, migrate it, and close it.
func BenchmarkNewMemoryStore(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		s, err := openMemory(nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
