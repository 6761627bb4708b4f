package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"time"
)

// The scenarios the TLS rows need from a client that speaks HTTP/2 as Go clients do:
// manifest HEAD/GET for a duration, monolithic pushes, and GETs of one path (nginx's file).

// runEach calls do(i) for i in [0, n), concurrency at a time, and gathers the outcome.
func runEach(n, concurrency int, do func(i int) (int64, error)) outcome {
	next := make(chan int, n)
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	return runWorkers(concurrency, func(mine *outcome) {
		for i := range next {
			mine.measure(func() (int64, error) { return do(i) })
		}
	})
}

// runFor calls do again and again from `concurrency` workers until duration has passed.
func runFor(duration time.Duration, concurrency int, do func() (int64, error)) outcome {
	deadline := time.Now().Add(duration)
	return runWorkers(concurrency, func(mine *outcome) {
		for time.Now().Before(deadline) {
			mine.measure(do)
		}
	})
}

// runWorkers runs `concurrency` workers, each recording into an outcome of its own, and
// merges them when all are done.
func runWorkers(concurrency int, work func(mine *outcome)) outcome {
	var mu sync.Mutex
	var all outcome
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine outcome
			work(&mine)
			mu.Lock()
			all.latencies = append(all.latencies, mine.latencies...)
			all.errors += mine.errors
			all.bytes += mine.bytes
			if all.first == nil {
				all.first = mine.first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all
}

// measure times one request: its latency when it succeeds, its error when not.
func (o *outcome) measure(do func() (int64, error)) {
	start := time.Now()
	n, err := do()
	o.bytes += n
	if err != nil {
		o.fail(err)
		return
	}
	o.latencies = append(o.latencies, float64(time.Since(start).Microseconds())/1000)
}

// timed runs the timed phase and turns its outcome into pier-bench's result. requests is
// what the phase was asked to do; 0 counts what it did (duration-based scenarios).
func timed(scenario string, requests int, phase func() outcome) result {
	cpu0 := cpuSeconds()
	start := time.Now()
	o := phase()
	seconds := time.Since(start).Seconds()
	cpu := cpuSeconds() - cpu0
	timedEnd := time.Now()
	if requests == 0 {
		requests = len(o.latencies) + o.errors
	}
	sort.Float64s(o.latencies)
	r := result{
		Scenario: scenario, Requests: requests, Errors: o.errors, Seconds: round(seconds, 4),
		ReqPerS: round(float64(requests)/seconds, 2), MBPerS: round(float64(o.bytes)/seconds/1e6, 2), Bytes: o.bytes,
		P50Ms: round(percentile(o.latencies, 0.5), 3), P90Ms: round(percentile(o.latencies, 0.9), 3),
		P99Ms: round(percentile(o.latencies, 0.99), 3), ClientCPUS: round(cpu, 3), ClientCPUPct: round(100*cpu/seconds, 1),
	}
	if o.first != nil {
		message := o.first.Error()
		r.FirstError = &message
	}
	r.AfterS = round(time.Since(timedEnd).Seconds(), 3)
	return r
}

// runManifests stores a one-layer image as "latest" (untimed), then HEADs or GETs its
// manifest for duration, as a client resolving a tag does.
func runManifests(c *client, scenario string, concurrency int, duration time.Duration) result {
	if err := c.pushImage([]string{"latest"}); err != nil {
		return failed(scenario, err)
	}
	method := "GET"
	if scenario == "manifest-head" {
		method = "HEAD"
	}
	return timed(scenario, 0, func() outcome {
		return runFor(duration, concurrency, func() (int64, error) {
			return c.small(method, "/v2/"+c.repo+"/manifests/latest", manifestAccept)
		})
	})
}

// runPushes pushes count different blobs of size bytes, each once, monolithically.
func runPushes(c *client, size int64, count, concurrency int, seed int64) result {
	blobs := make([]blob, count)
	for i := range blobs {
		blobs[i] = newBlob(seed+int64(i), size)
	}
	return timed("push", count, func() outcome {
		return runEach(count, concurrency, func(i int) (int64, error) {
			if err := c.push(blobs[i]); err != nil {
				return 0, err
			}
			return size, nil
		})
	})
}

// runGets GETs path count times: into SHA-256 and a file as a Go client pulls, or with curl.
func runGets(c *client, path, mode string, count, concurrency int, dir string) result {
	target := c.base + path
	return timed("get-url", count, func() outcome {
		if mode == "curl" {
			targets := make([]string, count)
			for i := range targets {
				targets[i] = target
			}
			return fetchWithCurl(c, targets, -1, concurrency, dir)
		}
		return runEach(count, concurrency, func(int) (int64, error) {
			n, _, err := c.getIntoFile(target, dir)
			return n, err
		})
	})
}

// getIntoFile reads one answer as containerd's content store does: through a digester
// into a file. It returns the bytes read and their digest.
func (c *client) getIntoFile(target, dir string) (int64, string, error) {
	req, err := c.request("GET", target, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return 0, "", fmt.Errorf("GET %s: HTTP %d", req.URL.Path, resp.StatusCode)
	}
	file, err := os.CreateTemp(dir, "get-")
	if err != nil {
		return 0, "", err
	}
	defer os.Remove(file.Name())
	defer file.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(file, h), resp.Body)
	return n, "sha256:" + hex.EncodeToString(h.Sum(nil)), err
}
