"""The templates' Jinja environment: Flask's, with one template import made cheap.

Every ``{% from "components/macros.html" import ... %}`` asks Jinja whether the importing render has globals the
imported template lacks (``Template._get_default_module``): ``ctx.globals_keys - self.globals.keys()``. The right
side is a view of a ``ChainMap`` (the template's globals over the environment's), so the difference runs in
Python, a ``ChainMap`` look-up per global: about 30 µs per import, and a warm overview imported a dozen times.
That was a sixth of the overview's render (issue 16). The same difference
is taken here against each of the chain's dicts in C, with the same result; the rest is Jinja's.
"""

from __future__ import annotations

from collections import ChainMap

import jinja2
from flask.templating import Environment as FlaskEnvironment


# The portal's templates are a few dozen files, all used: each is kept for the life of the process in a plain dict.
# Jinja's default keeps 400 in an LRU whose look-up takes a lock and moves the name to the end of a deque, and a
# page looks templates up for every include and import (a dozen on a warm overview).
# ``{% keep %}``: portal/fragments.py.
OPTIONS = {"cache_size": -1, "extensions": ["portal.fragments.KeepExtension"]}


class Template(jinja2.Template):
    """A template whose imports find "no new globals" without walking a ``ChainMap`` in Python."""

    def _get_default_module(self, ctx=None):
        if ctx is not None and type(self.globals) is ChainMap:
            # The keys of the render's globals in none of this template's global dicts: as Jinja computes them.
            keys = ctx.globals_keys.difference(*self.globals.maps)
            if keys:  # the render has globals of its own: a fresh module that sees them (as Jinja does)
                return self.make_module({k: ctx.parent[k] for k in keys})
            ctx = None  # none: Jinja's cached module, as it would return
        return super()._get_default_module(ctx)


class Environment(FlaskEnvironment):
    template_class = Template
