package lambdatest

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

// MotoHint says how to get moto's server.
const MotoHint = "install moto's server (pip install 'moto[server]'; python3 -m moto.server must run)"

// Moto is a running moto server (AWS service mocks) on 127.0.0.1.
type Moto struct {
	Endpoint string // http://127.0.0.1:PORT
	cmd      *exec.Cmd
	exited   chan struct{}
	logs     *LogBuffer
	stopOnce sync.Once
}

var (
	motoMu  sync.Mutex
	moto    *Moto
	motoErr error
)

// SharedMoto returns the test binary's one moto server, starting it on
// first use (tests keep apart by resource names). Call StopSharedMoto
// from TestMain. A missing moto fails the test with MotoHint; it never
// skips.
func SharedMoto(t testing.TB) *Moto {
	t.Helper()
	SetLocalAWSEnv(t)
	motoMu.Lock()
	defer motoMu.Unlock()
	if moto == nil && motoErr == nil {
		start := time.Now()
		moto, motoErr = StartMoto()
		if motoErr == nil {
			t.Logf("moto ready on %s in %s", moto.Endpoint, time.Since(start).Round(time.Millisecond))
		}
	}
	if motoErr != nil {
		t.Fatalf("moto: %v\n%s", motoErr, MotoHint)
	}
	return moto
}

// StopSharedMoto stops the shared moto server, if started.
func StopSharedMoto() {
	motoMu.Lock()
	defer motoMu.Unlock()
	if moto != nil {
		moto.Stop()
		moto = nil
	}
}

// StartMoto starts `python3 -m moto.server` on a free loopback port and
// waits until it answers.
func StartMoto() (*Moto, error) {
	py, err := exec.LookPath("python3")
	if err != nil {
		return nil, errors.New("python3 not found on PATH")
	}
	var lastErr error
	for try := 0; try < 3; try++ {
		port, err := FreePort()
		if err != nil {
			return nil, err
		}
		m := &Moto{Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port), logs: &LogBuffer{}, exited: make(chan struct{})}
		m.cmd = exec.Command(py, "-m", "moto.server", "-H", "127.0.0.1", "-p", fmt.Sprint(port))
		m.cmd.Env = append(os.Environ(), LocalAWSEnv()...) // PATH as ours: python3 may be a pyenv shim
		m.cmd.Stdout, m.cmd.Stderr = m.logs, m.logs
		m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := m.cmd.Start(); err != nil {
			return nil, fmt.Errorf("start moto: %w", err)
		}
		go func() { m.cmd.Wait(); close(m.exited) }()
		if err := m.waitReady(60 * time.Second); err != nil {
			m.Stop()
			lastErr = fmt.Errorf("%w\nmoto output:\n%s", err, m.logs.String())
			continue
		}
		return m, nil
	}
	return nil, lastErr
}

func (m *Moto) waitReady(wait time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		select {
		case <-m.exited:
			return errors.New("moto exited before it was ready")
		default:
		}
		resp, err := client.Get(m.Endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("moto did not answer on %s within %s", m.Endpoint, wait)
}

// Logs is what moto printed so far.
func (m *Moto) Logs() string { return m.logs.String() }

// Stop kills moto's process group and waits for it.
func (m *Moto) Stop() {
	m.stopOnce.Do(func() {
		if m.cmd == nil || m.cmd.Process == nil {
			return
		}
		syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-m.exited:
		case <-time.After(10 * time.Second):
		}
	})
}
