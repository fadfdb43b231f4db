package infra

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"testing"
)

// nodeRunner runs CloudFront Functions' code (cloudfront-js-2.0) under
// Node, one long-lived process for the test binary: a line of JSON
// {code, event} in, a line {result} or {error} out.
type nodeRunner struct {
	mu  sync.Mutex
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

const nodeScript = `
const rl = require('readline').createInterface({ input: process.stdin });
const cache = new Map();
rl.on('line', (line) => {
  let out;
  try {
    const { code, event } = JSON.parse(line);
    let h = cache.get(code);
    if (!h) { h = new Function(code + '\nreturn handler;')(); cache.set(code, h); }
    out = { result: h(event) };
  } catch (e) { out = { error: String((e && e.stack) || e) }; }
  process.stdout.write(JSON.stringify(out) + '\n');
});
`

var (
	nodeOnce sync.Once
	node     *nodeRunner
	nodeErr  error
)

func sharedNode(t testing.TB) *nodeRunner {
	t.Helper()
	nodeOnce.Do(func() {
		bin, err := exec.LookPath("node")
		if err != nil {
			nodeErr = errors.New("node not found on PATH (apt-get install -y nodejs)")
			return
		}
		n := &nodeRunner{cmd: exec.Command(bin, "-e", nodeScript)}
		if n.in, err = n.cmd.StdinPipe(); err != nil {
			nodeErr = err
			return
		}
		stdout, err := n.cmd.StdoutPipe()
		if err != nil {
			nodeErr = err
			return
		}
		n.out = bufio.NewReaderSize(stdout, 1<<20)
		if nodeErr = n.cmd.Start(); nodeErr == nil {
			node = n
		}
	})
	if nodeErr != nil {
		t.Fatal(nodeErr)
	}
	return node
}

func stopNode() {
	if node != nil {
		node.in.Close()
		node.cmd.Process.Kill()
		node.cmd.Wait()
	}
}

// run calls the function's handler with event and decodes its result.
func (n *nodeRunner) run(code string, event, result any) error {
	line, err := json.Marshal(map[string]any{"code": code, "event": event})
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := n.in.Write(append(line, '\n')); err != nil {
		return err
	}
	resp, err := n.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	var out struct {
		Result json.RawMessage
		Error  string
	}
	if err := json.Unmarshal(resp, &out); err != nil {
		return err
	}
	if out.Error != "" {
		return fmt.Errorf("function threw: %s", out.Error)
	}
	return json.Unmarshal(out.Result, result)
}

// cfHeaders is CloudFront Functions' header shape.
type cfHeaders map[string]struct {
	Value string `json:"value"`
}

// cfRequest is the request part of a viewer-request event and result.
type cfRequest struct {
	Method      string         `json:"method"`
	URI         string         `json:"uri"`
	Querystring map[string]any `json:"querystring"`
	Headers     cfHeaders      `json:"headers"`
	Cookies     map[string]any `json:"cookies"`
	StatusCode  int            `json:"statusCode,omitempty"` // set when the function answers itself
	Extra       map[string]any `json:"-"`
}

func viewerRequest(ip string, req cfRequest) map[string]any {
	if req.Querystring == nil {
		req.Querystring = map[string]any{}
	}
	if req.Cookies == nil {
		req.Cookies = map[string]any{}
	}
	if req.Headers == nil {
		req.Headers = cfHeaders{}
	}
	return map[string]any{"version": "1.0", "context": map[string]any{"eventType": "viewer-request"},
		"viewer": map[string]any{"ip": ip}, "request": req}
}
