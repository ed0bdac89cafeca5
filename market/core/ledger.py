"""The money ledger: one double-entry record of every yuan that moves.

Money lives in accounts: a funding pool's available money, a project's received funds, a pledge,
a matching campaign's reserve, a commitment of pool money to a contract, and ``outside`` (banks,
payers, providers paid: where money comes from and goes to). A :class:`Transfer` moves an amount
from one account to another as two :class:`Posting` rows that sum to zero; :func:`move` is the
only way to write them, and it refuses a movement that would take an account below zero or that
its kind does not allow (a donation cannot leave a pool, a pledge cannot pay a provider).

Balances are kept per account (:class:`Account`) and, for fast pages, in cached columns on the
domain rows (a pool's ``remaining_cents``, a project's ``funded_cents``), which domains register
with :func:`register_balance_cache`. Only the ledger writes those columns: a flush that finds one
changed any other way fails. :func:`check` recomputes every balance from the postings and
compares it with the accounts, the caches and the domains' own checks (:func:`register_check`).

Callers lock the domain row an account belongs to (the pool, the project, ...) before moving its
money, in the one order pools → projects → the rest, so two movements of one account take turns.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from market.core.audit import record
from market.core.db import AwareDateTime, Base, db, utcnow
from market.core.enums import EnumText, LabelledEnum
from market.core.errors import Conflict
from market.core.money import MAX_AMOUNT_CENTS, MAX_CENTS, money

_TOKENS = "ledger_cache_writes"  # session.info key: (id(obj), column) written by the ledger


class AccountKind(LabelledEnum):
    OUTSIDE = "outside", _l("Outside the platform")
    POOL = "pool", _l("Funding pool")
    PROJECT = "project", _l("Project funds")
    PLEDGE = "pledge", _l("Pledge")
    CAMPAIGN = "campaign", _l("Matching campaign")
    COMMITMENT = "commitment", _l("Reserved for a contract")


class Movement(LabelledEnum):
    OPENING = "opening", _l("Opening balance carried over")  # written once, when an older database is upgraded
    APPROPRIATION = "appropriation", _l("Budget appropriation")
    TOP_UP = "top_up", _l("Pool top-up")
    DONATION = "donation", _l("Donation")
    REFUND = "refund", _l("Refund")
    PLEDGE = "pledge", _l("Pledge")
    PLEDGE_RELEASE = "pledge_release", _l("Pledge paid to the project")
    PLEDGE_WITHDRAWAL = "pledge_withdrawal", _l("Pledge withdrawn")
    CAMPAIGN_RESERVE = "campaign_reserve", _l("Reserved for a matching campaign")
    CAMPAIGN_MATCH = "campaign_match", _l("Matching paid to the project")
    CAMPAIGN_RETURN = "campaign_return", _l("Campaign money returned")
    COMMITMENT = "commitment", _l("Reserved for a contract")
    COMMITMENT_RELEASE = "commitment_release", _l("Reservation released")
    PAYOUT = "payout", _l("Paid to the provider")


K = AccountKind
#: Which kinds of account each movement may take money from and put money into.
ALLOWED: dict[Movement, tuple[frozenset[AccountKind], frozenset[AccountKind]]] = {
    Movement.OPENING: (frozenset({K.OUTSIDE}), frozenset(set(K) - {K.OUTSIDE})),
    Movement.APPROPRIATION: (frozenset({K.OUTSIDE}), frozenset({K.POOL})),
    Movement.TOP_UP: (frozenset({K.OUTSIDE}), frozenset({K.POOL})),
    Movement.DONATION: (frozenset({K.OUTSIDE}), frozenset({K.PROJECT})),
    Movement.REFUND: (frozenset({K.POOL, K.PROJECT}), frozenset({K.OUTSIDE})),
    Movement.PLEDGE: (frozenset({K.POOL}), frozenset({K.PLEDGE})),
    Movement.PLEDGE_RELEASE: (frozenset({K.PLEDGE}), frozenset({K.PROJECT})),
    Movement.PLEDGE_WITHDRAWAL: (frozenset({K.PLEDGE}), frozenset({K.POOL})),
    Movement.CAMPAIGN_RESERVE: (frozenset({K.POOL}), frozenset({K.CAMPAIGN})),
    Movement.CAMPAIGN_MATCH: (frozenset({K.CAMPAIGN}), frozenset({K.PROJECT})),
    Movement.CAMPAIGN_RETURN: (frozenset({K.CAMPAIGN}), frozenset({K.POOL})),
    Movement.COMMITMENT: (frozenset({K.POOL}), frozenset({K.COMMITMENT})),
    Movement.COMMITMENT_RELEASE: (frozenset({K.COMMITMENT}), frozenset({K.POOL})),
    Movement.PAYOUT: (frozenset({K.COMMITMENT}), frozenset({K.OUTSIDE})),
}


@dataclass(frozen=True)
class AccountRef:
    """An account by kind and the id of the row it belongs to (0 for outside)."""

    kind: AccountKind
    ref_id: int = 0

    def __str__(self) -> str:
        return self.kind.value if self.kind == K.OUTSIDE else f"{self.kind.value}:{self.ref_id}"


OUTSIDE = AccountRef(K.OUTSIDE)


def pool(pool_id: int) -> AccountRef:
    return AccountRef(K.POOL, pool_id)


def project(project_id: int) -> AccountRef:
    return AccountRef(K.PROJECT, project_id)


def pledge(pledge_id: int) -> AccountRef:
    return AccountRef(K.PLEDGE, pledge_id)


def campaign(campaign_id: int) -> AccountRef:
    return AccountRef(K.CAMPAIGN, campaign_id)


def commitment(commitment_id: int) -> AccountRef:
    return AccountRef(K.COMMITMENT, commitment_id)


class Account(Base):
    """The balance of one account (outside has none: it is every payer and payee at once)."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (UniqueConstraint("kind", "ref_id"),
                      CheckConstraint("balance_cents >= 0", name="balance_non_negative"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AccountKind] = mapped_column(EnumText(AccountKind, 20))
    ref_id: Mapped[int] = mapped_column(Integer)
    balance_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    # Net money exchanged with outside: what arrived (appropriations, top-ups, donations) less what
    # went back out (refunds, payouts). A pool's "received".
    external_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class Transfer(Base):
    """One movement of money; its postings sum to zero."""

    __tablename__ = "ledger_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    movement: Mapped[Movement] = mapped_column(EnumText(Movement, 30), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    # Makes a movement happen once: e.g. "payment_order:12" can credit money only once.
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    occurred_at: Mapped[datetime] = mapped_column(AwareDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The domain row that caused it (a payment order, a pledge, a payout, ...).
    reference_type: Mapped[str] = mapped_column(String(40), default="")
    reference_id: Mapped[int | None] = mapped_column(Integer)
    # The project the money is for, when there is one: pages and statistics read money by project.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    memo: Mapped[str] = mapped_column(Text, default="")

    postings: Mapped[list[Posting]] = relationship(back_populates="transfer", order_by="Posting.id")


class Posting(Base):
    """One side of a transfer: a signed amount on one account."""

    __tablename__ = "ledger_postings"
    __table_args__ = (CheckConstraint("amount_cents <> 0", name="amount_non_zero"),
                      # Postings are read by account (balances, where a pool's money went).
                      Index("ix_ledger_postings_account", "account_kind", "account_ref"))

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("ledger_transfers.id"), index=True)
    account_kind: Mapped[AccountKind] = mapped_column(EnumText(AccountKind, 20))
    account_ref: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(BigInteger)

    transfer: Mapped[Transfer] = relationship(back_populates="postings")


class InsufficientFunds(Conflict):
    code = "insufficient_funds"


# ---------------------------------------------------------------- cached balances on domain rows

@dataclass(frozen=True)
class BalanceCache:
    kind: AccountKind
    model: type
    column: str
    measure: str  # "balance" or "external" (see Account)


_CACHES: list[BalanceCache] = []
_CHECKS: list[Callable[[], Iterable[str]]] = []


def register_balance_cache(kind: AccountKind, model: type, column: str, measure: str = "balance") -> None:
    """Keep ``model.column`` (on the row whose id is the account's ref) equal to the account's
    ``measure``: its balance, or the net money it exchanged with outside."""
    if measure not in ("balance", "external"):
        raise ValueError(f"measure: balance or external, not {measure!r}")
    _CACHES.append(BalanceCache(kind, model, column, measure))


def register_check(check: Callable[[], Iterable[str]]) -> Callable[[], Iterable[str]]:
    """Add a domain's consistency check to :func:`check` (it yields problems in words)."""
    _CHECKS.append(check)
    return check


def _write_caches(session: Session, ref: AccountRef, account: Account) -> None:
    for cache in _CACHES:
        if cache.kind != ref.kind:
            continue
        row = session.get(cache.model, ref.ref_id)
        if row is None:
            raise LookupError(f"ledger: no {cache.model.__name__} {ref.ref_id} for account {ref}")
        session.info.setdefault(_TOKENS, set()).add((id(row), cache.column))
        setattr(row, cache.column, account.balance_cents if cache.measure == "balance" else account.external_cents)


class UnrecordedMoney(RuntimeError):
    """A cached balance column changed without a ledger movement."""


@event.listens_for(Session, "before_flush")
def _refuse_money_outside_the_ledger(session: Session, _context: Any, _instances: Any) -> None:
    if not _CACHES:
        return
    tokens = session.info.get(_TOKENS, set())
    columns: dict[type, list[str]] = defaultdict(list)
    for cache in _CACHES:
        columns[cache.model].append(cache.column)
    for obj in list(session.dirty) + list(session.new):
        for column in columns.get(type(obj), ()):
            history = inspect(obj).attrs[column].history
            if not history.added:
                continue
            added = history.added[0]
            if obj in session.new and not added:
                continue  # a new row starts at zero
            old = history.deleted[0] if history.deleted else None
            if added != old and (id(obj), column) not in tokens:
                raise UnrecordedMoney(f"{type(obj).__name__} {getattr(obj, 'id', '?')}: {column} changed from "
                                      f"{old} to {added} without a ledger movement")


@event.listens_for(Session, "after_flush_postexec")
def _forget_cache_writes(session: Session, _context: Any) -> None:
    session.info.pop(_TOKENS, None)


# ---------------------------------------------------------------- moving money

def _account(session: Session, ref: AccountRef) -> Account:
    account = session.scalar(select(Account).where(Account.kind == ref.kind, Account.ref_id == ref.ref_id)
                             .with_for_update().execution_options(populate_existing=True))
    if account is None:
        account = Account(kind=ref.kind, ref_id=ref.ref_id, balance_cents=0)
        session.add(account)
        session.flush()
    return account


def balance(ref: AccountRef) -> int:
    """The account's balance now (0 for an account that never held money)."""
    if ref.kind == K.OUTSIDE:
        raise ValueError("outside has no balance of its own")
    value = db.session.scalar(select(Account.balance_cents).where(Account.kind == ref.kind,
                                                                  Account.ref_id == ref.ref_id))
    return int(value or 0)


def move(movement: Movement, amount_cents: int, *, source: AccountRef, target: AccountRef, actor: Any,
         reference: Any = None, reference_type: str | None = None, reference_id: int | None = None,
         key: str | None = None, memo: str = "", at: datetime | None = None,
         project_id: int | None = None) -> Transfer:
    """Move ``amount_cents`` from ``source`` to ``target``; returns the transfer.

    Raises :class:`InsufficientFunds` when ``source`` holds less, ``Conflict`` when ``key`` was
    already used (the movement happened before), ``ValueError`` for an amount that is not a
    positive whole number of fen or accounts the movement does not allow.
    """
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or not 0 < amount_cents <= MAX_AMOUNT_CENTS:
        raise ValueError(f"amount_cents: a whole number of fen between 1 and {MAX_AMOUNT_CENTS}, not {amount_cents!r}")
    sources, targets = ALLOWED[movement]
    if source.kind not in sources or target.kind not in targets:
        raise ValueError(f"{movement.value}: cannot move money from {source} to {target}")
    session = db.session
    if key is not None and session.scalar(select(Transfer.id).where(Transfer.key == key)) is not None:
        raise Conflict(_l("This money movement was already recorded."), code="already_recorded")
    if reference is not None:
        reference_type = reference_type or type(reference).__tablename__
        if reference_id is None:
            session.flush()
            reference_id = reference.id
    touched = sorted((ref for ref in (source, target) if ref.kind != K.OUTSIDE), key=lambda r: (r.kind.value, r.ref_id))
    accounts = {ref: _account(session, ref) for ref in touched}
    if target.kind != K.OUTSIDE and accounts[target].balance_cents > MAX_CENTS - amount_cents:
        raise Conflict(_l("This would put more money in one account than it can record."), code="too_large",
                       fields={"amount": _l("Too large.")})
    if source.kind != K.OUTSIDE and accounts[source].balance_cents < amount_cents:
        raise InsufficientFunds(_l("Not enough money: %(account)s holds %(left)s, %(need)s needed.",
                                   account=source.kind.label, left=money(accounts[source].balance_cents),
                                   need=money(amount_cents)), fields={"amount": _l("More than is available.")})
    transfer = Transfer(movement=movement, amount_cents=amount_cents, key=key, occurred_at=at or utcnow(),
                        actor_id=getattr(actor, "id", None), reference_type=reference_type or "",
                        reference_id=reference_id, project_id=project_id, memo=memo[:2000])
    transfer.postings = [Posting(account_kind=source.kind, account_ref=source.ref_id, amount_cents=-amount_cents),
                         Posting(account_kind=target.kind, account_ref=target.ref_id, amount_cents=amount_cents)]
    session.add(transfer)
    external = K.OUTSIDE in (source.kind, target.kind)
    for ref, account in accounts.items():
        delta = amount_cents if ref == target else -amount_cents
        account.balance_cents += delta
        if external:
            account.external_cents += delta
        _write_caches(session, ref, account)
    session.flush()
    record(actor, f"money.{movement.value}", object_type="ledger_transfers", object_id=transfer.id,
           after={"amount_cents": amount_cents, "from": str(source), "to": str(target), "project_id": project_id,
                  "reference": f"{reference_type}:{reference_id}" if reference_type else None,
                  "balances": {str(ref): account.balance_cents for ref, account in accounts.items()}})
    return transfer


# ---------------------------------------------------------------- reading

def transfers_of(ref: AccountRef) -> list[tuple[Transfer, int]]:
    """``(transfer, signed amount on this account)``, oldest first."""
    rows = db.session.execute(select(Transfer, Posting.amount_cents).join(Posting, Posting.transfer_id == Transfer.id)
                              .where(Posting.account_kind == ref.kind, Posting.account_ref == ref.ref_id)
                              .order_by(Transfer.id))
    return [(transfer, amount) for transfer, amount in rows]


def counterparties(transfer: Transfer, ref: AccountRef) -> list[AccountRef]:
    return [AccountRef(p.account_kind, p.account_ref) for p in transfer.postings
            if (p.account_kind, p.account_ref) != (ref.kind, ref.ref_id)]


def balances(kind: AccountKind) -> dict[int, int]:
    """Every account of ``kind`` with its balance, ``{ref_id: balance}`` (one query, for checks and lists)."""
    return {ref_id: int(value) for ref_id, value in db.session.execute(
        select(Account.ref_id, Account.balance_cents).where(Account.kind == kind))}


def movement_totals(kind: AccountKind, movement: Movement) -> dict[int, int]:
    """``{ref_id: net amount}`` that ``movement`` brought into (positive) or took out of accounts of ``kind``."""
    rows = db.session.execute(
        select(Posting.account_ref, func.sum(Posting.amount_cents)).join(Transfer, Posting.transfer_id == Transfer.id)
        .where(Posting.account_kind == kind, Transfer.movement == movement).group_by(Posting.account_ref))
    return {ref_id: int(total) for ref_id, total in rows}


def movements_total(ref: AccountRef, *movements: Movement) -> int:
    """The net amount ``movements`` brought into (positive) or took out of (negative) the account."""
    stmt = (select(func.coalesce(func.sum(Posting.amount_cents), 0)).join(Transfer, Posting.transfer_id == Transfer.id)
            .where(Posting.account_kind == ref.kind, Posting.account_ref == ref.ref_id))
    if movements:
        stmt = stmt.where(Transfer.movement.in_(movements))
    return int(db.session.scalar(stmt) or 0)


# ---------------------------------------------------------------- checking

@dataclass(frozen=True)
class LedgerReport:
    ok: bool
    accounts: int
    transfers: int
    problems: tuple[str, ...]


def check() -> LedgerReport:
    """Recompute every balance from the postings; compare with the accounts, the cached columns
    and the domains' checks. Problems are said in words."""
    session = db.session
    problems: list[str] = []
    unbalanced = session.execute(select(Posting.transfer_id, func.sum(Posting.amount_cents))
                                 .group_by(Posting.transfer_id).having(func.sum(Posting.amount_cents) != 0)).all()
    problems += [f"transfer {tid} does not sum to zero (off by {int(total)})" for tid, total in unbalanced]
    computed: dict[tuple[AccountKind, int], int] = defaultdict(int)
    for kind, ref_id, total in session.execute(select(Posting.account_kind, Posting.account_ref,
                                                      func.sum(Posting.amount_cents))
                                               .group_by(Posting.account_kind, Posting.account_ref)):
        if kind != K.OUTSIDE:
            computed[(AccountKind(kind), int(ref_id))] = int(total)
    outside = select(Posting.transfer_id).where(Posting.account_kind == K.OUTSIDE)
    computed_external: dict[tuple[AccountKind, int], int] = defaultdict(int)
    for kind, ref_id, total in session.execute(
            select(Posting.account_kind, Posting.account_ref, func.sum(Posting.amount_cents))
            .where(Posting.account_kind != K.OUTSIDE, Posting.transfer_id.in_(outside))
            .group_by(Posting.account_kind, Posting.account_ref)):
        computed_external[(AccountKind(kind), int(ref_id))] = int(total)
    accounts = {(AccountKind(a.kind), a.ref_id): a for a in session.scalars(select(Account))}
    for key in sorted(set(computed) | set(accounts), key=lambda k: (k[0].value, k[1])):
        ref = AccountRef(*key)
        account = accounts.get(key)
        stored, stored_external = (account.balance_cents, account.external_cents) if account else (0, 0)
        if computed.get(key, 0) < 0:
            problems.append(f"{ref} is below zero: {computed[key]}")
        if computed.get(key, 0) != stored:
            problems.append(f"{ref}: the postings add up to {computed.get(key, 0)}, the account says {stored}")
        if computed_external.get(key, 0) != stored_external:
            problems.append(f"{ref}: its money from outside adds up to {computed_external.get(key, 0)}, "
                            f"the account says {stored_external}")
    for cache in _CACHES:
        expected = computed if cache.measure == "balance" else computed_external
        for row_id, value in session.execute(select(cache.model.id, getattr(cache.model, cache.column))):
            if int(value or 0) != expected.get((cache.kind, row_id), 0):
                problems.append(f"{cache.model.__tablename__} {row_id}: {cache.column} is {value}, "
                                f"the ledger says {expected.get((cache.kind, row_id), 0)}")
    for domain_check in _CHECKS:
        problems += list(domain_check())
    transfers = session.scalar(select(func.count(Transfer.id))) or 0
    return LedgerReport(not problems, len(accounts), transfers, tuple(problems))
