package cli

import (
	"fmt"
	"io"
)

// Log levels, as `maestro -d N` numbers them.
const (
	LevelDebug = iota + 1
	LevelInfo
	LevelWarning
	LevelError
	LevelCritical
)

// Logger writes leveled messages to stderr.
type Logger struct {
	w     io.Writer
	level int
}

func (l *Logger) logf(level int, prefix, format string, args ...any) {
	if level >= l.level {
		fmt.Fprintf(l.w, "maestro: "+prefix+format+"\n", args...)
	}
}

// Debugf logs at debug level.
func (l *Logger) Debugf(format string, args ...any) { l.logf(LevelDebug, "debug: ", format, args...) }

// Warnf logs at warning level.
func (l *Logger) Warnf(format string, args ...any) {
	l.logf(LevelWarning, "warning: ", format, args...)
}
