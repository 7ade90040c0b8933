"""config: the TOML file, PORTAL_* overrides, API keys from the environment, and clear errors."""

from __future__ import annotations

import pytest
from portal_builders import API_KEY, LST_ORGNR, OIDC_SECRET, SECRET, SKV_ORGNR, config_doc, producer_table

from portal import config as config_mod
from portal.config import (DEMO_API_KEY, DEMO_CONFIG, DEMO_OMBUD_CLIENT_SECRET, DEMO_SIGNATORY_KEY, ConfigError, load,
                           parse)

OMBUD_SECRET = "ombud-client-secret-" + "o" * 32
PROD_ENV = {"PORTAL_SECRET_KEY": SECRET, "MOCK_PRODUCER_API_KEY": API_KEY, "MINAOMBUD_CLIENT_SECRET": OMBUD_SECRET,
            "PORTAL_OIDC_CLIENT_SECRET": OIDC_SECRET}


def _error(doc, env=None, *, testing=True) -> str:
    with pytest.raises(ConfigError) as info:
        parse(doc, {} if env is None else env, testing=testing)
    return str(info.value)


# --- the shipped demo configuration --------------------------------------------------


def test_shipped_demo_config_loads_in_test_mode():
    cfg = load(DEMO_CONFIG, {}, testing=True)
    assert len(cfg.producers) == 8
    assert len(cfg.situations) == 3
    assert cfg.source == str(DEMO_CONFIG)
    assert [s.slug for s in cfg.situations] == ["starta-vattenbruk", "bli-foralder", "bygga-hus"]
    assert cfg.producer("skatteverket").orgnr == SKV_ORGNR
    assert cfg.producer("nowhere") is None
    assert all(p.url.startswith("http://127.0.0.1:8081/") for p in cfg.producers)
    assert all(len(p.orgnr) == 10 for p in cfg.producers)
    # Test mode without keys in the environment: the mock producers' key.
    assert {p.api_key for p in cfg.producers if p.auth == "api_key"} == {DEMO_API_KEY}
    assert cfg.ombud.client_secret == DEMO_OMBUD_CLIENT_SECRET
    assert cfg.ombud.scope == "fullmakt:hamta"
    assert cfg.ombud.url.endswith("/dfm/formedlare/v1") and cfg.ombud.token_url.endswith("/oauth2/token")
    assert cfg.signatory.api_key == DEMO_SIGNATORY_KEY and cfg.signatory.url.startswith("http://127.0.0.1:8081/")
    assert cfg.permissions == {"lantmateriet": {"LM": ("LM",)}}
    # An agency of each kind of consumer authentication.
    assert cfg.producer("tanum").auth_headers() == {"client_id": "mina-arenden-portal",
                                                    "client_secret": config_mod.DEMO_CLIENT_SECRET}
    assert cfg.producer("lantmateriet").auth_headers() == {"X-Gateway-Key": DEMO_API_KEY}
    assert cfg.producer("skatteverket").auth_headers() == {"X-API-Key": DEMO_API_KEY}
    assert cfg.settings.full_refresh_h == 24.0
    assert cfg.situations[0].name("en") == "Starting aquaculture"
    assert cfg.situations[0].name("sv") == "Starta vattenbruk"


def test_demo_config_is_the_default_file():
    cfg = load(None, {}, testing=True)
    assert cfg.source == str(DEMO_CONFIG)


def test_portal_config_env_names_the_file(tmp_path):
    path = tmp_path / "other.toml"
    path.write_text(DEMO_CONFIG.read_text(encoding="utf-8").replace('slug = "lantmateriet"', 'slug = "lm"')
                    .replace("[permissions.lantmateriet]", "[permissions.lm]"),
                    encoding="utf-8")
    cfg = load(None, {"PORTAL_CONFIG": str(path)}, testing=True)
    assert cfg.source == str(path)
    assert cfg.producer("lm") is not None


def test_minimal_document_parses():
    cfg = parse(config_doc(), {}, testing=True)
    assert [p.slug for p in cfg.producers] == ["skatteverket", "lansstyrelsen"]
    assert cfg.producers[0].timeout_s == 2.0  # defaults apply
    assert cfg.settings.fresh_s == 60.0
    assert cfg.situations[0].case_types == ("LST.VATTENBRUK", "SKV.MOMS")


# --- unknown keys ---------------------------------------------------------------------


def _with(doc, where, key, value="x"):
    if where == "top":
        doc[key] = value
    elif where in ("producer", "situation"):
        doc[where][-1][key] = value
    else:
        doc[where][key] = value
    return doc


@pytest.mark.parametrize("where,key,place", [
    ("top", "producers", "top level"),
    ("portal", "fresh", "[portal]"),
    ("producer", "urll", "[[producer]] #2"),
    ("ombud", "tiemout_s", "[ombud]"),
    ("situation", "prefixes", "[[situation]] #1"),
])
def test_unknown_key_is_named(where, key, place):
    message = _error(_with(config_doc(), where, key))
    assert key in message
    assert place in message


def test_api_key_in_the_file_is_refused():
    # Keys come from the environment only; a key written in the file is an unknown key.
    message = _error(_with(config_doc(), "producer", "api_key", API_KEY))
    assert "api_key" in message
    assert API_KEY not in message


# --- producers, ombud, situations ------------------------------------------------------


def test_missing_producer_url():
    doc = config_doc()
    del doc["producer"][0]["url"]
    message = _error(doc)
    assert "[[producer]] #1" in message and "url" in message


def test_missing_ombud_url():
    doc = config_doc()
    doc["ombud"] = {}
    assert "url" in _error(doc)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/skv", "127.0.0.1:8081/skv", "/skatteverket", "http://", "file:///x"])
def test_producer_url_must_be_absolute_http(url):
    doc = config_doc()
    doc["producer"][0]["url"] = url
    message = _error(doc)
    assert "[[producer]] #1 url" in message and "http" in message


def test_ombud_url_must_be_absolute_http():
    doc = config_doc()
    doc["ombud"]["url"] = "ftp://127.0.0.1/minaombud"
    assert "[ombud] url" in _error(doc)


@pytest.mark.parametrize("orgnr", [
    SKV_ORGNR[:-1] + str((int(SKV_ORGNR[-1]) + 1) % 10),  # check digit
    "202100544",  # too short
    "16" + SKV_ORGNR,  # the standard's 12-digit form is not Mina ombud's tredjeman
    "abcdefghij",
])
def test_bad_producer_orgnr(orgnr):
    doc = config_doc()
    doc["producer"][1]["orgnr"] = orgnr
    message = _error(doc)
    assert "[[producer]] #2 orgnr" in message


def test_duplicate_slug():
    doc = config_doc()
    doc["producer"].append(producer_table("skatteverket", "Skatteverket igen", LST_ORGNR))
    assert "slug" in _error(doc)


def test_bad_slug():
    doc = config_doc()
    doc["producer"][0]["slug"] = "skatte verket/../x"
    assert "slug" in _error(doc)


def test_no_producers():
    doc = config_doc()
    doc["producer"] = []
    assert "[[producer]]" in _error(doc)
    del doc["producer"]
    assert "[[producer]]" in _error(doc)


def test_producer_must_be_an_array_of_tables():
    doc = config_doc()
    doc["producer"] = {"slug": "skatteverket"}
    assert "[[producer]]" in _error(doc)


def test_missing_ombud_table():
    doc = config_doc()
    del doc["ombud"]
    assert "[ombud]" in _error(doc)


@pytest.mark.parametrize("case_types", [["lst.vattenbruk"], ["LST.VATTENBRUK."], ["LST VATTENBRUK"], [], ["Å.X"]])
def test_bad_situation_prefix(case_types):
    doc = config_doc()
    doc["situation"][0]["case_types"] = case_types
    message = _error(doc)
    assert "[[situation]] #1" in message and "case_types" in message


def test_portal_must_be_a_table():
    doc = config_doc()
    doc["portal"] = "fresh_s = 60"
    assert "[portal] must be a table" in _error(doc)


def test_portal_must_be_a_table_also_with_env_overrides():
    doc = config_doc()
    doc["portal"] = "fresh_s = 60"
    assert "[portal] must be a table" in _error(doc, PROD_ENV, testing=False)


def test_situation_case_types_must_be_strings():
    doc = config_doc()
    doc["situation"][0]["case_types"] = "LST.VATTENBRUK"
    assert "[[situation]] #1 case_types" in _error(doc)


@pytest.mark.parametrize("key,value", [("fresh_s", -1), ("fresh_s", "60"), ("fresh_s", True), ("page_size", 0),
                                       ("page_size", 1.5), ("demo", "yes"), ("database", "")])
def test_bad_setting_values_are_named(key, value):
    message = _error(config_doc(**{key: value}))
    assert f"[portal] {key}" in message


# --- files -----------------------------------------------------------------------------


def test_unreadable_file_names_it(tmp_path):
    path = tmp_path / "missing.toml"
    with pytest.raises(ConfigError) as info:
        load(path, {}, testing=True)
    assert str(path) in str(info.value)


def test_a_directory_is_not_a_config_file(tmp_path):
    with pytest.raises(ConfigError) as info:
        load(tmp_path, {}, testing=True)
    assert str(tmp_path) in str(info.value)


def test_invalid_toml_names_the_file(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('[portal]\nfresh_s = = 60\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load(path, {}, testing=True)
    assert str(path) in str(info.value)
    assert "TOML" in str(info.value)


# --- secret key and mode ----------------------------------------------------------------


def test_no_secret_key_outside_test_and_demo_mode():
    message = _error(config_doc(), {"MOCK_PRODUCER_API_KEY": API_KEY}, testing=False)
    assert "PORTAL_SECRET_KEY" in message


def test_demo_mode_from_env_allows_no_secret_key_and_uses_the_demo_api_key():
    cfg = parse(config_doc(), {"PORTAL_DEMO": "1"}, testing=False)
    assert cfg.settings.demo is True
    assert cfg.settings.secret_key == ""
    assert cfg.producers[0].api_key == DEMO_API_KEY


def test_demo_mode_from_the_file_allows_no_secret_key():
    cfg = parse(config_doc(demo=True), {}, testing=False)
    assert cfg.settings.demo


def test_portal_demo_0_is_not_demo_mode():
    message = _error(config_doc(), {"PORTAL_DEMO": "0", "MOCK_PRODUCER_API_KEY": API_KEY}, testing=False)
    assert "PORTAL_SECRET_KEY" in message


def test_production_config_with_secret_and_api_key():
    cfg = parse(config_doc(), PROD_ENV, testing=False)
    assert cfg.settings.secret_key == SECRET
    assert not cfg.settings.demo
    assert {p.api_key for p in cfg.producers} == {API_KEY}
    assert cfg.ombud.client_secret == OMBUD_SECRET
    assert cfg.signatory is None  # no [signatory] table: nobody is listed as a signatory


# --- env overrides -------------------------------------------------------------------------


def test_env_overrides_apply(tmp_path):
    db = str(tmp_path / "portal.db")
    cfg = parse(config_doc(representation_ttl_s=60, database="/var/lib/portal.db"),
                {**PROD_ENV, "PORTAL_REPRESENTATION_TTL_S": "0", "PORTAL_DATABASE": db, "PORTAL_PAGE_SIZE": "50",
                 "PORTAL_FRESH_S": "2.5"}, testing=False)
    assert cfg.settings.representation_ttl_s == 0.0
    assert cfg.settings.database == db
    assert cfg.settings.secret_key == SECRET
    assert cfg.settings.page_size == 50
    assert cfg.settings.fresh_s == 2.5


def test_env_override_beats_the_file():
    cfg = parse(config_doc(secret_key="from-the-file-0123456789abcdef"), PROD_ENV, testing=False)
    assert cfg.settings.secret_key == SECRET


def test_env_overrides_through_load():
    cfg = load(DEMO_CONFIG, {"PORTAL_TOTAL_DEADLINE_S": "1.5", "PORTAL_SECRET_KEY": SECRET}, testing=True)
    assert cfg.settings.total_deadline_s == 1.5
    assert cfg.settings.secret_key == SECRET


@pytest.mark.parametrize("name,value", [
    ("PORTAL_REPRESENTATION_TTL_S", "soon"),
    ("PORTAL_FRESH_S", "60s"),
    ("PORTAL_PAGE_SIZE", "5.5"),
    ("PORTAL_MAX_PAGES", "many"),
    ("PORTAL_DEMO", "maybe"),
])
def test_non_numeric_override_is_a_clear_error(name, value):
    message = _error(config_doc(), {**PROD_ENV, name: value}, testing=False)
    assert name in message
    assert value not in message.replace(name, "")  # names the variable; the value may be a secret


@pytest.mark.parametrize("name", ["PORTAL_FRESH_S", "PORTAL_TOTAL_DEADLINE_S"])
def test_nan_override_is_refused(name):
    message = _error(config_doc(), {**PROD_ENV, name: "nan"})
    assert name[len("PORTAL_"):].lower() in message


def test_negative_override_is_refused():
    message = _error(config_doc(), {**PROD_ENV, "PORTAL_FRESH_S": "-5"})
    assert "fresh_s" in message


def test_unrelated_env_is_ignored():
    cfg = parse(config_doc(), {**PROD_ENV, "PORTAL_NOT_A_SETTING": "x", "PORTAL_CONFIG": "/nowhere.toml"},
                testing=False)
    assert cfg.settings.secret_key == SECRET


# --- API keys -------------------------------------------------------------------------------


def test_api_key_read_from_the_env_var_named_by_api_key_env():
    doc = config_doc()
    doc["producer"][0]["api_key_env"] = "SKV_API_KEY"
    doc["ombud"]["client_secret_env"] = "OMBUD_SECRET"
    env = {**PROD_ENV, "SKV_API_KEY": "skv-key-" + "s" * 32, "OMBUD_SECRET": "ombud-secret-" + "o" * 32}
    cfg = parse(doc, env, testing=False)
    assert cfg.producer("skatteverket").api_key == env["SKV_API_KEY"]
    assert cfg.producer("lansstyrelsen").api_key == API_KEY  # the default variable
    assert cfg.ombud.client_secret == env["OMBUD_SECRET"]


def test_missing_producer_api_key_outside_demo_names_the_env_var():
    doc = config_doc()
    doc["producer"][1]["api_key_env"] = "LST_API_KEY"
    message = _error(doc, PROD_ENV, testing=False)
    assert "LST_API_KEY" in message
    assert "lansstyrelsen" in message


def test_missing_default_api_key_outside_demo_names_the_env_var():
    message = _error(config_doc(), {"PORTAL_SECRET_KEY": SECRET}, testing=False)
    assert "MOCK_PRODUCER_API_KEY" in message


def test_missing_ombud_client_secret_outside_demo_names_the_env_var():
    doc = config_doc()
    doc["ombud"]["client_secret_env"] = "OMBUD_SECRET"
    message = _error(doc, PROD_ENV, testing=False)
    assert "OMBUD_SECRET" in message and "[ombud]" in message


def test_ombud_client_secret_in_the_file_is_refused():
    message = _error(_with(config_doc(), "ombud", "client_secret", OMBUD_SECRET))
    assert "client_secret" in message and OMBUD_SECRET not in message


@pytest.mark.parametrize("key", ["token_url", "client_id"])
def test_ombud_needs_a_token_url_and_client_id(key):
    doc = config_doc()
    del doc["ombud"][key]
    assert key in _error(doc)


def test_signatory_source_has_its_own_section_url_and_key():
    doc = config_doc()
    doc["signatory"] = {"url": "https://foretag.example/api", "api_key_env": "FORETAG_KEY", "api_key_header": "X-Key"}
    cfg = parse(doc, {**PROD_ENV, "FORETAG_KEY": "foretag-key-" + "f" * 32}, testing=False)
    assert cfg.signatory.url == "https://foretag.example/api"
    assert cfg.signatory.api_key_header == "X-Key" and cfg.signatory.api_key == "foretag-key-" + "f" * 32
    message = _error(doc, PROD_ENV, testing=False)
    assert "FORETAG_KEY" in message and "[signatory]" in message
    doc["signatory"]["url"] = "ftp://foretag.example"
    assert "[signatory] url" in _error(doc)


def test_permission_mapping_per_agency():
    doc = config_doc()
    doc["permissions"] = {"skatteverket": {"3fa85f64-5717-4562-b3fc-2c963f66afa6": ["SKV.MOMS", "SKV.FSKATT"]}}
    cfg = parse(doc, PROD_ENV, testing=False)
    assert cfg.permissions == {"skatteverket": {"3fa85f64-5717-4562-b3fc-2c963f66afa6": ("SKV.MOMS", "SKV.FSKATT")}}


@pytest.mark.parametrize("table,named", [
    ({"nowhere": {"X": ["SKV"]}}, "nowhere"),
    ({"skatteverket": {"X": []}}, "X"),
    ({"skatteverket": {"X": ["skv.moms"]}}, "X"),
    ({"skatteverket": {"X": "SKV"}}, "X"),
    ({"skatteverket": ["SKV"]}, "[permissions.skatteverket]"),
])
def test_a_bad_permission_mapping_is_named(table, named):
    doc = config_doc()
    doc["permissions"] = table
    assert named in _error(doc)


def test_an_empty_api_key_variable_counts_as_missing():
    message = _error(config_doc(), {**PROD_ENV, "MOCK_PRODUCER_API_KEY": ""}, testing=False)
    assert "MOCK_PRODUCER_API_KEY" in message


def test_a_producers_key_header_name_is_configurable():
    doc = config_doc()
    doc["producer"][0].update(api_key_header="X-Gateway-Key", api_key_env="SKV_API_KEY")
    env = {**PROD_ENV, "SKV_API_KEY": "skv-key-" + "s" * 32}
    cfg = parse(doc, env, testing=False)
    assert cfg.producer("skatteverket").auth_headers() == {"X-Gateway-Key": env["SKV_API_KEY"]}
    assert cfg.producer("lansstyrelsen").auth_headers() == {"X-API-Key": API_KEY}


def test_client_headers_take_the_secret_from_the_env_var_the_config_names():
    doc = config_doc()
    doc["producer"][0].update(auth="client_headers", client_id="portal-1", client_secret_env="SKV_SECRET")
    env = {**PROD_ENV, "SKV_SECRET": "skv-secret-" + "s" * 32}
    cfg = parse(doc, env, testing=False)
    assert cfg.producer("skatteverket").auth_headers() == {"client_id": "portal-1", "client_secret": env["SKV_SECRET"]}
    assert env["SKV_SECRET"] not in repr(cfg.producer("skatteverket"))
    message = _error(doc, PROD_ENV, testing=False)  # the variable is not set
    assert "SKV_SECRET" in message and "skatteverket" in message


@pytest.mark.parametrize("change, words", [
    ({"auth": "oauth"}, ["auth", "api_key", "client_headers"]),
    ({"auth": "client_headers"}, ["client_id"]),
    ({"api_key_header": "X API Key"}, ["api_key_header"]),
    ({"client_secret": "in-the-file"}, ["client_secret"]),
])
def test_bad_producer_auth_is_named(change, words):
    doc = config_doc()
    doc["producer"][0].update(change)
    message = _error(doc)
    assert all(w in message for w in words), message


def test_test_mode_prefers_a_key_from_the_environment():
    cfg = parse(config_doc(), {"MOCK_PRODUCER_API_KEY": API_KEY}, testing=True)
    assert cfg.producers[0].api_key == API_KEY


def test_api_keys_never_appear_in_repr():
    doc = config_doc()
    doc["producer"][0]["api_key_env"] = "SKV_API_KEY"
    env = {**PROD_ENV, "SKV_API_KEY": "skv-key-" + "s" * 32}
    cfg = parse(doc, env, testing=False)
    for text in (repr(cfg), str(cfg), repr(cfg.producers), repr(cfg.ombud), repr(cfg.producer("skatteverket"))):
        assert API_KEY not in text
        assert OMBUD_SECRET not in text
        assert env["SKV_API_KEY"] not in text
    assert "SKV_API_KEY" in repr(cfg)  # the variable's name is fine to show


def test_secret_key_never_appears_in_repr():
    cfg = parse(config_doc(), PROD_ENV, testing=False)
    assert SECRET not in repr(cfg)
    assert SECRET not in repr(cfg.settings)


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)
    assert config_mod.ConfigError is ConfigError


# --- key strength and proxies ------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["Q", "short-secret", "a" * 31])
def test_a_short_secret_key_is_refused_outside_demo_mode(secret):
    message = _error(config_doc(), {**PROD_ENV, "PORTAL_SECRET_KEY": secret}, testing=False)
    assert "PORTAL_SECRET_KEY is too short" in message
    assert secret not in message.replace("PORTAL_SECRET_KEY", "")


@pytest.mark.parametrize("key", ["k", "0123456789abcde"])
def test_a_short_api_key_is_refused_outside_demo_mode(key):
    message = _error(config_doc(), {**PROD_ENV, "MOCK_PRODUCER_API_KEY": key}, testing=False)
    assert "MOCK_PRODUCER_API_KEY" in message and "too short" in message


def test_demo_mode_keeps_accepting_its_own_short_settings():
    cfg = parse(config_doc(), {"PORTAL_DEMO": "1", "PORTAL_SECRET_KEY": "demo", "MOCK_PRODUCER_API_KEY": "k"},
                testing=False)
    assert cfg.settings.secret_key == "demo"


def test_proxy_hops_default_to_none_and_are_set_by_file_or_env():
    assert parse(config_doc(), PROD_ENV, testing=False).settings.proxy_hops == 0
    assert parse(config_doc(proxy_hops=1), PROD_ENV, testing=False).settings.proxy_hops == 1
    assert parse(config_doc(), {**PROD_ENV, "PORTAL_PROXY_HOPS": "2"}, testing=False).settings.proxy_hops == 2
    assert "proxy_hops" in _error(config_doc(proxy_hops=-1), PROD_ENV, testing=False)


# --- [oidc]: the real e-ID ---------------------------------------------------------


def test_oidc_section_with_the_swedish_profile_defaults_and_the_secret_from_env():
    cfg = parse(config_doc(), PROD_ENV, testing=False)
    assert cfg.oidc.issuer == "https://eid.example.se" and cfg.oidc.client_id == "mina-arenden"
    assert cfg.oidc.client_secret == OIDC_SECRET
    assert cfg.oidc.identity_claims[0] == "https://id.oidc.se/claim/personalIdentityNumber"
    assert "https://id.oidc.se/scope/naturalPersonNumber" in cfg.oidc.scopes
    assert cfg.oidc.acr_values[0] == "http://id.elegnamnden.se/loa/1.0/loa3"
    assert OIDC_SECRET not in repr(cfg.oidc)


def test_a_broker_that_says_nin():
    doc = config_doc()
    doc["oidc"] |= {"identity_claims": ["nin"], "scopes": ["openid", "profile", "nin"],
                    "client_secret_env": "BROKER_SECRET"}
    cfg = parse(doc, {**PROD_ENV, "BROKER_SECRET": "b" * 24}, testing=False)
    assert cfg.oidc.identity_claims == ("nin",) and cfg.oidc.client_secret == "b" * 24


def test_outside_demo_mode_the_portal_needs_a_real_e_id():
    doc = config_doc()
    del doc["oidc"]
    message = _error(doc, PROD_ENV, testing=False)
    assert "no e-ID configured" in message and "[oidc]" in message and "PORTAL_DEMO=1" in message
    assert parse(doc, {"PORTAL_DEMO": "1"}, testing=False).oidc is None  # the demo may run on the mock alone


@pytest.mark.parametrize("change, env_change, words", [
    ({"issuer": "http://eid.example.se"}, {}, "[oidc] issuer must be an https URL outside demo mode"),
    ({"redirect_url": "http://portal.example.se/login/callback"}, {}, "[oidc] redirect_url must be an https URL"),
    ({"issuer": "eid.example.se"}, {}, "[oidc] issuer must be an absolute http(s) URL"),
    ({"scopes": ["profile"]}, {}, 'scopes must include "openid"'),
    ({"acr_values": []}, {}, "acr_values must name at least one"),
    ({"token_endpoint_auth": "private_key_jwt"}, {}, "token_endpoint_auth must be"),
    ({"colour": "blue"}, {}, "unknown key(s) in [oidc]: colour"),
    ({}, {"PORTAL_OIDC_CLIENT_SECRET": ""}, "env PORTAL_OIDC_CLIENT_SECRET (the client secret) is not set"),
    ({}, {"PORTAL_OIDC_CLIENT_SECRET": "short"}, "client secret in env PORTAL_OIDC_CLIENT_SECRET is too short"),
], ids=["http-issuer", "http-redirect", "not-a-url", "no-openid", "no-acr", "auth-method", "unknown-key",
        "no-secret", "short-secret"])
def test_bad_oidc_settings_stop_start_up_with_a_message(change, env_change, words):
    doc = config_doc()
    doc["oidc"] |= change
    assert words in _error(doc, {**PROD_ENV, **env_change}, testing=False)


def test_a_loopback_provider_may_use_http():
    doc = config_doc()
    doc["oidc"] |= {"issuer": "http://127.0.0.1:8082", "redirect_url": "https://portal.example.se/login/callback"}
    assert parse(doc, PROD_ENV, testing=False).oidc.issuer == "http://127.0.0.1:8082"
