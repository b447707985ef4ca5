import pytest

from tests.api.casekit import TODAY


@pytest.fixture(autouse=True)
def pinned_today(app):
    """Case tests run on a fixed business date so that deadlines are checked by hand."""
    original = app.state.today
    app.state.today = lambda: TODAY
    yield TODAY
    app.state.today = original
