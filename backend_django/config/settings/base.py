"""Settings shared by every environment: one module per concern, composed here.

What differs between deployments comes from environment variables (or a
``.env`` file at the repository root): ``.env.example`` lists what an operator
sets. Every other setting is a constant in its module, with its default and
meaning in docs/operations.md, "Settings"; tests override them like any setting.

- ``environment``: ``env``, ``BASE_DIR``, ``VAR_DIR``, the ``.env`` file
- ``core``: debug, the site, the database, apps, middleware, static files, logs
- ``security``: secret key, hosts, proxies, logins and their limits, cookies, CSP
- ``mail``: outgoing email
- ``api``: REST framework, the OpenAPI schema, request body limits
- ``valkey``: the cache (and the Valkey every other part uses)
- ``celery``: broker, queues, time limits, Flower
- ``plans``: plan and batch limits, Undo
- ``upstreams``: each upstream's URL, timeouts, budget, freshness
- ``proxy``: retries, breakers, jobs, per-client limits, fair shares, warming
- ``sun``: sun and shade sampling
- ``sync``: the PowerSync backend
"""

from .api import *  # noqa: F403
from .celery import *  # noqa: F403
from .core import *  # noqa: F403
from .environment import *  # noqa: F403
from .mail import *  # noqa: F403
from .plans import *  # noqa: F403
from .proxy import *  # noqa: F403
from .security import *  # noqa: F403
from .sun import *  # noqa: F403
from .sync import *  # noqa: F403
from .upstreams import *  # noqa: F403
from .valkey import *  # noqa: F403
