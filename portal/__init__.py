"""The Mina ärenden portal: a consumer of kundhändelser.

``create_app()`` reads the TOML config named by env ``PORTAL_CONFIG`` (the demo
config by default) with ``PORTAL_*`` overrides; ``flask --app portal run`` and
``gunicorn 'portal:create_app()'`` both work. Importing this package imports no
Flask, so ``portal.standard`` and ``portal.conformance`` stay free of it.
"""


def create_app(test_config: dict | None = None):
    """Build the Flask app (see ``portal.app``)."""
    from portal.app import create_app as build

    return build(test_config)
