"""Pages that only show things answer a POST with 405, rather than rendering as for a GET."""

from __future__ import annotations

import pytest

from tests.factories import DeadLetterFactory, TransactionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def urls(pair, order_flow) -> list[str]:
    row = TransactionFactory(flow=order_flow)
    letter = DeadLetterFactory(flow=order_flow)
    return ["/", "/integrations/", f"/integrations/{pair.pk}/", "/connections/",
            f"/connections/{pair.brightpearl_id}/", "/transactions/",
            f"/transactions/{row.pk}/", "/dead-letters/", f"/dead-letters/{letter.pk}/",
            "/operations/", f"/flows/{order_flow.pk}/mapping/",
            f"/flows/{order_flow.pk}/mapping/versions/", "/settings/", "/alerts/",
            "/api-keys/", "/team/", "/billing/"]


def test_read_only_pages_refuse_a_post_and_still_answer_a_get(editor, urls):
    for url in urls:
        assert editor.get(url).status_code == 200, url
        assert editor.post(url, {}).status_code == 405, url
