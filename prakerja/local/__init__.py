"""The embedded default: the whole system on moto, in one process, without Docker."""
