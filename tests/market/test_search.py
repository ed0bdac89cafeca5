"""Search in the database: what a query finds (substrings in Chinese, misspelt English words, mixed
queries), in which order, with the listing's filters, sort and pages, and at once in the writing
transaction. Every test runs on SQLite and, with ``--db-url``, on PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from market.accounts.models import Role
from market.core.db import db
from market.geo.models import ProjectType
from market.projects import services as projects
from market.projects.models import PROJECT_SEARCH, Project, ProjectKind, ProjectStatus
from market.search.query import text_match
from market.search.services import search_terms
from market.ui.listing import ListingArgs

NEUTRAL = "culture_sports"  # a category whose names share no word with the labelled texts


def _ids(client, url: str) -> list[int]:
    return [item["id"] for item in client.get(url).get_json()["items"]]


def _found(q: str, **filters) -> list[int]:
    return [p.id for p in projects.list_projects(ListingArgs(q=q, filters=filters, per_page=50)).items]


# ---------------------------------------------------------------- query words

def test_search_terms_keep_short_chinese_words_whole_and_split_long_ones_with_jieba():
    assert search_terms("养老") == ["养老"]
    assert search_terms("适老化") == ["适老化"]  # not 适 + 老化
    assert search_terms("居家养老服务") == ["居家", "养老", "服务"]
    assert search_terms("Eldery  CARE!") == ["eldery", "care"]
    assert search_terms("养老 meal of the day") == ["养老", "meal", "day"]
    assert search_terms("？！") == []


# ---------------------------------------------------------------- a small labelled set, ranked

@pytest.fixture
def labelled(make_project):
    """Projects labelled by where the words of "elderly care" (养老) stand in them."""
    def make(label: str, title: str, title_en: str, description: str = "", description_en: str = ""):
        return label, make_project(title=title, title_en=title_en, description=description or "社区活动。",
                                   description_en=description_en or "Community activities.",
                                   category_code=NEUTRAL)

    rows = dict([
        make("body", "长者活动中心", "Community centre for seniors", "为辖区老人提供养老照护服务。",
             "Elderly care and day activities for older residents."),
        make("exact", "养老", "Elderly care"),
        make("title_long", "社区养老服务综合提升计划", "Elderly care and meal delivery for seniors in Futian"),
        make("title_words", "居家养老助餐", "Care for elderly people living alone"),
        make("unrelated", "青少年足球训练营", "Youth football camp", "周末足球训练。", "Weekend football training."),
    ])
    return {label: project.id for label, project in rows.items()}


@pytest.mark.parametrize("query", ["elderly care", "Elderly Care", "养老"])
def test_exact_title_first_then_title_words_then_the_description(client, labelled, query):
    found = _ids(client, f"/api/v1/projects?q={query}")
    assert found[0] == labelled["exact"]
    assert set(found[1:3]) == {labelled["title_long"], labelled["title_words"]}
    assert found[3:] == [labelled["body"]]


def test_a_misspelt_english_word_still_finds_elderly_care_titles_first(client, labelled):
    found = _ids(client, "/api/v1/projects?q=eldery%20care")
    assert set(found[:3]) == {labelled["exact"], labelled["title_long"], labelled["title_words"]}
    assert found[3:] == [labelled["body"]]


def test_the_words_like_a_misspelt_one_are_looked_up_once_a_minute(client, labelled, monkeypatch):
    """A misspelt word's look-ups (is it in a title, which words are like it) run for its first
    search; the next ones reuse their answer and find the same rows."""
    from sqlalchemy import event

    from market.search import query

    monkeypatch.setattr(query, "spellings", query.TTLCache(60.0))
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        first = _ids(client, "/api/v1/projects?q=eldery")
        looked_up = len(statements)
        statements.clear()
        assert _ids(client, "/api/v1/projects?q=eldery") == first != []
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(statements) < looked_up


def test_a_visitors_search_page_is_kept_a_moment_without_showing_what_the_listing_hides(
        client, browser, make_project, make_user, monkeypatch):
    """An anonymous search asked again within ten seconds reuses the ids and total found; the rows
    are read afresh through the listing's filters (a project back in draft meanwhile is left out),
    and a signed-in user, who may just have written, searches afresh."""
    from sqlalchemy import update

    from market.ui import listing

    monkeypatch.setattr(listing, "searches", listing.TTLCache(10.0))
    first = make_project(title="梅林社区书法班", title_en="Calligraphy class in Meilin", category_code=NEUTRAL)
    second = make_project(title="景田社区书法班", title_en="Calligraphy class in Jingtian", category_code=NEUTRAL)
    assert set(_ids(client, "/api/v1/projects?q=书法")) == {first.id, second.id}
    third = make_project(title="香蜜湖书法班", title_en="Calligraphy class in Xiangmihu", category_code=NEUTRAL)
    db.session.execute(update(Project).where(Project.id == second.id).values(status=ProjectStatus.DRAFT))
    db.session.commit()
    kept = client.get("/api/v1/projects?q=书法").get_json()
    assert [item["id"] for item in kept["items"]] == [first.id] and kept["total"] == 2  # the page found before
    browser.login(make_user(Role.RESIDENT))
    assert set(_ids(browser, "/api/v1/projects?q=书法")) == {first.id, third.id}  # signed in: afresh


def test_with_the_visitor_cache_turned_off_every_search_sees_the_last_commit(app, client, make_project,
                                                                          monkeypatch):
    from market.ui import listing

    monkeypatch.setattr(listing, "searches", listing.TTLCache(10.0))
    monkeypatch.setitem(app.config, "VISITOR_SEARCH_CACHE", False)
    first = make_project(title="梅林社区书法班", title_en="Calligraphy class in Meilin", category_code=NEUTRAL)
    assert _ids(client, "/api/v1/projects?q=书法") == [first.id]
    second = make_project(title="景田社区书法班", title_en="Calligraphy class in Jingtian", category_code=NEUTRAL)
    assert set(_ids(client, "/api/v1/projects?q=书法")) == {first.id, second.id}


def test_an_english_word_counts_in_the_title_in_any_case_and_either_language(client, make_project):
    """Title words count before description words however the title writes them: in capitals, in
    mixed case, or in the Chinese title."""
    body = make_project(title="长者活动中心", title_en="Centre for seniors", description_en="Volunteer visits.",
                        category_code=NEUTRAL)
    capitals = make_project(title="长者服务", title_en="VOLUNTEER VISITS", category_code=NEUTRAL)
    mixed = make_project(title="长者服务", title_en="Home-VolUnteer visits", category_code=NEUTRAL)
    chinese = make_project(title="Volunteer长者探访", title_en="Visits", category_code=NEUTRAL)
    found = _ids(client, "/api/v1/projects?q=volunteer")
    assert set(found[:3]) == {capitals.id, mixed.id, chinese.id} and found[3:] == [body.id]


def test_the_shorter_closer_title_leads_among_equal_title_matches(client, make_project):
    long = make_project(title="社区心理健康服务与家庭支持综合项目", title_en="x", category_code=NEUTRAL)
    short = make_project(title="心理健康讲座", title_en="y", category_code=NEUTRAL)
    assert _ids(client, "/api/v1/projects?q=心理健康") == [short.id, long.id]


# ---------------------------------------------------------------- what a query finds

def test_chinese_substrings_english_typos_and_mixed_queries(client, make_project):
    meals = make_project(title="福田街道独居老人助餐服务", title_en="Meal delivery for elderly people living alone",
                         category_code=NEUTRAL)
    talks = make_project(title="青少年心理健康辅导", title_en="Youth mental health counselling",
                         description="由心理咨询师开展团体辅导。", description_en="Group sessions led by counsellors.",
                         category_code=NEUTRAL)
    assert _ids(client, "/api/v1/projects?q=助餐") == [meals.id]
    assert _ids(client, "/api/v1/projects?q=心理") == [talks.id]
    assert _ids(client, "/api/v1/projects?q=心理咨询师") == [talks.id]  # in the description only
    assert _ids(client, "/api/v1/projects?q=eldery%20meal") == [meals.id]
    assert _ids(client, "/api/v1/projects?q=counseling") == [talks.id]  # American spelling
    assert _ids(client, "/api/v1/projects?q=助餐%20elderly") == [meals.id]
    assert _ids(client, "/api/v1/projects?q=助餐%20youth") == []  # every word of a short query must be there
    assert _ids(client, "/api/v1/projects?q=garbage") == []


def test_english_words_are_found_by_their_stem(client, make_project):
    families = make_project(title="家庭教育讲座", title_en="Talks for families", category_code=NEUTRAL)
    assert _ids(client, "/api/v1/projects?q=family") == [families.id]


def test_a_long_query_finds_rows_holding_most_of_its_words(client, make_project):
    found = make_project(title="社区长者助餐配送", title_en="Meal delivery for seniors in the community",
                         category_code=NEUTRAL)
    assert _ids(client, "/api/v1/projects?q=meal%20delivery%20seniors%20weekends") == [found.id]  # 3 of 4
    assert _ids(client, "/api/v1/projects?q=meal%20bicycles%20weekends%20repairs") == []  # 1 of 4


def test_the_category_names_are_searched_too(client, make_project):
    counselling = make_project(title="青少年成长营", title_en="Youth camp", description="暑期活动。",
                               description_en="Summer activities.", category_code="mental_health")
    make_project(title="青少年足球营", title_en="Football camp", category_code=NEUTRAL)
    assert _ids(client, "/api/v1/projects?q=心理健康") == [counselling.id]
    assert _ids(client, "/api/v1/projects?q=mentl%20health") == [counselling.id]


def test_drafts_stay_out_of_search(client, make_project):
    make_project(title="养老草稿", status=ProjectStatus.DRAFT, category_code=NEUTRAL)
    published = make_project(title="养老服务", category_code=NEUTRAL)
    assert _ids(client, "/api/v1/projects?q=养老") == [published.id]


def test_a_query_of_punctuation_finds_nothing(client, make_project):
    make_project(title="养老服务")
    data = client.get("/api/v1/projects?q=%EF%BC%9F%21").get_json()  # ？!
    assert data["items"] == [] and data["total"] == 0


def test_organisations_and_pools_are_searched_by_name_and_description(client, make_org, make_pool):
    counselling = make_org(name="福田心理咨询中心", name_en="Futian Counselling Centre",
                           capability="青少年心理辅导", capability_en="Counselling for young people")
    make_org(name="福田长者服务中心", name_en="Futian Senior Services")
    assert _ids(client, "/api/v1/organizations?q=心理") == [counselling.id]
    assert _ids(client, "/api/v1/organizations?q=counseling") == [counselling.id]
    children, seniors = make_pool(description="支持社区儿童之家。", description_en="Supports children's centres."), make_pool()
    children.name, children.name_en = "儿童成长基金", "Children's Growth Fund"
    seniors.name, seniors.name_en = "长者关爱基金", "Senior Care Fund"
    db.session.commit()
    assert _ids(client, "/api/v1/funds?q=儿童") == [children.id]
    assert _ids(client, "/api/v1/funds?q=childrens%20centres") == [children.id]


# ---------------------------------------------------------------- filters, sort and pages in the same statement

def test_filters_sort_and_pages_apply_to_the_search(client, make_project, geo):
    budgets = {}
    for n, street in enumerate([0, 1, 1, 1, 0]):
        project = make_project(title=f"养老服务{n}", budget_cents=(n + 1) * 1_000_000, street=geo.streets[street],
                               category_code=NEUTRAL)
        budgets[project.id] = project.budget_cents
    make_project(title="足球训练", street=geo.streets[1], category_code=NEUTRAL)
    street = geo.streets[1].id
    data = client.get(f"/api/v1/projects?q=养老&street_id={street}&sort=budget_desc&per_page=2").get_json()
    assert data["total"] == 3
    assert [budgets[i["id"]] for i in data["items"]] == [4_000_000, 3_000_000]
    second = client.get(f"/api/v1/projects?q=养老&street_id={street}&sort=budget_desc&per_page=2&page=2").get_json()
    assert [budgets[i["id"]] for i in second["items"]] == [2_000_000] and second["total"] == 3
    beyond = client.get(f"/api/v1/projects?q=养老&street_id={street}&per_page=2&page=9").get_json()
    assert beyond["items"] == [] and beyond["total"] == 3


def test_the_listing_page_offers_relevance_while_searching(client, make_project):
    make_project(title="养老服务", category_code=NEUTRAL)
    searching = client.get("/projects/?q=养老", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<option value="">Relevance</option>' in searching and "ordered by relevance" in searching
    sorted_page = client.get("/projects/?q=养老&sort=budget_desc", headers={"Accept-Language": "en"})
    assert "ordered by relevance" not in sorted_page.get_data(as_text=True)
    browsing = client.get("/projects/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Relevance" not in browsing


# ---------------------------------------------------------------- current in the writing transaction

def test_a_project_is_found_in_the_transaction_that_creates_it(app, make_user, geo, category):
    official = make_user(Role.OFFICIAL)
    project = projects.create_project(official, projects.ProjectInput(
        kind=ProjectKind.GOVERNMENT_SERVICE, title="景田社区书法班", title_en="Calligraphy class in Jingtian",
        description="每周两次书法课。", category_id=category(NEUTRAL).id, project_type=ProjectType.SERVICE,
        budget_cents=5_000_000, street_id=geo.streets[1].id))
    projects.change_status(official, project, ProjectStatus.OPEN)
    assert _found("书法") == [project.id]  # not committed yet
    assert _found("calligraphy") == [project.id]

    projects.update_project(official, project, projects.ProjectInput(
        kind=project.kind, title="景田社区象棋班", title_en="Chess club in Jingtian", description="每周象棋。",
        category_id=project.category_id, project_type=project.project_type, budget_cents=project.budget_cents,
        street_id=project.street_id))
    assert _found("书法") == [] and _found("象棋") == [project.id]
    db.session.rollback()
    assert _found("象棋") == []


def test_edits_and_deletions_are_found_at_once(client, make_project):
    first = make_project(title="梅林社区书法班", title_en="Calligraphy class in Meilin", category_code=NEUTRAL)
    second = make_project(title="景田社区书法班", title_en="Calligraphy class in Jingtian", category_code=NEUTRAL)
    assert set(_ids(client, "/api/v1/projects?q=书法")) == {first.id, second.id}
    second.title, second.title_en = "景田社区象棋班", "Chess club in Jingtian"
    db.session.commit()
    assert _ids(client, "/api/v1/projects?q=书法") == [first.id]
    assert _ids(client, "/api/v1/projects?q=chess") == [second.id]
    db.session.delete(second)
    db.session.commit()
    assert _ids(client, "/api/v1/projects?q=chess") == []


# ---------------------------------------------------------------- the database's index answers

@pytest.mark.parametrize("query, indexes", [("elderly care", ("ix_projects_search_title", "ix_projects_search_body")),
                                            ("社区养老", ("ix_projects_search_pairs",))])
def test_the_search_condition_is_answered_by_the_search_indexes(app, make_project, query, indexes):
    """The query's expressions are the indexed ones: PostgreSQL can read the trigram indexes (and the
    character pairs index for two-character Chinese words), SQLite reads the FTS5 table."""
    make_project(title="社区养老服务", title_en="Elderly care", category_code=NEUTRAL)
    stmt = select(Project.id).where(text_match(db.session, PROJECT_SEARCH, query).where)
    connection = db.session.connection()
    if db.engine.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a handful of rows: it would rather scan
        compiled = stmt.compile(db.engine)
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled.string}", compiled.params))
        assert all(f"Index Scan on {index}" in plan for index in indexes), plan
    elif any(len(term) >= 3 for term in search_terms(query)):
        compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = "\n".join(str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
        assert "projects_search VIRTUAL TABLE INDEX" in plan, plan
