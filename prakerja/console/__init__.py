"""`prakerja ops console`: a web console for operators on 127.0.0.1, server-rendered
(Flask + Jinja2, served by waitress), on the same reads and actions as `prakerja ops`."""
