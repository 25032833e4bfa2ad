package cli

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressFrom is the least number of steps for which writing a study
// shows a progress bar: smaller ones are written in a blink.
const progressFrom = 1000

// writeProgress returns the study.Options.Progress that draws a bar on w
// while a large study is written, or nil when w is not a terminal.
func writeProgress(w io.Writer) func(done, total int) {
	if !isTerminal(w) {
		return nil
	}
	var bar *progressbar.ProgressBar
	return func(done, total int) {
		if total < progressFrom {
			return
		}
		if bar == nil {
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("writing the study"),
				progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		}
		bar.Set(done)
	}
}
