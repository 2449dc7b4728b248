"""A throwaway database for one benchmark.

It is named ``bench_<NAME>``, not Django's ``test_<NAME>``, so a benchmark never drops the database
of a test run going on beside it against the same ``DATABASE_URL``."""

from django.db import connection


def create_throwaway_database() -> str:
    """Create a fresh, migrated database and switch to it; return the name to give back to
    ``connection.creation.destroy_test_db`` when done."""
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = f"bench_{old_name}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    return old_name
