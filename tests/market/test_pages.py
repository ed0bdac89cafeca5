"""Pages render in both languages, and the language switch sticks."""
from __future__ import annotations

import pytest

from market.accounts.models import Role


@pytest.mark.parametrize("url", ["/", "/projects/", "/organizations/", "/funds/", "/search?q=养老", "/login", "/register"])
def test_public_pages_render(client, url, make_project, make_org, make_pool):
    make_project(), make_org(), make_pool()
    assert client.get(url).status_code == 200


def test_chinese_from_accept_language_and_switch_to_english(client, make_project):
    project = make_project(title="岗厦社区长者饭堂", title_en="Gangxia community canteen for elders")
    zh = client.get(f"/projects/{project.id}", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "岗厦社区长者饭堂" in zh and "项目" in zh
    client.get("/lang/en")
    en = client.get(f"/projects/{project.id}", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Gangxia community canteen for elders" in en and "Projects" in en


def test_dashboards_by_role(browser, make_user, make_org, make_project):
    org = make_org()
    provider = make_user(Role.PROVIDER, organization=org)
    browser.login(provider)
    page = browser.get("/dashboard").get_data(as_text=True)
    assert org.name_en in page or org.name in page
    browser.logout()
    browser.login(make_user(Role.OFFICIAL))
    assert "Organisations awaiting verification" in browser.get("/dashboard").get_data(as_text=True)


def test_search_page_groups_results(client, make_project, make_org):
    make_project(title="社区心理健康讲座", title_en="Community mental health talks", category_code="mental_health")
    make_org(name="福田心理咨询中心", name_en="Futian Counselling Centre", categories=("mental_health",))
    page = client.get("/search?q=心理", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "社区心理健康讲座" in page
    assert "福田心理咨询中心" in page


def test_manifest_icons_and_favicon(client):
    page = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'rel="manifest"' in page and 'rel="icon"' in page and 'class="menu-toggle"' in page
    manifest = client.get("/manifest.webmanifest", headers={"Accept-Language": "zh-CN"})
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    assert manifest.json["name"] == "社会资源交易平台" and manifest.json["display"] == "standalone"
    for icon in manifest.json["icons"] + [{"src": client.get("/favicon.ico").location}]:
        with client.get(icon["src"]) as response:  # static files stream: close them
            assert response.status_code == 200 and response.mimetype.startswith("image/")


def test_the_project_page_names_its_stages_in_words(client, make_project):
    project = make_project()
    page = client.get(f"/projects/{project.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    stages = page[page.index('class="lifecycle"'):page.index("</ol>", page.index('class="lifecycle"'))]
    assert "in_progress" not in stages and "evaluating" not in stages
    assert '<li class="current">' in stages
