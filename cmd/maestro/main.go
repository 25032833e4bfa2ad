// Command maestro launches and inspects Maestro studies.
package main

import (
	"os"

	"github.com/maestro-go/maestro/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
