"""Alembic's entry: migrations run on the connection the portal hands over (``portal.store.schema``).

There is no alembic.ini: ``portal.store.schema.upgrade`` builds the configuration, and
``flask --app portal db upgrade`` is the command an operator runs.
"""

from alembic import context

from portal.store.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=connection.dialect.name == "sqlite",
                  transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
