// pier-bench-go pulls blobs the way the clients people use read them, so a pull row holds
// for them and not only for pier-bench's own reader:
//
//   - "go": Go's net/http, as docker, containerd, skopeo, podman and buildah pull: the
//     default transport (keep-alive, one connection per concurrent pull), the body copied
//     with io.Copy into SHA-256 and a file, the digest checked when the copy ends.
//   - "curl": curl processes, each fetching its share of the blobs over one kept-alive
//     connection into /dev/null (`curl -o /dev/null`), timed by curl itself.
//
// It uploads its blobs first (untimed), then pulls each once at the given concurrency and
// prints one JSON object in pier-bench's result format on stdout.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type result struct {
	Scenario     string  `json:"scenario"`
	Requests     int     `json:"requests"`
	Errors       int     `json:"errors"`
	Seconds      float64 `json:"seconds"`
	ReqPerS      float64 `json:"req_per_s"`
	MBPerS       float64 `json:"mb_per_s"`
	Bytes        int64   `json:"bytes"`
	P50Ms        float64 `json:"p50_ms"`
	P90Ms        float64 `json:"p90_ms"`
	P99Ms        float64 `json:"p99_ms"`
	ClientCPUS   float64 `json:"client_cpu_s"`
	ClientCPUPct float64 `json:"client_cpu_pct"`
	FirstError   *string `json:"first_error"`
	AfterS       float64 `json:"after_s"`
	// fleet only: each kind of request's count and latencies.
	Kinds map[string]kindResult `json:"kinds,omitempty"`
}

type kindResult struct {
	Count  int     `json:"count"`
	Errors int     `json:"errors"`
	P50Ms  float64 `json:"p50_ms"`
	P99Ms  float64 `json:"p99_ms"`
}

// blob is one upload's content: a seeded 1 MiB block repeated, so a 1 GiB blob needs no
// 1 GiB of memory and every blob of a run differs from every other.
type blob struct {
	block  []byte
	size   int64
	digest string
}

func newBlob(seed int64, size int64) blob {
	block := make([]byte, 1<<20)
	rand.New(rand.NewSource(seed)).Read(block)
	b := blob{block: block, size: size}
	h := sha256.New()
	io.Copy(h, b.reader())
	b.digest = "sha256:" + hex.EncodeToString(h.Sum(nil))
	return b
}

type repeatReader struct {
	block     []byte
	remaining int64
	offset    int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.remaining == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.block[r.offset:])
	if int64(n) > r.remaining {
		n = int(r.remaining)
	}
	r.offset = (r.offset + n) % len(r.block)
	r.remaining -= int64(n)
	return n, nil
}

func (b blob) reader() io.Reader { return &repeatReader{block: b.block, remaining: b.size} }

type client struct {
	base string
	repo string
	user string
	pass string
	http *http.Client
}

func (c *client) request(method, target string, body io.Reader) (*http.Request, error) {
	if !strings.HasPrefix(target, "http") {
		target = c.base + target
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		return nil, err
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	return req, nil
}

// exchange sends req, reads its answer whole and checks its status; the response keeps
// its headers (a Location to follow).
func (c *client) exchange(req *http.Request, want int) (*http.Response, int64, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, err
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return resp, n, fmt.Errorf("%s %s: HTTP %d", req.Method, req.URL.Path, resp.StatusCode)
	}
	return resp, n, nil
}

// push uploads b monolithically: POST a session, PUT its bytes with the digest.
func (c *client) push(b blob) error {
	req, err := c.request("POST", "/v2/"+c.repo+"/blobs/uploads/", nil)
	if err != nil {
		return err
	}
	resp, _, err := c.exchange(req, http.StatusAccepted)
	if err != nil {
		return err
	}
	location, err := resp.Location()
	if err != nil {
		return err
	}
	query := location.Query()
	query.Set("digest", b.digest)
	location.RawQuery = query.Encode()
	req, err = c.request("PUT", location.String(), b.reader())
	if err != nil {
		return err
	}
	req.ContentLength = b.size
	req.Header.Set("Content-Type", "application/octet-stream")
	_, _, err = c.exchange(req, http.StatusCreated)
	return err
}

// pull reads one blob as containerd's content store does: through a digester into a file.
func (c *client) pull(b blob, dir string) (int64, error) {
	req, err := c.request("GET", "/v2/"+c.repo+"/blobs/"+b.digest, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return 0, fmt.Errorf("GET blob: HTTP %d", resp.StatusCode)
	}
	file, err := os.CreateTemp(dir, "pull-")
	if err != nil {
		return 0, err
	}
	defer os.Remove(file.Name())
	defer file.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(file, h), resp.Body)
	if err != nil {
		return n, err
	}
	if n != b.size {
		return n, fmt.Errorf("GET blob: %d bytes, expected %d", n, b.size)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != b.digest {
		return n, fmt.Errorf("GET blob: digest %s, expected %s", got, b.digest)
	}
	return n, nil
}

type outcome struct {
	latencies []float64
	errors    int
	bytes     int64
	first     error
}

func (o *outcome) fail(err error) {
	o.errors++
	if o.first == nil {
		o.first = err
	}
}

func pullWithGo(c *client, blobs []blob, concurrency int, dir string) outcome {
	var mu sync.Mutex
	var all outcome
	next := make(chan int, len(blobs))
	for i := range blobs {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine outcome
			for i := range next {
				start := time.Now()
				n, err := c.pull(blobs[i], dir)
				mine.bytes += n
				if err != nil {
					mine.fail(err)
					continue
				}
				mine.latencies = append(mine.latencies, float64(time.Since(start).Microseconds())/1000)
			}
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

// pullWithCurl gives each of `concurrency` curl processes its share of the blobs, one
// connection each; curl reports each transfer's time, size and status.
func pullWithCurl(c *client, blobs []blob, concurrency int, dir string) outcome {
	var all outcome
	type proc struct {
		cmd *exec.Cmd
		out *os.File
	}
	var procs []proc
	for w := 0; w < concurrency && w < len(blobs); w++ {
		config := filepath.Join(dir, fmt.Sprintf("curl-%d.cfg", w))
		var lines []string
		for i := w; i < len(blobs); i += concurrency {
			target := c.base + "/v2/" + c.repo + "/blobs/" + blobs[i].digest
			lines = append(lines, "url = \""+target+"\"", "output = \"/dev/null\"")
		}
		if err := os.WriteFile(config, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			all.fail(err)
			return all
		}
		args := []string{"-s", "-K", config, "-w", "%{http_code} %{size_download} %{time_total}\\n"}
		if c.user != "" {
			args = append(args, "-u", c.user+":"+c.pass)
		}
		out, err := os.CreateTemp(dir, "curl-out-")
		if err != nil {
			all.fail(err)
			return all
		}
		cmd := exec.Command("curl", args...)
		cmd.Stdout = out
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			all.fail(err)
			return all
		}
		procs = append(procs, proc{cmd, out})
	}
	for _, p := range procs {
		if err := p.cmd.Wait(); err != nil {
			all.fail(fmt.Errorf("curl: %w", err))
		}
		p.out.Seek(0, io.SeekStart)
		scanner := bufio.NewScanner(p.out)
		for scanner.Scan() {
			fields := strings.Fields(scanner.Text())
			if len(fields) != 3 {
				all.fail(fmt.Errorf("curl wrote %q", scanner.Text()))
				continue
			}
			size, _ := strconv.ParseInt(fields[1], 10, 64)
			seconds, _ := strconv.ParseFloat(fields[2], 64)
			all.bytes += size
			if fields[0] != "200" || size != blobs[0].size {
				all.fail(fmt.Errorf("curl GET blob: HTTP %s, %d bytes", fields[0], size))
				continue
			}
			all.latencies = append(all.latencies, seconds*1000)
		}
		p.out.Close()
	}
	if n := len(all.latencies) + all.errors; n < len(blobs) {
		all.fail(fmt.Errorf("curl reported %d of %d transfers", n, len(blobs)))
		all.errors = len(blobs) - len(all.latencies)
	}
	return all
}

func cpuSeconds() float64 {
	total := 0.0
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var usage syscall.Rusage
		if syscall.Getrusage(who, &usage) == nil {
			total += float64(usage.Utime.Sec+usage.Stime.Sec) + float64(usage.Utime.Usec+usage.Stime.Usec)/1e6
		}
	}
	return total
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return sorted[i]
}

func round(v float64, digits int) float64 {
	scale := 1.0
	for i := 0; i < digits; i++ {
		scale *= 10
	}
	return float64(int64(v*scale+0.5)) / scale
}

func main() {
	base := flag.String("url", "", "the registry, e.g. http://127.0.0.1:5000")
	scenario := flag.String("scenario", "pull", "pull (each blob once) or fleet (small requests among large pushes and pulls)")
	mode := flag.String("client", "go", "go (net/http into SHA-256 and a file) or curl (curl -o /dev/null)")
	size := flag.Int64("size", 1<<20, "bytes per blob")
	count := flag.Int("count", 16, "blobs pulled, each once (fleet: large blobs, half pulled and half pushed)")
	duration := flag.Float64("duration", 10, "fleet: seconds of load")
	concurrency := flag.Int("concurrency", 8, "pulls at once")
	repo := flag.String("repo", "bench/pull-go", "repository")
	user := flag.String("user", "", "Basic auth user")
	pass := flag.String("password", "", "Basic auth password")
	tmp := flag.String("tmpdir", os.TempDir(), "where pulled blobs are written (go) and curl's lists")
	flag.Parse()
	if *base == "" || (*scenario != "pull" && *scenario != "fleet") || (*mode != "go" && *mode != "curl") || *count < 1 || *concurrency < 1 {
		fmt.Fprintln(os.Stderr, "usage: pier-bench-go --url URL --scenario pull|fleet [--client go|curl] [--size N] [--count N] [--concurrency N] [--duration S]")
		os.Exit(2)
	}
	if _, err := url.Parse(*base); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	dir, err := os.MkdirTemp(*tmp, "pier-bench-go-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = *concurrency
	c := &client{base: strings.TrimRight(*base, "/"), repo: *repo, user: *user, pass: *pass, http: &http.Client{Transport: transport}}

	seed := time.Now().UnixNano()
	if *scenario == "fleet" {
		r := runFleet(c, *size, *count, *concurrency, time.Duration(*duration*float64(time.Second)), seed)
		if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	blobs := make([]blob, *count)
	for i := range blobs {
		blobs[i] = newBlob(seed+int64(i), *size)
		if err := c.push(blobs[i]); err != nil {
			fmt.Fprintln(os.Stderr, "upload:", err)
			os.Exit(1)
		}
	}
	transport.CloseIdleConnections() // the pulls open their own, as a fresh client would

	cpu0 := cpuSeconds()
	start := time.Now()
	var o outcome
	if *mode == "go" {
		o = pullWithGo(c, blobs, *concurrency, dir)
	} else {
		o = pullWithCurl(c, blobs, *concurrency, dir)
	}
	seconds := time.Since(start).Seconds()
	cpu := cpuSeconds() - cpu0
	timedEnd := time.Now()

	sort.Float64s(o.latencies)
	r := result{
		Scenario: "pull", Requests: len(blobs), Errors: o.errors, Seconds: round(seconds, 4),
		ReqPerS: round(float64(len(blobs))/seconds, 2), MBPerS: round(float64(o.bytes)/seconds/1e6, 2), Bytes: o.bytes,
		P50Ms: round(percentile(o.latencies, 0.5), 3), P90Ms: round(percentile(o.latencies, 0.9), 3),
		P99Ms: round(percentile(o.latencies, 0.99), 3), ClientCPUS: round(cpu, 3), ClientCPUPct: round(100*cpu/seconds, 1),
	}
	if o.first != nil {
		message := o.first.Error()
		r.FirstError = &message
	}
	r.AfterS = round(time.Since(timedEnd).Seconds(), 3)
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
