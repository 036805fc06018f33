// A Go program for profview's pprof tests: CPU time in two functions of its own (hashing
// about twice as long as parsing), then a heap that keeps some of what it allocates.
// Writes cpu.pprof and heap.pprof into the current folder (see record.sh).
package main

import (
	"crypto/sha256"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"
)

//go:noinline
func parseNumbers(n int) int {
	total := 0
	for i := 0; i < n; i++ {
		v, _ := strconv.Atoi(strconv.Itoa(i * 7))
		total += v
	}
	return total
}

//go:noinline
func hashBlocks(n int) byte {
	block := make([]byte, 4096)
	var last [32]byte
	for i := 0; i < n; i++ {
		block[0] = byte(i)
		last = sha256.Sum256(block)
	}
	return last[0]
}

var kept [][]byte

//go:noinline
func cacheResults(n int) {
	for i := 0; i < n; i++ {
		kept = append(kept, make([]byte, 1024))
	}
}

var sink []byte

//go:noinline
func scratch(n int) {
	for i := 0; i < n; i++ {
		sink = make([]byte, 256) // escapes: each one a heap allocation, dropped by the next
	}
}

func work(d time.Duration) {
	start := time.Now()
	for time.Since(start) < d {
		parseNumbers(20000)
		hashBlocks(60)
	}
}

func main() {
	cpu, _ := os.Create("cpu.pprof")
	pprof.StartCPUProfile(cpu)
	work(1500 * time.Millisecond)
	pprof.StopCPUProfile()
	cpu.Close()
	// Every allocation from here on is in the heap profile (not one per 512 KiB).
	runtime.MemProfileRate = 1
	cacheResults(2000)
	scratch(20000)
	runtime.GC()
	heap, _ := os.Create("heap.pprof")
	pprof.WriteHeapProfile(heap)
	heap.Close()
}
