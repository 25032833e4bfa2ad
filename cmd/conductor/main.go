// Command conductor drives one Maestro study to its end; `maestro run`
// starts it detached.
package main

import (
	"os"

	"github.com/maestro-go/maestro/cli"
)

func main() { os.Exit(cli.ConductorMain(os.Args[1:], os.Stdout, os.Stderr)) }
