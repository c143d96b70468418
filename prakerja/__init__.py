"""Prakerja Flow tooling: the `prakerja` CLI, the local runtime on moto, the simulator
and the operator tools. Nothing here ships to Lambda."""
