"""Open-data exports: OCDS 1.1 releases of tendered projects and 360Giving 1.4 grants from pools.

Both are rebuilt from the live records on each request (nothing is stored), published under
``/api/v1`` as JSON packages and as flattened CSV files (UTF-8 with BOM, for Excel).
"""
