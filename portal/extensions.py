"""Flask extensions, created once here and bound to the app in ``create_app`` (``app._init_extensions``)."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect

import portal.ratelimit  # noqa: F401  registers the portaldb:// storage

login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
talisman = Talisman()
# Per client address, counted in the database (``portal.ratelimit``): one count across workers and instances. The
# database is given at init_app (``RATELIMIT_STORAGE_OPTIONS``); the limits are declared on the views they guard.
limiter = Limiter(get_remote_address, storage_uri="portaldb://", default_limits=[])
