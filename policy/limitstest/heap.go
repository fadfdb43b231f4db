package limitstest

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
)

// HeapGrowth runs f while it samples the heap every millisecond, and
// returns how far HeapAlloc rose above its level before f (after a
// collection). Should the heap rise past abortAt, it ends the program at
// once: a broken bound must not take the machine down with it.
func HeapGrowth(abortAt int64, f func()) int64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	base := int64(m.HeapAlloc)
	var peak atomic.Int64
	sample := func(m *runtime.MemStats) {
		runtime.ReadMemStats(m)
		grown := int64(m.HeapAlloc) - base
		if grown > peak.Load() {
			peak.Store(grown)
		}
		if grown > abortAt {
			panic(fmt.Sprintf("limitstest: the heap grew by %d MiB, past %d MiB: stopping before the machine runs out of memory", grown>>20, abortAt>>20))
		}
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		var m runtime.MemStats
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				sample(&m)
			}
		}
	}()
	f()
	close(done)
	<-stopped
	sample(&m)
	return peak.Load()
}
