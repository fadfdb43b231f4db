// Command disk measures what a durable write costs on the disk under a
// directory: the latency of fdatasync after writing one 4 KiB page, and of
// a commit as bbolt makes it (a few pages, fdatasync, the meta page,
// fdatasync). scripts/bench.sh prints it beside the embedded store's rows,
// whose commits are bound by it.
//
//	disk -dir build/bench -n 300 -o disk.json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"syscall"
	"time"
)

// Result is the JSON summary, latencies in µs.
type Result struct {
	Dir       string  `json:"dir"`
	N         int     `json:"n"`
	SyncP50   float64 `json:"fdatasync_p50_us"` // one page, then fdatasync
	SyncP90   float64 `json:"fdatasync_p90_us"`
	CommitP50 float64 `json:"commit_p50_us"` // commitPages pages + sync, meta + sync
	CommitP90 float64 `json:"commit_p90_us"`
	Pages     int     `json:"commit_pages"`
}

const (
	pageSize    = 4096
	commitPages = 4        // a small request's commit: a few leaves and branches
	fileSize    = 16 << 20 // written (not sparse) before measuring, as a store's file is
	maxN        = 10000    // bounds -n: each sample is a sync
)

func main() {
	dir := flag.String("dir", os.TempDir(), "directory on the disk to measure")
	n := flag.Int("n", 300, "samples of each measurement")
	out := flag.String("o", "", "write the JSON result here (default stdout)")
	flag.Parse()
	if *n <= 0 || *n > maxN {
		fmt.Fprintf(os.Stderr, "disk: -n must be in 1..%d\n", maxN)
		os.Exit(2)
	}
	r, err := measure(*dir, *n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "disk:", err)
		os.Exit(1)
	}
	b, _ := json.MarshalIndent(r, "", "  ")
	b = append(b, '\n')
	if *out == "" {
		os.Stdout.Write(b)
	} else if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "disk:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "disk: fdatasync p50 %.0f µs, a %d-page commit (2 syncs) p50 %.0f µs\n", r.SyncP50, r.Pages, r.CommitP50)
}

func measure(dir string, n int) (Result, error) {
	f, err := os.CreateTemp(dir, "disk-*.bench")
	if err != nil {
		return Result{}, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := f.Write(make([]byte, fileSize)); err != nil {
		return Result{}, err
	}
	if err := f.Sync(); err != nil {
		return Result{}, err
	}
	page := make([]byte, pageSize)
	sync := func() error { return syscall.Fdatasync(int(f.Fd())) }
	var one, commit []time.Duration
	for i := range n {
		t := time.Now()
		if _, err := f.WriteAt(page, int64(i%(fileSize/pageSize))*pageSize); err != nil {
			return Result{}, err
		}
		if err := sync(); err != nil {
			return Result{}, err
		}
		one = append(one, time.Since(t))
	}
	for i := range n {
		t := time.Now()
		for p := range commitPages {
			if _, err := f.WriteAt(page, int64((i*97+p*1031)%(fileSize/pageSize))*pageSize); err != nil {
				return Result{}, err
			}
		}
		if err := sync(); err != nil {
			return Result{}, err
		}
		if _, err := f.WriteAt(page, 0); err != nil { // the meta page
			return Result{}, err
		}
		if err := sync(); err != nil {
			return Result{}, err
		}
		commit = append(commit, time.Since(t))
	}
	slices.Sort(one)
	slices.Sort(commit)
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	return Result{Dir: dir, N: n, Pages: commitPages,
		SyncP50: us(one[n/2]), SyncP90: us(one[n*9/10]), CommitP50: us(commit[n/2]), CommitP90: us(commit[n*9/10])}, nil
}
