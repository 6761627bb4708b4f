package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"sort"
	"sync"
	"time"
)

// The fleet scenario looks like a CI fleet at a registry: many small manifest and tag
// requests interleaved with layer pushes and pulls of size/10 to size bytes, at one
// concurrency, for a duration. What users feel is the small requests' latency while
// the large transfers run, so the row's throughput and percentiles are the small
// requests'; every kind's are reported beside them.

var fleetKinds = []string{"manifest-head", "manifest-get", "tags-list", "blob-pull", "blob-push"}

// fleetKind draws a request kind: 80% small (HEAD 30, GET 30, tags 20), 10% pull, 10% push.
func fleetKind(r *rand.Rand) string {
	switch x := r.Intn(100); {
	case x < 30:
		return "manifest-head"
	case x < 60:
		return "manifest-get"
	case x < 80:
		return "tags-list"
	case x < 90:
		return "blob-pull"
	default:
		return "blob-push"
	}
}

const manifestAccept = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, " +
	"application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json"

// pushImage stores a one-layer OCI image under `tags`, its blobs first.
func (c *client) pushImage(tags []string) error {
	layer := blob{block: []byte("pier-bench-go fleet layer\n"), size: 1024}
	h := sha256.New()
	io.Copy(h, layer.reader())
	layer.digest = "sha256:" + hex.EncodeToString(h.Sum(nil))
	configBytes := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	config := blob{block: configBytes, size: int64(len(configBytes))}
	config.digest = fmt.Sprintf("sha256:%x", sha256.Sum256(configBytes))
	for _, b := range []blob{layer, config} {
		if err := c.push(b); err != nil {
			return err
		}
	}
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%d}]}`,
		config.digest, config.size, layer.digest, layer.size)
	for _, tag := range tags {
		req, err := c.request("PUT", "/v2/"+c.repo+"/manifests/"+tag, bytes.NewReader([]byte(manifest)))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
		if _, _, err := c.exchange(req, http.StatusCreated); err != nil {
			return err
		}
	}
	return nil
}

// small sends one small request and reads its answer whole.
func (c *client) small(method, path string, accept string) (int64, error) {
	req, err := c.request(method, path, nil)
	if err != nil {
		return 0, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	_, n, err := c.exchange(req, http.StatusOK)
	return n, err
}

// pullDiscarding reads a blob whole without hashing it: on 2 cores a hashing client at
// this concurrency would be the limit, not the registry.
func (c *client) pullDiscarding(b blob) (int64, error) {
	req, err := c.request("GET", "/v2/"+c.repo+"/blobs/"+b.digest, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return n, err
	}
	if resp.StatusCode != http.StatusOK || n != b.size {
		return n, fmt.Errorf("GET blob: HTTP %d, %d bytes", resp.StatusCode, n)
	}
	return n, nil
}

func runFleet(c *client, size int64, count, concurrency int, duration time.Duration, seed int64) result {
	tags := make([]string, 20)
	for i := range tags {
		tags[i] = fmt.Sprintf("t%02d", i)
	}
	if err := c.pushImage(tags); err != nil {
		return failed("fleet", err)
	}
	// count large blobs: half uploaded now for the pulls, half pushed (again and again)
	// during the run; sizes spread evenly from size/10 to size.
	if count < 2 {
		count = 2
	}
	large := make([]blob, count)
	for i := range large {
		step := int64(0)
		if count > 1 {
			step = (size - size/10) * int64(i) / int64(count-1)
		}
		large[i] = newBlob(seed+int64(i), size/10+step)
	}
	pulls, pushes := large[:count/2], large[count/2:]
	for _, b := range pulls {
		if err := c.push(b); err != nil {
			return failed("fleet", err)
		}
	}

	type sample struct {
		kind string
		ms   float64
		err  error
		n    int64
	}
	var mu sync.Mutex
	var all []sample
	cpu0 := cpuSeconds()
	start := time.Now()
	deadline := start.Add(duration)
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewSource(seed + 1000 + int64(w)))
			var mine []sample
			for time.Now().Before(deadline) {
				kind := fleetKind(r)
				t0 := time.Now()
				var n int64
				var err error
				switch kind {
				case "manifest-head":
					n, err = c.small("HEAD", "/v2/"+c.repo+"/manifests/"+tags[r.Intn(len(tags))], manifestAccept)
				case "manifest-get":
					n, err = c.small("GET", "/v2/"+c.repo+"/manifests/"+tags[r.Intn(len(tags))], manifestAccept)
				case "tags-list":
					n, err = c.small("GET", "/v2/"+c.repo+"/tags/list", "")
				case "blob-pull":
					n, err = c.pullDiscarding(pulls[r.Intn(len(pulls))])
				case "blob-push":
					b := pushes[r.Intn(len(pushes))]
					err = c.push(b)
					if err == nil {
						n = b.size
					}
				}
				mine = append(mine, sample{kind, float64(time.Since(t0).Microseconds()) / 1000, err, n})
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	seconds := time.Since(start).Seconds()
	cpu := cpuSeconds() - cpu0
	timedEnd := time.Now()

	res := result{Scenario: "fleet", Seconds: round(seconds, 4), ClientCPUS: round(cpu, 3), ClientCPUPct: round(100*cpu/seconds, 1),
		Kinds: map[string]kindResult{}}
	latencies := map[string][]float64{}
	var small []float64
	smallCount := 0
	for _, s := range all {
		res.Requests++
		k := res.Kinds[s.kind]
		k.Count++
		if s.err != nil {
			res.Errors++
			k.Errors++
			if res.FirstError == nil {
				message := s.err.Error()
				res.FirstError = &message
			}
		} else {
			latencies[s.kind] = append(latencies[s.kind], s.ms)
			res.Bytes += s.n
			if s.kind != "blob-pull" && s.kind != "blob-push" {
				small = append(small, s.ms)
			}
		}
		if s.kind != "blob-pull" && s.kind != "blob-push" {
			smallCount++
		}
		res.Kinds[s.kind] = k
	}
	for _, kind := range fleetKinds {
		k := res.Kinds[kind]
		l := latencies[kind]
		sort.Float64s(l)
		k.P50Ms, k.P99Ms = round(percentile(l, 0.5), 3), round(percentile(l, 0.99), 3)
		res.Kinds[kind] = k
	}
	sort.Float64s(small)
	res.ReqPerS = round(float64(smallCount)/seconds, 2)
	res.MBPerS = round(float64(res.Bytes)/seconds/1e6, 2)
	res.P50Ms, res.P90Ms, res.P99Ms = round(percentile(small, 0.5), 3), round(percentile(small, 0.9), 3), round(percentile(small, 0.99), 3)
	res.AfterS = round(time.Since(timedEnd).Seconds(), 3)
	return res
}

// failed is a result that says the set-up failed: no requests, one error.
func failed(scenario string, err error) result {
	message := err.Error()
	return result{Scenario: scenario, Errors: 1, FirstError: &message}
}
