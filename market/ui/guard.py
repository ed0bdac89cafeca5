"""Route guards: every view declares who may call it, through the one policy.

``@guard("payment.confirm", PaymentOrder, "order_id")`` loads the order named in the URL (404
when it does not exist), asks :func:`market.core.policy.can` and refuses before any form is
read: anonymous visitors are sent to log in, others get 403 (or 404 with ``conceal=True``, where
even an object's existence is private, such as a sealed bid). The view receives the object
instead of the id (``order``). ``@public`` marks a view anyone may open.

The declaration stays on the view (``view.policy``), so a test can list every route with its
rule and try it as other roles and as officials of other streets.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import abort, request
from flask_login import current_user

from market.core import policy
from market.core.db import db
from market.core.errors import DomainError, PermissionDenied
from market.extensions import login_manager

# Pages outside /api/ that machines read: answered in JSON whatever went wrong.
JSON_PATHS = ("/payments/stripe/webhook",)


def wants_json() -> bool:
    """The API, JSON documents, machines posting JSON and the webhook are answered in JSON, never HTML."""
    path = request.path
    return path.startswith("/api/") or path.endswith(".json") or path in JSON_PATHS or request.is_json


def domain_error_response(error: DomainError, *, as_json: bool | None = None) -> Any:
    """The answer to a refused business rule: JSON for machines, otherwise the error page with the
    message and, when there is one, what the user can do about it. What the request had written
    is rolled back first."""
    from flask import jsonify, render_template

    db.session.rollback()
    if wants_json() if as_json is None else as_json:
        return jsonify(error.to_dict()), error.status_code
    return render_template("errors/error.html", status=error.status_code, message=str(error.message),
                           advice=str(error.advice or "")), error.status_code


@dataclass(frozen=True)
class RoutePolicy:
    """What a route declares: its action, and the model and URL argument of its object."""

    action: str | None  # None: public
    model: type | None = None
    arg: str | None = None
    conceal: bool = False
    loader: Callable[[Any], Any] | None = None
    scope: Callable[[Any], Any] | None = None

    @property
    def rule(self) -> policy.Rule | None:
        return policy.rule(self.action) if self.action else None


PUBLIC = RoutePolicy(None)


def public(view: Callable) -> Callable:
    """Anyone may open this view (it shows only what is public, or the visitor's own things)."""
    view.policy = PUBLIC  # type: ignore[attr-defined]
    return view


def _object_name(arg: str) -> str:
    return arg[:-3] if arg.endswith("_id") else arg


def guard(action: str, model: type | None = None, arg: str | None = None, *, conceal: bool = False,
          loader: Callable[[Any], Any] | None = None,
          scope: Callable[[Any], policy.Scope] | None = None) -> Callable[[Callable], Callable]:
    """Require ``action`` on the ``model`` row named by the URL argument ``arg`` (or on nothing).

    ``loader(value)`` finds the object when the URL names it otherwise than by primary key
    (None: not found); ``scope(obj)`` says where it stands when that differs from its own
    ``policy_scope()`` (a micro-project's provider is its contract's).
    """
    policy.rule(action)  # an unknown action fails at import, not at the first request
    if model is not None and arg is None:
        raise ValueError("guard: name the URL argument that identifies the object")
    declared = RoutePolicy(action, model, arg, conceal, loader, scope)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            obj = None
            if model is not None:
                value = kwargs.pop(arg)
                obj = loader(value) if loader is not None else db.session.get(model, value)
                if obj is None:
                    return _refuse(conceal=True)
                kwargs[_object_name(arg)] = obj
            target = scope(obj) if scope is not None and obj is not None else obj
            if not policy.can(current_user, action, target):
                return _refuse(conceal=conceal, action=action, target=target)
            return view(*args, **kwargs)

        wrapped.policy = declared  # type: ignore[attr-defined]
        return wrapped

    return decorator


def _refuse(*, conceal: bool, action: str | None = None, target: Any = None) -> Any:
    """Visitors who are not logged in are sent to log in (the same for a missing object and a private
    one, so nothing is revealed; JSON answers 404); the logged in get 403 saying why and what they can
    do, or 404 where even an object's existence is private."""
    if not current_user.is_authenticated and not wants_json():
        return login_manager.unauthorized()
    if conceal or not current_user.is_authenticated or action is None:
        abort(404)
    raise PermissionDenied(policy.rule(action).message, code="forbidden",
                           advice=policy.advice(current_user, action, target))


def route_policy(view: Callable) -> RoutePolicy | None:
    """What ``view`` declared, or None when it declared nothing."""
    return getattr(view, "policy", None)
