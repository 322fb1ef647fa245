"""Load and fault runs against the Procfile's real server on 127.0.0.1 (`python -m ivr.bench`)."""
