"""maestro's stand-in for the maestrowf package, so pgen files run unchanged
on machines without the Python Maestro Workflow Conductor."""
