"""gunicorn settings, read from the working directory by ``gunicorn wsgi:app``.

Command-line options (``--workers``, ``--bind``, ...) still apply; this file only adds hooks.
"""


def post_worker_init(worker):
    """Each worker builds its search indexes before it accepts a request (the others serve meanwhile)."""
    from market.web.warm import warm_search_indexes

    warm_search_indexes(worker.wsgi)
