"""Contract tests: invoice, customer and item lists with an entity key."""


def test_lists_and_a_json_query_filter(si, entity, entity_key):
    with_key = si.with_key(entity_key)
    invoices = with_key.invoices_page(entity.id)
    assert invoices.total == 3 and all(i["id"].startswith("inv_") for i in invoices.data)
    overdue = with_key.invoices_page(entity.id, query={"date_due": {"lt": "2026-12-01"}})
    assert [i["number"] for i in overdue.data] == ["2026-001"]
    assert with_key.customers_page(entity.id).total == 2
    page = with_key.items_page(entity.id, limit=1)
    assert (len(page.data), page.has_more) == (1, True)
