"""`make run`'s environment: what it sets for the developer, and what it leaves alone."""

from scripts.devrun.common import read_options
from scripts.run import prepare_environment


def test_links_point_where_make_run_serves_unless_site_url_is_set():
    """A status link or an email's link must open the running helpdesk, on whatever port."""
    environ = {"PORT": "8300", "SECRET_KEY": "set", "DEBUG": "false"}
    prepare_environment(environ, set(environ), read_options(environ))
    assert environ["SITE_URL"] == "http://127.0.0.1:8300"

    chosen = {"PORT": "8300", "SECRET_KEY": "set", "SITE_URL": "https://help.example.com"}
    prepare_environment(chosen, set(chosen), read_options(chosen))
    assert chosen["SITE_URL"] == "https://help.example.com"
