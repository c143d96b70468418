"""Lambda entry points. Thin: parse, call a service, shape the answer."""
