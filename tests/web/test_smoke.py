from webtools import KARIN, login, page


def test_login_and_overview(client):
    login(client, KARIN)
    r = client.get("/")
    assert r.status_code == 200
    soup = page(r)
    print(soup.select_one("main").get_text(" ", strip=True)[:3000])
    assert soup.select(".case-card")
