"""The connector tests run the CLI as the file importer's tests do, on SQLite and PostgreSQL."""

from tests.sources.test_cli import cli_env  # noqa: F401 - a fixture, shared
