from browsertools import axe_violations, login


def test_overview_in_chromium(portal, new_page):
    page = new_page(axe=True)
    login(page, portal, "198504124564")
    assert page.locator("main h1").inner_text() == "Dina ärenden"
    print(axe_violations(page))
