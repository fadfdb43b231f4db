package lambdamain_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/caplab/caplab/lambda/cmd/lambdamain"
	"github.com/caplab/caplab/lambda/lambdatest"
)

// BenchmarkInit measures each function's cold init: process start to its
// first GET /runtime/invocation/next on a fake runtime API (the Lambda
// "init" phase: environment, AWS config, the SSM GetParameter call (base
// URL) and the Secrets Manager reads (keys) to fakes on 127.0.0.1, store
// and handler construction). b.N cold starts
// per function; the median is reported as init-ms.
//
//	go test -run '^$' -bench Init -benchtime 5x ./lambda/cmd/lambdamain/
//
// The binary is the host-arch build of the same source as the arm64
// bootstrap (this machine cannot run arm64).
func BenchmarkInit(b *testing.B) {
	lambdatest.SetLocalAWSEnv(b)
	sm, ps := fakeAWS(b, "https://caplab.example.test")
	var env []string
	for k, v := range functionEnv("caplab-bench", "http://127.0.0.1:9", sm, ps) {
		env = append(env, k+"="+v)
	}
	var names []string
	for _, fn := range lambdamain.Functions() {
		names = append(names, fn.Name)
	}
	bins := lambdatest.BuildFunctions(b, runtime.GOARCH, names...)
	for _, fn := range lambdamain.Functions() {
		bin := bins[fn.Name]
		b.Run(fn.Name, func(b *testing.B) {
			var inits []time.Duration
			for range b.N {
				rt := lambdatest.StartFakeRuntime(b)
				cmd := exec.Command(bin)
				cmd.Env = append(append(lambdatest.LocalAWSEnv(), "PATH=/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API="+rt.Addr,
					"AWS_LAMBDA_FUNCTION_NAME=caplab-bench", "LAMBDA_TASK_ROOT="+filepath.Dir(bin)), env...)
				start := time.Now()
				if err := cmd.Start(); err != nil {
					b.Fatal(err)
				}
				exited := make(chan error, 1)
				go func() { exited <- cmd.Wait() }()
				ready, err := rt.WaitReady(30*time.Second, exited)
				cmd.Process.Kill()
				if err != nil {
					b.Fatalf("%s: %v", fn.Name, err)
				}
				select {
				case <-exited:
				case <-time.After(5 * time.Second):
				}
				inits = append(inits, ready.Sub(start))
			}
			slices.Sort(inits)
			b.ReportMetric(float64(inits[len(inits)/2].Microseconds())/1e3, "init-ms")
			b.ReportMetric(float64(inits[len(inits)-1].Microseconds())/1e3, "worst-ms")
		})
	}
}
