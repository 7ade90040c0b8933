"""The second experience pass (issue 15), as the HTML shows it: situations that fit, cases named for people,
truthful status, reassurance and urgency, the citizen's catalog and the small things."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path

from webtools import (DATA, EVA, KARIN, OLLE, SARA, act_as, card_fact, case_cards, demo_deadline, login, main, notices, page,
                      set_fault, status_items, text_of)

from portal.standard import clock
from portal.standard.identity import parse_person

ANDERS = "197007078905"  # signatory for Kustbageriet AB (a bakery with VAT returns) and Västkust Logistik AB
ROOT = Path(__file__).resolve().parents[2]
AGENCIES = ("skatteverket", "bolagsverket", "lansstyrelsen", "jordbruksverket", "tanum", "forsakringskassan",
            "livsmedelsverket", "lantmateriet")


def _home(client, path="/"):
    r = client.get(path)
    assert r.status_code in (200, 400)
    return page(r)


# --- 1. situations that fit -------------------------------------------------------------------------------------


def test_a_bakerys_vat_never_joins_starting_aquaculture(client):
    login(client, ANDERS)
    act_as(client, "Kustbageriet")
    soup = _home(client)
    assert soup.select_one("#situation-starta-vattenbruk") is None
    vat = [c for c in case_cards(soup) if card_fact(c, "Myndighet") == "Skatteverket"
           and text_of(c.select_one(".case-card__title [lang]")) == "Moms"]
    assert vat, [text_of(c) for c in case_cards(soup)]
    # Its VAT is simply one of its cases.
    assert all(c.find_parent("section").select_one("h2")["id"] in ("other-heading", "your-turn-heading") for c in vat)
    # The situation page and the situation filter claim none of its cases.
    situation = page(client.get("/livssituationer/starta-vattenbruk"))
    assert not situation.select("main .step__cases a")
    assert text_of(situation.select_one("main .progress-line")) == "0 av 8 steg klara."
    filtered = _home(client, "/?situation=starta-vattenbruk")
    assert case_cards(filtered) == []


def test_the_aquaculture_company_keeps_its_vat_under_the_situation(client):
    login(client, KARIN)
    act_as(client, "Bohusläns Ostron AB")
    soup = _home(client)
    section = soup.select_one("#situation-starta-vattenbruk").find_parent("section")
    titles = [text_of(a) for a in section.select(".case-card__title [lang]")]
    assert "Moms" in titles


def test_a_step_with_sub_steps_shows_its_own_case_with_its_deadline(client):
    login(client, KARIN)
    act_as(client, "Bohusläns Ostron AB")
    soup = page(client.get("/livssituationer/starta-vattenbruk"))
    permit = next(li for li in soup.select("main li.step")
                  if text_of(li.select_one(":scope > .step__head > .step__name")) == "Tillstånd att bedriva vattenbruk")
    assert "step--your_turn" in permit["class"]
    own = permit.select(":scope > .step__cases > li")
    assert [text_of(li.select_one("a")) for li in own] == ["Tillstånd för vattenbruk"]
    deadline = own[0].select_one(".step__deadline")
    assert re.fullmatch(r"Sista dag: \d+ \w+\.? \d{4} \((om \d+ dag(ar)?|i dag|\d+ dag(ar)? sedan)\)", text_of(deadline))
    names = [text_of(n) for n in soup.select("main .step__name")]
    assert "Registrera livsmedelsanläggning hos kommunen (om du förädlar)" in names
    assert not any(n.count("(") > 1 for n in names), names


# --- 2. cases named for people ----------------------------------------------------------------------------------


def test_cases_are_named_by_their_type_and_two_of_a_kind_are_told_apart(client):
    login(client, KARIN)
    soup = _home(client)
    titles = [text_of(a) for a in soup.select("main .case-card__title a")]
    assert not any(t.startswith("Vi har tagit emot") for t in titles), titles
    assert len(titles) == len(set(titles)), titles  # two income tax returns, two statistics cases: all distinct
    tax = [t for t in titles if t.startswith("Inkomstdeklaration")]
    assert len(tax) == 2 and all(re.fullmatch(r"Inkomstdeklaration \(påbörjat .+\)", t) for t in tax), tax
    for card in case_cards(soup):
        assert card_fact(card, "Myndighet")  # with the agency
        assert card_fact(card, "Senast")  # and the latest event as the subtitle


def test_case_titles_follow_the_page_language(client):
    login(client, KARIN)
    client.get("/sprak/en")
    soup = _home(client)
    titles = {text_of(a): a["lang"] for a in soup.select("main .case-card__title [lang]")}
    assert titles.get("Income tax return") == "en", titles


# --- 3. truthful status -----------------------------------------------------------------------------------------


def test_a_pending_agency_is_waiting_and_its_late_cases_are_not_new(private_world, make_private_app):
    set_fault(private_world, "skatteverket", held=True, timeout_s=30)
    client = make_private_app(page_deadline_s=0.5, fresh_s=0).test_client()
    login(client, KARIN)
    soup = _home(client)
    assert "väntar på svar" in status_items(soup)["skatteverket"]
    assert "svarade," not in status_items(soup)["skatteverket"]
    # The refresh (htmx poll) brings the status list along with the cases.
    assert soup.select_one("#case-results .status-list") is not None
    set_fault(private_world, "skatteverket", held=False)
    deadline = time.monotonic() + 20  # a bound on waiting, not a speed
    while time.monotonic() < deadline:
        fragment = page(client.get("/", headers={"HX-Request": "true"}))
        if "svarade," in status_items(fragment).get("skatteverket", ""):
            break
        time.sleep(0.3)
    assert "svarade," in status_items(fragment)["skatteverket"]
    skv = [c for c in case_cards(fragment, "") if card_fact(c, "Myndighet") == "Skatteverket"]
    assert skv
    # Its answer came after the page deadline, on the user's first visit: nothing of it is "new".
    assert not [c for c in skv if c.select_one(".new-badge")]
    assert not page(client.get("/")).select("main .new-badge")


def test_with_every_agency_down_one_notice_and_a_retry_button(private_world, make_private_app):
    for slug in AGENCIES:
        set_fault(private_world, slug, fault="down")
    client = make_private_app().test_client()
    login(client, SARA)
    soup = _home(client)
    warnings = [n for n in notices(soup) if "svarade" in n]
    assert warnings == ["Ingen myndighet svarade just nu. Vi visar det vi hade sparat; inget har tagits bort."]
    text = text_of(main(soup))
    assert "Det finns inga ärenden att visa" not in text and "0 ärenden" not in text
    assert text_of(soup.select_one("#result-count")) == "Vi kunde inte hämta dina ärenden just nu."
    form = soup.select_one("main form.retry-form")
    assert form["method"] == "get" and form["action"] == "/"
    assert text_of(form.select_one("button")) == "Försök igen"
    # The button works without JavaScript: the agencies are back, the cases come.
    private_world.admin("DELETE", "/faults")
    again = _home(client, form["action"])
    assert case_cards(again) and not [n for n in notices(again) if "svarade" in n]


def test_several_failing_agencies_make_one_notice(private_world, make_private_app):
    for slug in ("skatteverket", "forsakringskassan"):
        set_fault(private_world, slug, fault="down")
    client = make_private_app().test_client()
    login(client, SARA)
    soup = _home(client)
    warnings = [n for n in notices(soup) if "svarade inte" in n]
    assert warnings == ["Skatteverket, Försäkringskassan svarade inte; vi visar det vi hade sparat därifrån."]
    assert soup.select_one("main form.retry-form button")


# --- 4. reassurance and urgency ---------------------------------------------------------------------------------


def test_nothing_waiting_says_so_with_when_we_last_asked(client):
    login(client, OLLE)
    soup = _home(client)
    assert not soup.select("main .section--your-turn")
    line = text_of(soup.select_one("main .reassure"))
    assert re.fullmatch(r"Inget väntar på dig just nu\. Vi frågade myndigheterna senast \d+ \w+\.? \d{4} \d\d:\d\d\.",
                        line), line


def test_no_reassurance_when_something_is_your_turn(client):
    login(client, KARIN)
    soup = _home(client)
    assert soup.select("main .section--your-turn") and not soup.select("main .reassure")


def test_a_deadline_says_how_far_away_it_is(client):
    login(client, KARIN)
    soup = _home(client)
    card = soup.select_one("main .section--your-turn .case-card")
    assert card_fact(card, "Sista dag") == demo_deadline("2027-03-15")
    days = (dt.date.fromisoformat(card.select_one(".case-card__deadline time")["datetime"]) - clock.today()).days
    assert card_fact(card, "Sista dag").endswith(f"(om {days} dagar)")


def test_the_case_page_leads_with_what_to_do(client):
    login(client, KARIN)
    act_as(client, "Bohusläns Ostron AB")
    home = _home(client)
    link = next(a["href"] for a in home.select("main .case-card__title a") if "Strandskyddsdispens" in text_of(a))
    soup = page(client.get(link))
    todo = soup.select_one("main section.todo")
    assert text_of(todo.select_one("h2")) == "Det här behöver du göra"
    assert re.search(r"Sista dag: .+ \(om \d+ dag(ar)?\)", text_of(todo.select_one(".todo__deadline")))
    button = todo.select_one("a.button")
    assert button["href"].startswith("https://") and text_of(button).startswith("Gå till Länsstyrelsen")
    headings = [text_of(h) for h in soup.select("main h2")]
    assert headings.index("Det här behöver du göra") < headings.index("Det här har hänt")


# --- 6. the catalog for citizens ---------------------------------------------------------------------------------


def test_the_catalog_shows_names_first_and_codes_only_for_developers(client):
    login(client, KARIN)
    soup = page(client.get("/katalog"))
    for code in soup.select("main code"):
        assert code.find_parent("details", class_="for-developers") is not None, text_of(code)
    lst = soup.select_one("main section[aria-labelledby='catalog-lansstyrelsen']")
    first = lst.select_one(".catalog-tree > li")
    assert text_of(first.select_one(":scope > details > summary")).startswith("För utvecklare")
    for details in soup.select("main details.for-developers"):
        details.decompose()
    citizen = text_of(main(soup))
    assert "Behörighetskod" not in citizen and "LST.STRANDSKYDD" not in citizen
    assert text_of(first.select_one(":scope > .catalog-tree__case")) == "Strandskyddsdispens"


# --- 7. small things ---------------------------------------------------------------------------------------------


def test_the_log_in_hint_is_a_valid_personnummer(client):
    soup = page(client.get("/login"))
    hint = text_of(soup.select_one("#personnummer-hint"))
    number = re.search(r"\d{8}-\d{4}", hint).group()
    parse_person(number.replace("-", ""))  # raises on a wrong check digit


def test_a_bad_date_filter_shows_its_error_once(client):
    login(client, KARIN)
    for query in ("from=2026-13-45", "from=2026-13-45&to=2026-02-30", "from=2026-12-01&to=2026-01-01"):
        r = client.get(f"/?{query}")
        assert r.status_code == 400
        assert r.get_data(as_text=True).count("Datum skrivs ÅÅÅÅ-MM-DD") == 1, query


def test_the_menu_marks_the_current_page(client):
    login(client, KARIN)
    for path, label in [("/", "Översikt"), ("/livssituationer", "Livssituationer"), ("/katalog", "Katalog")]:
        soup = page(client.get(path))
        current = soup.select('nav.site-nav a[aria-current="page"]')
        assert [text_of(a) for a in current] == [label], path


def test_a_favicon_is_linked_and_served(client):
    soup = page(client.get("/login"))
    icon = soup.select_one('link[rel="icon"]')
    r = client.get(icon["href"])
    r.close()
    assert r.status_code == 200 and r.mimetype == "image/svg+xml"


def test_the_htmx_indicator_needs_no_inline_style(client):
    soup = page(client.get("/login"))
    config = json.loads(soup.select_one('meta[name="htmx-config"]')["content"])
    assert config["includeIndicatorStyles"] is False
    css = (ROOT / "static" / "css" / "portal.css").read_text(encoding="utf-8")
    assert ".htmx-request .htmx-indicator" in css
    login(client, KARIN)
    assert page(client.get("/")).select_one(".party-form .htmx-indicator") is not None


def test_the_readme_lists_the_demo_identities_make_demo_prints():
    printed = {i["pnr"] for i in json.loads((DATA / "_identiteter.json").read_text(encoding="utf-8"))["identiteter"]}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| who | personnummer |"):].split("\n\n")[0]
    listed = set(re.findall(r"^\|[^|]+\| (\d{12}) \|", table, re.MULTILINE))
    assert listed == printed


# --- 8. "Vem har tittat" (item 10) -------------------------------------------------------------------------------


def _audit_rows(client) -> list[str]:
    return [text_of(tr.select("td")[3]) for tr in page(client.get("/vem-har-tittat")).select("main tbody tr")]


def test_one_overview_visit_is_one_row_however_many_filters_and_refreshes(client):
    login(client, SARA)
    client.get("/")
    client.get("/?status=customer", headers={"HX-Request": "true"})  # a filter change with JavaScript
    client.get("/", headers={"HX-Request": "true"})  # the automatic refresh
    client.get("/?status=closed")  # a filter change without JavaScript
    assert _audit_rows(client).count("Öppnade översikten") == 1
    client.get("/livssituationer")
    client.get("/")  # a new visit
    assert _audit_rows(client).count("Öppnade översikten") == 2


def test_a_look_at_a_case_names_the_case_and_a_company_has_its_own_log(client):
    login(client, KARIN)
    act_as(client, "Bohusläns Ostron AB")
    home = _home(client)
    link = next(a["href"] for a in home.select("main .case-card__title a") if "Strandskyddsdispens" in text_of(a))
    client.get(link)
    soup = page(client.get("/vem-har-tittat"))
    assert text_of(soup.select_one("main h1")) == "Vem har tittat på ärendena för Bohusläns Ostron AB"
    rows = [text_of(tr.select("td")[3]) for tr in soup.select("main tbody tr")]
    assert rows[0] == "Öppnade ett ärende: Strandskyddsdispens"
    assert "Valde att företräda dig" in rows  # Karin's switch to the company, in the company's log
    # Back as herself: her own log, without the company's case.
    act_as(client, "du själv")
    own = page(client.get("/vem-har-tittat"))
    assert text_of(own.select_one("main h1")) == "Vem har tittat på dina ärenden"
    own_rows = [text_of(tr.select("td")[3]) for tr in own.select("main tbody tr")]
    assert "Öppnade ett ärende: Strandskyddsdispens" not in own_rows
    assert "Gick tillbaka till sina egna ärenden" in own_rows


# --- 9. language of agency texts (item 11) -----------------------------------------------------------------------


def test_swedish_agency_texts_on_an_english_page_say_so_once_and_carry_lang_sv(client):
    login(client, KARIN)
    client.get("/sprak/en")
    soup = _home(client)
    assert [text_of(n) for n in soup.select("main .lang-note")] == [
        "Some agencies write only in Swedish: their texts are shown in Swedish."]
    jordbruksverket = [c for c in case_cards(soup) if card_fact(c, "Agency") == "Jordbruksverket"]
    assert jordbruksverket
    for card in jordbruksverket:
        assert card.select_one(".case-card__facts span[lang]")["lang"] == "sv"
    case = page(client.get(jordbruksverket[0].select_one(".case-card__title a")["href"]))
    assert [text_of(n) for n in case.select("main .lang-note")] == [
        "Jordbruksverket writes only in Swedish: its texts are shown in Swedish."]
    for node in case.select("main .timeline__text"):
        assert node["lang"] == "sv"
    # In Swedish there is nothing to say.
    client.get("/sprak/sv")
    assert not _home(client).select("main .lang-note")


def test_agency_texts_follow_a_language_switch_at_once(client):
    """Skatteverket offers English: after a switch its cached Swedish texts are asked for again (not in 24 h)."""
    login(client, KARIN)

    def skatteverket_langs(soup) -> set[str]:
        return {c.select_one(".case-card__facts span[lang]")["lang"] for c in case_cards(soup)
                if card_fact(c, "Agency") == "Skatteverket" or card_fact(c, "Myndighet") == "Skatteverket"}

    assert skatteverket_langs(_home(client)) == {"sv"}
    client.get("/sprak/en")
    assert skatteverket_langs(_home(client)) == {"en"}
    client.get("/sprak/sv")
    assert skatteverket_langs(_home(client)) == {"sv"}


# --- 10. "Alla jag företräder" (item 9) ---------------------------------------------------------------------------


def test_everyone_i_represent_lists_what_waits_across_parties_by_deadline(private_world, make_private_app):
    client = make_private_app().test_client()
    login(client, KARIN)
    client.get("/")
    act_as(client, "Bohusläns Ostron AB")
    client.get("/")  # both parties' answers are in the cache now
    asked_before = private_world.output().count("/kundhandelseFragaSynkron")
    assert asked_before > 0  # the log does record the agencies' queries
    soup = page(client.get("/alla"))
    assert private_world.output().count("/kundhandelseFragaSynkron") == asked_before  # from the cache: no agency asked
    assert text_of(soup.select_one("main h1")) == "Alla jag företräder"
    cards = soup.select("main .across-list > li")
    parties = [text_of(c.select_one(".across-list__party strong")) for c in cards]
    assert sorted(set(parties)) == ["Bohusläns Ostron AB", "Karin Ström"]
    assert parties.count("Bohusläns Ostron AB") == 3 and parties.count("Karin Ström") == 1
    days = [c.select_one(".case-card__deadline time")["datetime"] for c in cards]
    assert days == sorted(days)  # earliest deadline first
    assert "Strandskyddsdispens" in [text_of(c.select_one(".case-card__title [lang]")) for c in cards]
    counts = {text_of(li.select_one("strong")): text_of(li) for li in soup.select("main .across-parties > li")}
    assert "3 väntar på dig" in counts["Bohusläns Ostron AB"] and "1 väntar på dig" in counts["Karin Ström"]
    # Each party opens with one press (the usual switch, a plain form): the company's overview.
    form = soup.select("main .across-parties form")[0]
    assert form["action"] == "/act-as" and form["method"] == "post"
    # Listing a customer's cases is a look at them: it is in the company's log.
    assert "Listade dina ärenden bland alla hen företräder" in [
        text_of(tr.select("td")[3]) for tr in page(client.get("/vem-har-tittat")).select("main tbody tr")]


def test_everyone_i_represent_respects_what_a_mandate_covers(client):
    login(client, EVA)
    for name in ("Kustbageriet AB",):
        act_as(client, name)
        client.get("/")
    soup = page(client.get("/alla"))
    for card in soup.select("main .across-list > li"):
        if text_of(card.select_one(".across-list__party strong")) == "Kustbageriet AB":
            assert card_fact(card, "Myndighet") == "Skatteverket"  # her mandate there covers Skatteverket only
