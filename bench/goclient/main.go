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
// prints one JSON object in pier-bench's result format on stdout. The other scenarios
// (load.go) are what the TLS rows need from a Go client: manifest HEAD/GET for a duration,
// monolithic pushes, and GETs of any path (nginx's file); over TLS, `--http2` speaks
// HTTP/2 as Go clients do by default, and without it HTTP/1.1 only.
package main

import (
	"bufio"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
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
	"strconv"
	"strings"
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
	// curl's options for the same transport: the CA to trust, the HTTP version.
	curlArgs []string
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

// pull reads one blob as containerd's content store does and checks its size and digest.
func (c *client) pull(b blob, dir string) (int64, error) {
	n, digest, err := c.getIntoFile("/v2/"+c.repo+"/blobs/"+b.digest, dir)
	if err != nil {
		return n, err
	}
	if n != b.size {
		return n, fmt.Errorf("GET blob: %d bytes, expected %d", n, b.size)
	}
	if digest != b.digest {
		return n, fmt.Errorf("GET blob: digest %s, expected %s", digest, b.digest)
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
	return runEach(len(blobs), concurrency, func(i int) (int64, error) { return c.pull(blobs[i], dir) })
}

// fetchWithCurl gives each of `concurrency` curl processes its share of the targets, one
// connection each; curl reports each transfer's time, size and status. want is each
// answer's size, or -1 when any size will do.
func fetchWithCurl(c *client, targets []string, want int64, concurrency int, dir string) outcome {
	var all outcome
	type proc struct {
		cmd *exec.Cmd
		out *os.File
	}
	var procs []proc
	for w := 0; w < concurrency && w < len(targets); w++ {
		config := filepath.Join(dir, fmt.Sprintf("curl-%d.cfg", w))
		var lines []string
		for i := w; i < len(targets); i += concurrency {
			lines = append(lines, "url = \""+targets[i]+"\"", "output = \"/dev/null\"")
		}
		if err := os.WriteFile(config, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			all.fail(err)
			return all
		}
		args := append([]string{"-s", "-K", config, "-w", "%{http_code} %{size_download} %{time_total}\\n"}, c.curlArgs...)
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
			if fields[0] != "200" || (want >= 0 && size != want) {
				all.fail(fmt.Errorf("curl GET: HTTP %s, %d bytes", fields[0], size))
				continue
			}
			all.latencies = append(all.latencies, seconds*1000)
		}
		p.out.Close()
	}
	if n := len(all.latencies) + all.errors; n < len(targets) {
		all.fail(fmt.Errorf("curl reported %d of %d transfers", n, len(targets)))
		all.errors = len(targets) - len(all.latencies)
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

var scenarios = map[string]bool{"pull": true, "fleet": true, "manifest-head": true, "manifest-get": true, "push": true, "get-url": true}

func main() {
	base := flag.String("url", "", "the registry, e.g. http://127.0.0.1:5000")
	scenario := flag.String("scenario", "pull", "pull (each blob once), fleet (small requests among large pushes and pulls), "+
		"manifest-head or manifest-get (for --duration), push (each blob once, monolithic), get-url (--path, --count times)")
	mode := flag.String("client", "go", "pull and get-url: go (net/http into SHA-256 and a file) or curl (curl -o /dev/null)")
	size := flag.Int64("size", 1<<20, "bytes per blob")
	count := flag.Int("count", 16, "blobs pulled or pushed, each once (fleet: large blobs, half pulled and half pushed; get-url: GETs)")
	duration := flag.Float64("duration", 10, "fleet, manifest-head, manifest-get: seconds of load")
	concurrency := flag.Int("concurrency", 8, "requests at once")
	repo := flag.String("repo", "bench/pull-go", "repository")
	path := flag.String("path", "", "get-url: the path to GET")
	user := flag.String("user", "", "Basic auth user")
	pass := flag.String("password", "", "Basic auth password")
	cacert := flag.String("cacert", "", "https: the CA certificate (PEM) to trust")
	http2 := flag.Bool("http2", false, "https: HTTP/2 (one connection, streams multiplexed) instead of HTTP/1.1")
	tmp := flag.String("tmpdir", os.TempDir(), "where pulled blobs are written (go) and curl's lists")
	flag.Parse()
	if *base == "" || !scenarios[*scenario] || (*mode != "go" && *mode != "curl") || *count < 1 || *concurrency < 1 ||
		(*scenario == "get-url" && *path == "") {
		fmt.Fprintln(os.Stderr, "usage: pier-bench-go --url URL --scenario pull|fleet|manifest-head|manifest-get|push|get-url "+
			"[--client go|curl] [--size N] [--count N] [--concurrency N] [--duration S] [--path P] [--cacert PEM] [--http2]")
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
	transport, curlArgs, err := newTransport(*concurrency, *cacert, *http2)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	c := &client{base: strings.TrimRight(*base, "/"), repo: *repo, user: *user, pass: *pass,
		http: &http.Client{Transport: transport}, curlArgs: curlArgs}
	seed := time.Now().UnixNano()
	loadTime := time.Duration(*duration * float64(time.Second))

	var r result
	switch *scenario {
	case "fleet":
		r = runFleet(c, *size, *count, *concurrency, loadTime, seed)
	case "manifest-head", "manifest-get":
		r = runManifests(c, *scenario, *concurrency, loadTime)
	case "push":
		r = runPushes(c, *size, *count, *concurrency, seed)
	case "get-url":
		r = runGets(c, *path, *mode, *count, *concurrency, dir)
	default:
		r = runPulls(c, *mode, *size, *count, *concurrency, seed, dir)
	}
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// newTransport is Go's default transport, one idle connection per concurrent request;
// over TLS it trusts cacert and speaks HTTP/2 only when asked (a non-nil, empty
// TLSNextProto is net/http's documented way to keep a transport on HTTP/1.1). It also
// says what curl needs for the same.
func newTransport(concurrency int, cacert string, http2 bool) (*http.Transport, []string, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = concurrency
	var curlArgs []string
	if cacert != "" {
		pem, err := os.ReadFile(cacert)
		if err != nil {
			return nil, nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("%s: no PEM certificate", cacert)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool}
		curlArgs = append(curlArgs, "--cacert", cacert)
	}
	if http2 {
		transport.ForceAttemptHTTP2 = true
		curlArgs = append(curlArgs, "--http2")
	} else {
		transport.ForceAttemptHTTP2 = false
		transport.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		curlArgs = append(curlArgs, "--http1.1")
	}
	return transport, curlArgs, nil
}

// runPulls uploads count blobs (untimed), then pulls each once with a fresh client's
// connections.
func runPulls(c *client, mode string, size int64, count, concurrency int, seed int64, dir string) result {
	blobs := make([]blob, count)
	for i := range blobs {
		blobs[i] = newBlob(seed+int64(i), size)
		if err := c.push(blobs[i]); err != nil {
			return failed("pull", fmt.Errorf("upload: %w", err))
		}
	}
	c.http.Transport.(*http.Transport).CloseIdleConnections() // the pulls open their own, as a fresh client would
	return timed("pull", count, func() outcome {
		if mode == "go" {
			return pullWithGo(c, blobs, concurrency, dir)
		}
		targets := make([]string, len(blobs))
		for i, b := range blobs {
			targets[i] = c.base + "/v2/" + c.repo + "/blobs/" + b.digest
		}
		return fetchWithCurl(c, targets, size, concurrency, dir)
	})
}
