"""NOTIFICATION#<eventId> records against moto."""


def test_record_sent_then_get(repository):
    repository.record_sent(
        event_id="evt-1",
        order_id="ord-1",
        email="Jane.Doe@Example.com",
        template="confirmed",
        ses_message_id="ses-1",
        sent_at="2026-11-20T10:15:32+00:00",
    )

    assert repository.get("evt-1") == {
        "pk": "NOTIFICATION#evt-1",
        "eventId": "evt-1",
        "orderId": "ord-1",
        "email": "Jane.Doe@Example.com",
        "template": "confirmed",
        "sesMessageId": "ses-1",
        "sentAt": "2026-11-20T10:15:32+00:00",
    }


def test_get_unknown_event_is_none(repository):
    assert repository.get("evt-missing") is None
