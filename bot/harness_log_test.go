package bot_test

import (
	"strings"
	"sync"
)

// logTail keeps the last lines the bot and the fake Slack logged, so that
// a failing test can print them. CI runs without -v: a failure seen once
// in hundreds of runs must explain itself from what it printed.
type logTail struct {
	mu    sync.Mutex
	lines []string // a ring of len cap
	next  int
	n     int
}

func newLogTail(capacity int) *logTail { return &logTail{lines: make([]string, capacity)} }

// Write keeps p, one record of slog's text handler, as one line.
func (l *logTail) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	l.mu.Lock()
	l.lines[l.next] = line
	l.next = (l.next + 1) % len(l.lines)
	l.n = min(l.n+1, len(l.lines))
	l.mu.Unlock()
	return len(p), nil
}

// String returns the lines kept, oldest first.
func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for i := range l.n {
		b.WriteString(l.lines[(l.next-l.n+i+len(l.lines))%len(l.lines)])
		b.WriteByte('\n')
	}
	return b.String()
}

// Len is how many lines are kept.
func (l *logTail) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}
