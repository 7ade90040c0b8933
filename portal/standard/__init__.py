"""The Mina ärenden standard (kundhändelser 6.1) as code: schemas, models, rules.

Free of Flask: the portal, the mock producers and the conformance kit all use it.
Modules: ``identity`` (personnummer and friends), ``tidpunkt`` (times),
``eventtypes`` (type codes and prefixes), ``ballholder``, ``schemas`` (JSON
Schema validation), ``models`` (event, part), ``response`` (reading a producer's
answer), ``query`` (the query operation's request and semantics), ``mandates``
(Mina ombud rules), ``openapi`` (the producer API document).
"""

VERSION = "6.1"
