package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// The peak resident set a parent reads with wait4 (ru_maxrss) is never
// lower than the parent's own peak on Linux: the kernel folds the
// high-water mark of the memory image a process leaves at exec into the
// process (exec_mmap), and Go starts children with vfork semantics, so
// the image left is the parent's. scalebench grows past a hundred
// megabytes while it generates a store, which every figure would then
// show. So short commands are started through a copy of scalebench that
// does nothing else (spawnEnv): its own small peak is the floor, and it
// reports the command's ru_maxrss on a pipe.

// spawnEnv, set to the number of the pipe's descriptor, makes scalebench
// run its arguments as a command and write the command's ru_maxrss, in
// bytes, to that descriptor.
const spawnEnv = "SCALEBENCH_SPAWN_RUSAGE_FD"

// spawnMain is scalebench in spawnEnv mode: it runs args with this
// process's standard streams, reports the peak and exits as the command
// did.
func spawnMain(args []string) int {
	fd, err := strconv.Atoi(os.Getenv(spawnEnv))
	if err != nil || len(args) == 0 {
		fmt.Fprintf(os.Stderr, "scalebench: %s=%q and %d arguments: want a descriptor and a command\n", spawnEnv, os.Getenv(spawnEnv), len(args))
		return 2
	}
	// The command must not inherit the report's descriptor: the parent
	// reads until every copy of it is closed.
	syscall.CloseOnExec(fd)
	report := os.NewFile(uintptr(fd), "rusage")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = withoutEnv(os.Environ(), spawnEnv)
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintln(os.Stderr, "scalebench:", err)
		return 1
	}
	fmt.Fprintf(report, "%d\n", rusageMaxRSS(cmd.ProcessState))
	report.Close()
	if code := cmd.ProcessState.ExitCode(); code >= 0 {
		return code
	}
	return 1 // killed by a signal
}

// runMeasured runs bin with args in env through a copy of this program,
// so that the peak RSS it returns is the command's own (see above). The
// error is the command's, as exec.Cmd.Run returns it. Cancelling ctx kills
// the copy and the command (one process group).
func runMeasured(ctx context.Context, bin string, args, env []string, stdout, stderr io.Writer) (int64, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("find scalebench's own binary: %w", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, self, append([]string{bin}, args...)...)
	cmd.Env = append(withoutEnv(env, spawnEnv), spawnEnv+"=3") // ExtraFiles[0] is descriptor 3
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err = cmd.Start()
	// The copy holds the write end now; ours must go, or reading would
	// never see the end.
	w.Close()
	if err != nil {
		return 0, err
	}
	var report []byte
	read := make(chan struct{})
	go func() {
		defer close(read)
		report, _ = io.ReadAll(r)
	}()
	runErr := cmd.Wait()
	<-read
	n, perr := strconv.ParseInt(strings.TrimSpace(string(report)), 10, 64)
	if perr != nil && runErr == nil {
		runErr = fmt.Errorf("no peak RSS reported (%q)", report)
	}
	return n, runErr
}

// withoutEnv is env without the variable name.
func withoutEnv(env []string, name string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// rusageMaxRSS is the peak resident set of an ended process, in bytes, as
// wait4 reports it (see the top of this file for its floor).
func rusageMaxRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024 // kilobytes on Linux
	}
	return 0
}
