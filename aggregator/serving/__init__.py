"""How the app is served: gunicorn's config, the shedding worker and its backlog, the refusal, the fast path."""
