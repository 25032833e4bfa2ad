package cli

import "errors"

func (a *App) status(args []string) error       { return errors.New("status: not built yet") }
func (a *App) cancel(args []string) error       { return errors.New("cancel: not built yet") }
func (a *App) update(args []string) error       { return errors.New("update: not built yet") }
func (a *App) launch(dir string, fg bool) error { return errors.New("launch: not built yet") }
func runningConductor(dir string) int           { return 0 }
