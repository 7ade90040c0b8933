"""Producer checks of the query's meaning: order, prefixes, tags, dates, sorting, paging, parts."""

from __future__ import annotations

from portal.standard.eventtypes import matches_any
from portal.standard.models import Part
from portal.standard.query import SORT_ATTRIBUTES

from .producer_context import (
    MAX_PAGES,
    MULTI_SORTS,
    NO_SUCH_PREFIX,
    NO_SUCH_TAG,
    PAGINGS,
    TEXT_ATTRIBUTES,
    Customer,
    ProducerContext,
    check,
    events_of,
    fitting_collations,
    ids,
    is_sorted_any_collation,
    local_day,
    members_line,
    order_problem,
    same_members,
    sort_label,
    sorts_text,
    total_of,
)
from .report import RECOMMENDED, REQUIRED, Evidence


@check("semantics.default-order", REQUIRED, "Without sorting, events come newest first")
def default_order(ctx: ProducerContext, ev: Evidence):
    for cust, events in ctx.with_data(ev):
        problem = order_problem(events, (("TIDPUNKT", False),))
        ev.expect(problem is None, f"{cust.label}, baseline of {len(events)} events: "
                                   + (problem or "newest first"))


@check("semantics.type-prefix", REQUIRED,
       "kundhandelseTyper filters by prefix at a segment boundary, consistently with the unfiltered answer")
def type_prefix(ctx: ProducerContext, ev: Evidence):
    for cust, events in ctx.with_data(ev):
        types = list(dict.fromkeys(e.get("kundhandelseTyp") for e in events
                                   if isinstance(e.get("kundhandelseTyp"), str)))
        askings: list[list[str]] = [[NO_SUCH_PREFIX]]
        if types:
            case_types = list(dict.fromkeys(t.rsplit(".", 1)[0] for t in types))
            askings += [[types[0].split(".")[0]], [case_types[0]], [types[0]], case_types[:2]]
            cut = next((t for t in types if len(t.rsplit(".", 1)[-1]) > 1), None)
            if cut:
                askings.append([cut[:-1]])  # a string prefix that is no segment boundary
        for prefixes in askings:
            ex = ctx.ask(cust, f"kundhandelseTyper={prefixes}", kundhandelseTyper=prefixes)
            got = events_of(ex)
            wrong = [e for e in got if not matches_any(str(e.get("kundhandelseTyp")), prefixes)]
            expected = [e for e in events if matches_any(str(e.get("kundhandelseTyp")), prefixes)]
            ok = not wrong and same_members(got, expected)
            detail = (f"; types outside the prefixes: {sorted({str(e.get('kundhandelseTyp')) for e in wrong})[:5]}"
                      if wrong else "")
            ev.expect(ok, f"{cust.label}: " + members_line(f"kundhandelseTyper={prefixes}", got, expected) + detail)


@check("semantics.tags", REQUIRED,
       "taggar returns events with at least one asked tag, consistently with the unfiltered answer")
def tags(ctx: ProducerContext, ev: Evidence):
    for cust, events in ctx.with_data(ev):
        # Answers need not carry taggar (the reference producer leaves them out): then only a tag nobody has can be
        # judged, and the asked tags cannot be checked per event.
        known = list(dict.fromkeys(t for e in events for t in (e.get("taggar") or []) if isinstance(t, str)))
        askings = [[NO_SUCH_TAG]] + ([known[:1]] if known else []) + ([known[:2]] if len(known) > 1 else [])
        for asked in askings:
            ex = ctx.ask(cust, f"taggar={asked}", taggar=asked)
            got = events_of(ex)
            wrong = [e for e in got if not set(asked) & set(e.get("taggar") or [])]
            expected = [e for e in events if set(asked) & set(e.get("taggar") or [])]
            detail = f"; events without an asked tag: {ids(wrong)[:5]}" if wrong else ""
            ev.expect(not wrong and same_members(got, expected),
                      f"{cust.label}: " + members_line(f"taggar={asked}", got, expected) + detail)
        if not known:
            ev.ok(f"{cust.label}: the answers carry no taggar, so only a tag no event has was asked")


@check("semantics.dates", REQUIRED,
       "startDatum/slutDatum are inclusive Swedish local dates, consistently with the unfiltered answer")
def dates(ctx: ProducerContext, ev: Evidence):
    for cust, events in ctx.with_data(ev):
        days = sorted(d for e in events if (d := local_day(e)) is not None)
        if not days:
            continue
        mid = days[len(days) // 2]
        for start, slut in ((mid, mid), (mid, None), (None, mid), (days[0], days[-1])):
            fraga = {k: v.isoformat() for k, v in (("startDatum", start), ("slutDatum", slut)) if v}
            ex = ctx.ask(cust, " ".join(f"{k}={v}" for k, v in fraga.items()), **fraga)
            got = events_of(ex)

            def inside(e, start=start, slut=slut):
                d = local_day(e)
                return d is not None and (start is None or d >= start) and (slut is None or d <= slut)
            wrong = [e for e in got if not inside(e)]
            expected = [e for e in events if inside(e)]
            detail = (f"; outside the window: {[(e.get('kundhandelseId'), e.get('tidpunkt')) for e in wrong][:3]}"
                      if wrong else "")
            ev.expect(not wrong and same_members(got, expected),
                      f"{cust.label}: " + members_line(str(fraga), got, expected) + detail)


def _sortings() -> list[tuple]:
    return [((a, s),) for a in SORT_ATTRIBUTES for s in (True, False)] + list(MULTI_SORTS)


@check("semantics.sort-order", REQUIRED,
       "sortering orders by each attribute and direction and keeps every event (text in any collation)")
def sort_order(ctx: ProducerContext, ev: Evidence):
    for cust, events in ctx.with_data(ev):
        good = 0
        for sorting in _sortings():
            got = events_of(ctx.sorted_answer(cust, sorting))
            # Text order is the producer's database collation: here only the members count; semantics.text-order
            # and semantics.swedish-order judge the order, as recommendations.
            problem = None if sorts_text(sorting) else is_sorted_any_collation(got, sorting)
            if problem or not same_members(got, events):
                ev.bad(f"{cust.label}, sorted {sort_label(sorting)}: "
                       + (problem or members_line("members", got, events)))
            else:
                good += 1
        if good:
            ev.ok(f"{cust.label}: {good} sortings of {len(events)} events in order "
                  f"(every attribute both ways, and {len(MULTI_SORTS)} two-attribute sortings)")


def _text_sortings():
    return [((attribut, ascending),) for attribut in TEXT_ATTRIBUTES for ascending in (True, False)]


@check("semantics.text-order", RECOMMENDED,
       "Text attributes sort in a recognisable collation (Swedish, accent-insensitive, case-insensitive or code point)")
def text_order(ctx: ProducerContext, ev: Evidence):
    for cust, events in ctx.with_data(ev):
        for sorting in _text_sortings():
            got = events_of(ctx.sorted_answer(cust, sorting))
            fitting = fitting_collations(got, sorting)
            ev.expect(bool(fitting), f"{cust.label}, sorted {sort_label(sorting)}: "
                                     + (f"fits {' / '.join(fitting)} order" if fitting
                                        else order_problem(got, sorting) + " (and no other recognised collation)"))


@check("semantics.swedish-order", RECOMMENDED,
       "Text attributes sort in Swedish order (å, ä, ö after z, case-insensitive); other orders are accepted")
def swedish_order(ctx: ProducerContext, ev: Evidence):
    for cust, events in ctx.with_data(ev):
        for sorting in _text_sortings():
            got = events_of(ctx.sorted_answer(cust, sorting))
            problem = order_problem(got, sorting)
            other = [name for name in fitting_collations(got, sorting) if name != "Swedish"]
            ev.expect(problem is None, f"{cust.label}, sorted {sort_label(sorting)}: "
                                       + (f"{problem}; looks like {' / '.join(other)} order" if problem and other
                                          else problem or "Swedish order"))


def _paged(ctx: ProducerContext, cust: Customer, sorting: tuple, limit: int):
    """(unpaged sorted events, page size, pages) for one paging scenario; pages grow to stay within MAX_PAGES."""
    whole = events_of(ctx.sorted_answer(cust, sorting))
    limit = max(limit, -(-len(whole) // (MAX_PAGES - 1)))
    return whole, limit, ctx.pages(cust, sorting, limit, len(whole))


@check("paging.consistency", REQUIRED, "Pages concatenated equal the unpaged sorted answer; past the end is empty")
def paging_consistency(ctx: ProducerContext, ev: Evidence):
    for cust, _ in ctx.with_data(ev):
        for sorting, limit in PAGINGS:
            whole, limit, pages = _paged(ctx, cust, sorting, limit)
            joined = [e for p in pages for e in events_of(p)]
            label = f"{cust.label}, pages of {limit} sorted {sort_label(sorting)}"
            if ids(joined) == ids(whole):
                ev.ok(f"{label}: {len(pages)} pages give the same {len(whole)} events in the same order")
            else:
                ev.bad(f"{label}: pages give {ids(joined)[:12]}, the unpaged answer {ids(whole)[:12]}")
            last = events_of(pages[-1])
            ev.expect(not last, f"{label}: the page past the end has {len(last)} events, expected none")


@check("paging.totals", REQUIRED,
       "totaltAntalKundhandelser counts before paging: equal on every page and to the unpaged count")
def paging_totals(ctx: ProducerContext, ev: Evidence):
    for cust, events in ctx.with_data(ev):
        total = total_of(cust.baseline)
        ev.expect(total == len(events), f"{cust.label}, baseline: total {total}, {len(events)} events returned")
        for sorting, limit in PAGINGS:
            whole, limit, pages = _paged(ctx, cust, sorting, limit)
            totals = [total_of(p) for p in pages]
            ok = all(t == len(whole) for t in totals)
            ev.expect(ok, f"{cust.label}, pages of {limit} sorted {sort_label(sorting)}: totals {totals}, "
                          f"expected {len(whole)} on every page")


@check("semantics.part", REQUIRED,
       "Each answer has one entry per asked part, in order, echoing it; events concern that part; no duplicates")
def parts(ctx: ProducerContext, ev: Evidence):
    checked = 0
    for ex in ctx.answers():
        asked = ex.sent["fraga"].get("parter") or []
        body = ex.json
        entries = body.get("kundhandelser") if isinstance(body, dict) else None
        if not isinstance(entries, list) or len(entries) != len(asked):
            ev.bad(f"{ex.brief()}: {len(entries) if isinstance(entries, list) else 'no'} entries "
                   f"for {len(asked)} asked parts")
            continue
        for i, (entry, part) in enumerate(zip(entries, asked)):
            if not isinstance(entry, dict) or entry.get("part") != part:
                ev.bad(f"{ex.brief()}: kundhandelser[{i}].part does not echo the asked part")
                continue
            events = entry.get("kundhandelserForPart") if isinstance(entry.get("kundhandelserForPart"), list) else []
            asked_part = Part.from_json(part)
            foreign = [e.get("kundhandelseId") for e in events if not _covers(asked_part, e)]
            if foreign:
                ev.bad(f"{ex.brief()}: kundhandelser[{i}] has events about another part: {foreign[:5]}")
            found = ids(events)
            doubles = sorted({str(x) for x in found if found.count(x) > 1})
            if doubles:
                ev.bad(f"{ex.brief()}: kundhandelser[{i}] repeats kundhandelseId {doubles[:5]}")
        checked += 1
    if checked:
        ev.ok(f"{checked} answers checked")


def _covers(asked: Part, event: dict) -> bool:
    """An event without ``part`` concerns its group's part (so answers the reference producer); one with it must."""
    if "part" not in event:
        return True
    try:
        return asked.covers(Part.from_json(event["part"]))
    except (KeyError, TypeError, AttributeError):
        return False
