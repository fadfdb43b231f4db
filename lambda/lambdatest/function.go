package lambdatest

import (
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Function is a built function binary running against its own fake
// Lambda runtime API, as the Lambda service runs a provided.al2023
// bootstrap: the same environment variables, one invocation at a time.
type Function struct {
	RT       *FakeRuntime
	InitTime time.Duration // process start to the first /next poll

	cmd      *exec.Cmd
	done     chan struct{}
	output   *LogBuffer
	stopOnce sync.Once
}

// StartFunction runs bin with AWS_LAMBDA_RUNTIME_API pointing at a new
// fake runtime, LocalAWSEnv and env, and waits for its first /next poll
// (the end of its init). It stops when the test ends, printing the
// function's output if the test failed.
func StartFunction(t testing.TB, bin string, env map[string]string) *Function {
	t.Helper()
	rt := StartFakeRuntime(t)
	cmd := exec.Command(bin)
	cmd.Env = append(LocalAWSEnv(), "PATH=/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API="+rt.Addr,
		"AWS_LAMBDA_FUNCTION_NAME=caplab-test", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256", "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"_HANDLER=bootstrap", "LAMBDA_TASK_ROOT="+filepath.Dir(bin))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	f := &Function{RT: rt, cmd: cmd, done: make(chan struct{}), output: &LogBuffer{}}
	cmd.Stdout, cmd.Stderr = f.output, f.output
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); close(f.done) }()
	t.Cleanup(func() {
		f.Stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(filepath.Dir(bin)), f.output.String())
		}
	})
	ready, err := rt.WaitReady(30*time.Second, exited)
	if err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, f.output.String())
	}
	f.InitTime = ready.Sub(start)
	return f
}

// Invoke runs one invocation.
func (f *Function) Invoke(event []byte, timeout time.Duration) (Result, error) {
	return f.RT.Invoke(event, timeout)
}

// Output is what the function wrote to stdout and stderr so far (its
// CloudWatch log).
func (f *Function) Output() string { return f.output.String() }

// Stop kills the process (an execution environment being retired).
func (f *Function) Stop() {
	f.stopOnce.Do(func() {
		f.cmd.Process.Kill()
		<-f.done
	})
}

var _ Invoker = (*Function)(nil)
