"""Authentication and authorisation of API callers: request signing (pure), the route
table with the principal kinds each route admits (pure), and the data access for
client secrets and replay nonces (store.py)."""
