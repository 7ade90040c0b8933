"""The notice e-mails: plain text plus simple HTML, in the recipient's language, with nothing sensitive.

A notice says only *that* something needs attention, for "you" or for a company or
customer by the name the user chose; never which case, never an agency's text,
never an identity number. Its link leads to the log-in page and carries no identity.
Every message has a one-click stop (RFC 8058).
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from portal.notice_triggers import CLOSED, DUE1, DUE7, KINDS, TURN


def _kind_text(kind: str) -> str:
    return {
        TURN: _("an agency is waiting for something from you"),
        DUE7: _("a last day is a week away or less"),
        DUE1: _("a last day is today or tomorrow"),
        CLOSED: _("an agency has closed a case"),
    }[kind]


def summarise(triggers) -> list[tuple[str, list[str]]]:
    """(party name or "" for the user themself, the kinds in the message's order) per party, the user first."""
    per_party: dict[str, tuple[str, set[str]]] = {}
    for party, name, kind in triggers:
        per_party.setdefault(party, (name, set()))[1].add(kind)
    rows = [(name, [k for k in KINDS if k in kinds]) for name, kinds in per_party.values()]
    return sorted(rows, key=lambda r: (r[0] != "", r[0]))


def notice(*, key: str, sender: str, address: str, language: str, triggers, login_url: str, stop_url: str,
           summary: bool) -> EmailMessage:
    """A notice (or the day's summary) of the triggers (party, party name, kind)."""
    with force_locale(language):
        subject = _("Something in My cases needs your attention")
        intro = _("Here is today's summary from My cases.") if summary else \
            _("Something has happened in your cases at the agencies.")
        lines = []
        for name, kinds in summarise(triggers):
            who = _("For you") if not name else _("For %(name)s", name=name)
            lines.append((who, [_kind_text(k) for k in kinds]))
        login = _("Log in to My cases to see what it is:")
        why = _("You get this message because you asked for notices in My cases.")
        stop = _("Stop all notices:")
        text = [intro, ""]
        for who, kinds in lines:
            text.append(f"{who}: " + "; ".join(kinds) + ".")
        text += ["", login, login_url, "", why, stop, stop_url, ""]
        html = [f'<!doctype html><html lang="{language}"><head><meta charset="utf-8"><title>{escape(subject)}</title>'
                f"</head><body><p>{escape(intro)}</p><ul>"]
        html += [f"<li>{escape(who)}: {escape('; '.join(kinds))}.</li>" for who, kinds in lines]
        html.append(f'</ul><p>{escape(login)} <a href="{escape(login_url)}">{escape(login_url)}</a></p>'
                    f'<p>{escape(why)} <a href="{escape(stop_url)}">{escape(stop)}</a></p></body></html>')
    return _message(key, sender, address, language, subject, "\n".join(text), "".join(html), stop_url)


def confirmation(*, key: str, sender: str, address: str, language: str, confirm_url: str,
                 stop_url: str) -> EmailMessage:
    """The message that confirms an address: nothing else is sent to it until its link is used."""
    with force_locale(language):
        subject = _("Confirm your e-mail address for notices from My cases")
        intro = _("Someone asked for notices from My cases to this address. To confirm, open this link and log in:")
        ignore = _("If it was not you, ignore this message: nothing more is sent to this address.")
        stop = _("Stop all notices:")
        text = "\n".join([intro, confirm_url, "", ignore, "", stop, stop_url, ""])
        html = (f'<!doctype html><html lang="{language}"><head><meta charset="utf-8"><title>{escape(subject)}</title>'
                f'</head><body><p>{escape(intro)}</p><p><a href="{escape(confirm_url)}">{escape(confirm_url)}</a></p>'
                f'<p>{escape(ignore)}</p><p><a href="{escape(stop_url)}">{escape(stop)}</a></p></body></html>')
    return _message(key, sender, address, language, subject, text, html, stop_url)


def _message(key, sender, address, language, subject, text, html, stop_url) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = address
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    # The same Message-ID on every attempt of one outbox row: a mail client shows a duplicate only once.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "mina-arenden.invalid"
    msg["Message-ID"] = f"<{key}@{domain}>"
    msg["Content-Language"] = language
    msg["List-Unsubscribe"] = f"<{stop_url}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg
