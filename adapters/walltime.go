package adapters

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseWalltime reads a walltime in Slurm's forms: MM, MM:SS, HH:MM:SS,
// D-HH, D-HH:MM or D-HH:MM:SS (an integer is minutes).
func ParseWalltime(w string) (time.Duration, error) {
	orig := w
	days, hasDays := 0, false
	if d, rest, ok := strings.Cut(w, "-"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("cannot read walltime '%s'", orig)
		}
		days, w, hasDays = n, rest, true
	}
	parts := strings.Split(w, ":")
	if len(parts) > 3 {
		return 0, fmt.Errorf("cannot read walltime '%s'", orig)
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("cannot read walltime '%s'", orig)
		}
		nums[i] = n
	}
	var secs int
	switch {
	case hasDays && len(nums) == 1:
		secs = nums[0] * 3600
	case hasDays && len(nums) == 2:
		secs = nums[0]*3600 + nums[1]*60
	case len(nums) == 1:
		secs = nums[0] * 60
	case len(nums) == 2:
		secs = nums[0]*60 + nums[1]
	default:
		secs = nums[0]*3600 + nums[1]*60 + nums[2]
	}
	return time.Duration(days*86400+secs) * time.Second, nil
}
