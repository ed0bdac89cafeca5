"""A tiny stand-in for api.stripe.com on 127.0.0.1, for the real ``stripe`` SDK to talk to.

It records every request (path, headers, form fields as the SDK encodes them),
answers with realistic JSON, replays the stored answer for a repeated
Idempotency-Key (as Stripe does) and can be told to fail the next call.
"""
from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class StripeStub:
    requests: list[Recorded] = field(default_factory=list)
    failures: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    idempotent: dict[str, tuple[int, str]] = field(default_factory=dict)
    created: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    url: str = ""
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, path: str, status: int = 500, *, code: str = "api_error",
                  message: str = "An unknown error occurred") -> None:
        kind = "api_error" if status >= 500 else "invalid_request_error"
        self.failures.append((path, status, {"error": {"type": kind, "code": code, "message": message}}))

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    # -- the WSGI app --------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            response = self._answer(request)
        return response(environ, start_response)

    def _answer(self, request: Request) -> Response:
        form = request.form.to_dict(flat=True)
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append(Recorded(request.method, request.path, headers, form))
        key = headers.get("idempotency-key", "")
        if key and key in self.idempotent:
            status, body = self.idempotent[key]
            return Response(body, status=status, content_type="application/json",
                            headers={"Idempotent-Replayed": "true"})
        for i, (path, status, error) in enumerate(self.failures):
            if path == request.path:
                del self.failures[i]
                # Stripe does not store the result of a request that failed before it ran.
                return Response(json.dumps(error), status=status, content_type="application/json",
                                headers={"Stripe-Should-Retry": "false"})
        if request.method == "POST" and request.path == "/v1/checkout/sessions":
            body = self._checkout_session(form)
        elif request.method == "POST" and request.path == "/v1/transfers":
            body = self._transfer(form)
        elif request.method == "POST" and request.path == "/v1/refunds":
            body = self._refund(form)
        else:
            error = {"error": {"type": "invalid_request_error", "message": f"Unrecognized request URL ({request.path})"}}
            return Response(json.dumps(error), status=404, content_type="application/json")
        self.created.setdefault(request.path, []).append(body)
        text = json.dumps(body)
        if key:
            self.idempotent[key] = (200, text)
        return Response(text, status=200, content_type="application/json", headers={"Request-Id": f"req_{next(self._ids)}"})

    def _checkout_session(self, form: dict[str, str]) -> dict[str, Any]:
        n = next(self._ids)
        metadata = {k[len("metadata["):-1]: v for k, v in form.items() if k.startswith("metadata[")}
        return {
            "id": f"cs_test_{n:06d}", "object": "checkout.session", "mode": form.get("mode"),
            "url": f"https://checkout.stripe.com/c/pay/cs_test_{n:06d}",
            "amount_total": int(form["line_items[0][price_data][unit_amount]"]),
            "currency": form["line_items[0][price_data][currency]"],
            "client_reference_id": form.get("client_reference_id"), "metadata": metadata,
            "payment_status": "unpaid", "status": "open", "livemode": False,
            "expires_at": int(form.get("expires_at") or time.time() + 3600), "created": int(time.time()),
        }

    def _transfer(self, form: dict[str, str]) -> dict[str, Any]:
        n = next(self._ids)
        metadata = {k[len("metadata["):-1]: v for k, v in form.items() if k.startswith("metadata[")}
        return {"id": f"tr_test_{n:06d}", "object": "transfer", "amount": int(form["amount"]),
                "currency": form["currency"], "destination": form["destination"], "metadata": metadata,
                "transfer_group": form.get("transfer_group"), "livemode": False, "reversed": False,
                "created": int(time.time())}


    def _refund(self, form: dict[str, str]) -> dict[str, Any]:
        n = next(self._ids)
        return {"id": f"re_test_{n:06d}", "object": "refund", "amount": int(form["amount"]),
                "payment_intent": form["payment_intent"], "status": "succeeded", "created": int(time.time())}


class StubServer:
    """Serve a :class:`StripeStub` from a thread on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        self.stub = StripeStub()
        self.server = make_server("127.0.0.1", 0, self.stub, threaded=True)
        self.stub.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> StripeStub:
        self.thread.start()
        return self.stub

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
