"""NOTIFICATION#<eventId> records against moto, read back from the table itself."""

from tests.support.cfn import table_items


def test_record_sent_stores_every_attribute_as_a_string(repository, dynamodb, table):
    repository.record_sent(
        event_id="evt-1",
        order_id="ord-1",
        email="Jane.Doe@Example.com",
        template="confirmed",
        ses_message_id="ses-1",
        sent_at="2026-11-20T10:15:32.123+00:00",
    )

    stored = dynamodb.get_item(
        TableName=table.name, Key={"pk": {"S": "NOTIFICATION#evt-1"}}, ConsistentRead=True
    )["Item"]
    assert stored == {
        "pk": {"S": "NOTIFICATION#evt-1"},
        "eventId": {"S": "evt-1"},
        "orderId": {"S": "ord-1"},
        "email": {"S": "Jane.Doe@Example.com"},
        "template": {"S": "confirmed"},
        "sesMessageId": {"S": "ses-1"},
        "sentAt": {"S": "2026-11-20T10:15:32.123+00:00"},
    }


def test_record_sent_again_overwrites_the_record(repository, table):
    """A plain put: the idempotency record, not this one, guards against a second send."""
    sent = {"event_id": "evt-1", "order_id": "ord-1", "email": "a@b.co", "template": "confirmed"}
    repository.record_sent(**sent, ses_message_id="ses-1", sent_at="2026-11-20T10:15:32.123+00:00")
    repository.record_sent(**sent, ses_message_id="ses-2", sent_at="2026-11-20T10:16:00.000+00:00")

    [item] = table_items(table)
    assert item["sesMessageId"] == "ses-2"
