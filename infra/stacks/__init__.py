"""One module per stack. Dependencies only point down this list:

data <- workflow <- api, schedules <- observability
"""
