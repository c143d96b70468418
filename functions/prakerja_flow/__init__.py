"""Prakerja Flow: the code that ships to AWS Lambda (domain core, data access, handlers)."""
