"""Read and write the Pabulib ``.pb`` format (https://pabulib.org/format).

A file has three sections, each a title line (``META``, ``PROJECTS``, ``VOTES``), a
header line and semicolon-separated rows. Fields may be quoted CSV-style.

Round trip: ``parse_pabulib(format_pabulib(e)) == e``. ``budget`` and ``vote_type``
are Election fields and ``num_projects``/``num_votes`` are derived, so the reader
keeps them out of ``Election.meta`` and the writer computes all four (placing them
after the keys naming the instance, where Pabulib files have them).
"""

from __future__ import annotations

import csv
import io
import os
from fractions import Fraction

from matching.pb.model import (
    SCORED_TYPES,
    Ballot,
    Election,
    Number,
    PBProject,
    as_number,
)

_SECTIONS = ("meta", "projects", "votes")
_DERIVED_META = ("num_projects", "num_votes", "budget", "vote_type")


def read_pabulib(path: str | os.PathLike[str]) -> Election:
    """Read a ``.pb`` file.

    Parameters
    ----------
    path : str or PathLike
        File to read (UTF-8, an optional byte-order mark is ignored).

    Returns
    -------
    Election

    Raises
    ------
    ValueError
        If the file is malformed; the message names the section and field.
    """
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return parse_pabulib(handle.read())


def parse_pabulib(text: str) -> Election:
    """Parse the text of a ``.pb`` file.

    Parameters
    ----------
    text : str
        File content.

    Returns
    -------
    Election

    Examples
    --------
    >>> text = '''META
    ... key;value
    ... budget;100
    ... vote_type;approval
    ... PROJECTS
    ... project_id;cost;name
    ... a;60;Trees
    ... b;50;Benches
    ... VOTES
    ... voter_id;vote
    ... 1;a,b
    ... 2;b
    ... '''
    >>> e = parse_pabulib(text)
    >>> e.budget, [p.id for p in e.projects], e.ballots[0].projects
    (100, ['a', 'b'], ('a', 'b'))
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    meta: list[tuple[str, str]] = []
    project_rows: list[dict[str, str]] = []
    project_header: list[str] = []
    vote_rows: list[dict[str, str]] = []
    vote_header: list[str] = []
    section = ""
    header: list[str] | None = None
    for line_number, row in enumerate(csv.reader(io.StringIO(text), delimiter=";"), start=1):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        first = row[0].strip().lower()
        if first in _SECTIONS and len([c for c in row if c.strip()]) == 1:
            section = first
            header = None
            continue
        if not section:
            raise ValueError(f"line {line_number}: data before the META/PROJECTS/VOTES section title")
        if header is None:
            header = [column.strip() for column in row]
            if section == "projects":
                project_header = header
            elif section == "votes":
                vote_header = header
            continue
        if section == "meta":
            # A stray unquoted ';' inside a META value must not lose the rest of it.
            meta.append((row[0].strip(), ";".join(row[1:]).strip()))
            continue
        if len(row) > len(header):
            raise ValueError(f"{section.upper()} line {line_number}: {len(row)} fields for {len(header)} columns")
        values = [value.strip() for value in row] + [""] * (len(header) - len(row))
        if section == "projects":
            project_rows.append(dict(zip(header, values, strict=True)))
        else:
            vote_rows.append(dict(zip(header, values, strict=True)))

    meta_dict = dict(meta)
    if len(meta_dict) != len(meta):
        raise ValueError("META: duplicate key")
    # budget, vote_type and the counts live in the Election fields, not in meta.
    meta = [(k, v) for k, v in meta if k not in _DERIVED_META]
    if "budget" not in meta_dict:
        raise ValueError("META budget: missing")
    budget = as_number(meta_dict["budget"], "META budget")
    ballot_type = meta_dict.get("vote_type", "approval")

    for column in ("project_id", "cost"):
        if project_rows and column not in project_header:
            raise ValueError(f"PROJECTS header: missing column {column!r}")
    projects = []
    for index, project_row in enumerate(project_rows):
        project_id = project_row["project_id"]
        projects.append(
            PBProject(
                id=project_id,
                cost=as_number(project_row["cost"], f"PROJECTS row {index + 1} ({project_id}) cost"),
                name=project_row.get("name", ""),
                attributes=tuple((k, v) for k, v in project_row.items() if k not in ("project_id", "cost", "name")),
            )
        )

    scored = ballot_type in SCORED_TYPES
    for column in ("voter_id", "vote") + (("points",) if scored else ()):
        if vote_rows and column not in vote_header:
            raise ValueError(f"VOTES header: missing column {column!r}")
    ballots = []
    skip = {"voter_id", "vote", "points"} if scored else {"voter_id", "vote"}
    for index, vote_row in enumerate(vote_rows):
        voter_id = vote_row["voter_id"]
        chosen = tuple(item.strip() for item in vote_row["vote"].split(",") if item.strip())
        points: tuple[Number, ...] = ()
        if scored:
            raw_points = [item.strip() for item in vote_row.get("points", "").split(",") if item.strip()]
            points = tuple(as_number(p, f"VOTES row {index + 1} ({voter_id}) points") for p in raw_points)
        ballots.append(
            Ballot(
                voter_id=voter_id,
                projects=chosen,
                points=points,
                attributes=tuple((k, v) for k, v in vote_row.items() if k not in skip),
            )
        )
    return Election(
        projects=tuple(projects),
        ballots=tuple(ballots),
        budget=budget,
        ballot_type=ballot_type,
        meta=tuple(meta),
    )


def format_number(value: Number, field_name: str = "value") -> str:
    """Write an exact number as a plain decimal string.

    Raises
    ------
    ValueError
        If the number has no finite decimal expansion (e.g. one third).

    Examples
    --------
    >>> format_number(Fraction(2942465, 4))
    '735616.25'
    >>> format_number(-3)
    '-3'
    """
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    denominator = value.denominator
    digits = 0
    while denominator % 10 == 0 or denominator % 2 == 0 or denominator % 5 == 0:
        if denominator % 10 == 0:
            denominator //= 10
        elif denominator % 2 == 0:
            denominator //= 2
        else:
            denominator //= 5
        digits += 1
    if denominator != 1:
        raise ValueError(f"{field_name}: {value} has no finite decimal expansion")
    scaled = int(abs(value) * 10**digits)  # exact: the denominator divides 10**digits
    text = str(scaled).rjust(digits + 1, "0")
    text = f"{text[:-digits]}.{text[-digits:]}".rstrip("0").rstrip(".")
    return ("-" if value < 0 else "") + text


def format_pabulib(
    election: Election,
    *,
    anonymise: bool = False,
    voter_attributes: bool = True,
) -> str:
    """Render an election as ``.pb`` text.

    Parameters
    ----------
    election : Election
        The election.
    anonymise : bool
        Replace voter ids with ``1, 2, ...`` in ballot order (for public exports).
    voter_attributes : bool
        Keep the extra vote columns (age, sex...). Set to False with ``anonymise``
        to publish nothing but the votes.

    Returns
    -------
    str
        The file content, ``\\n`` line endings.

    Examples
    --------
    >>> e = Election((PBProject("a", 60),), (Ballot("alice", ("a",)),), budget=100)
    >>> print(format_pabulib(e, anonymise=True), end="")
    META
    key;value
    num_projects;1
    num_votes;1
    budget;100
    vote_type;approval
    PROJECTS
    project_id;cost
    a;60
    VOTES
    voter_id;vote
    1;a
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)

    derived = [
        ("num_projects", str(len(election.projects))),
        ("num_votes", str(len(election.ballots))),
        ("budget", format_number(election.budget, "budget")),
        ("vote_type", election.ballot_type),
    ]
    meta = [(k, v) for k, v in election.meta if k not in _DERIVED_META]
    # Where Pabulib files usually have them: after the keys naming the instance.
    keys = [k for k, _ in meta]
    position = 0
    for anchor in ("description", "country", "unit", "district", "subunit", "instance"):
        if anchor in keys:
            position = max(position, keys.index(anchor) + 1)
    writer.writerow(["META"])
    writer.writerow(["key", "value"])
    for key, value in meta[:position] + derived + meta[position:]:
        writer.writerow([key, value])

    project_columns = ["project_id", "cost"]
    if any(p.name for p in election.projects):
        project_columns.append("name")
    for project in election.projects:
        for key, _ in project.attributes:
            if key not in project_columns:
                project_columns.append(key)
    writer.writerow(["PROJECTS"])
    writer.writerow(project_columns)
    for project in election.projects:
        row = {
            "project_id": project.id,
            "cost": format_number(project.cost, f"project {project.id!r} cost"),
            "name": project.name,
        }
        row.update(project.attributes)
        writer.writerow([row.get(column, "") for column in project_columns])

    scored = election.ballot_type in SCORED_TYPES
    vote_columns = ["voter_id", "vote"] + (["points"] if scored else [])
    if voter_attributes:
        for ballot in election.ballots:
            for key, _ in ballot.attributes:
                if key not in vote_columns:
                    vote_columns.append(key)
    writer.writerow(["VOTES"])
    writer.writerow(vote_columns)
    for index, ballot in enumerate(election.ballots, start=1):
        row = dict(ballot.attributes) if voter_attributes else {}
        row["voter_id"] = str(index) if anonymise else ballot.voter_id
        row["vote"] = ",".join(ballot.projects)
        if scored:
            row["points"] = ",".join(format_number(p, f"ballot {ballot.voter_id!r} points") for p in ballot.points)
        writer.writerow([row.get(column, "") for column in vote_columns])
    return out.getvalue()


def write_pabulib(
    election: Election,
    path: str | os.PathLike[str],
    *,
    anonymise: bool = False,
    voter_attributes: bool = True,
) -> None:
    """Write an election to a ``.pb`` file (UTF-8). See :func:`format_pabulib`."""
    text = format_pabulib(election, anonymise=anonymise, voter_attributes=voter_attributes)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
