"""The view toolkit every domain's pages share: form fields and the form flow, listings, labels
and formats, route guards, request safety and security headers. Imports no domain."""
