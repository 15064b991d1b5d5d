"""moto's server as the emulator runs it: HTTP/1.1 connections stay open between AWS calls."""

import http.client
import inspect
import json

import pytest
from werkzeug.serving import WSGIRequestHandler

from localrun.emulator import _MotoServer

LIST_TABLES = {
    "X-Amz-Target": "DynamoDB_20120810.ListTables",
    "Content-Type": "application/x-amz-json-1.0",
    "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/"
    "aws4_request, SignedHeaders=host, Signature=0",
}


def test_werkzeug_still_discards_leftovers_through_connection_and_rfile():
    body = inspect.getsource(WSGIRequestHandler.run_wsgi)
    assert "selector.register(self.connection" in body and "self.rfile.read(" in body, (
        "werkzeug's run_wsgi no longer discards what the socket holds after a response through "
        "self.connection and self.rfile: re-check _KeepAliveRequestHandler in localrun/emulator.py"
    )
    assert 'self.send_header("Connection", "close")' in body


@pytest.fixture
def server():
    moto = _MotoServer()
    host, port = moto.start()
    yield host, port
    moto.stop()


def test_requests_with_a_body_share_one_connection(server):
    connection = http.client.HTTPConnection(*server, timeout=10)
    for _ in range(3):
        connection.request("POST", "/", body=json.dumps({"Limit": 5}), headers=LIST_TABLES)
        reply = connection.getresponse()
        assert (reply.status, json.loads(reply.read())) == (200, {"TableNames": []})
        assert reply.getheader("Connection") is None
    connection.close()


def test_an_http_1_0_request_still_gets_its_connection_closed(server):
    connection = http.client.HTTPConnection(*server, timeout=10)
    connection._http_vsn, connection._http_vsn_str = 10, "HTTP/1.0"
    connection.request("POST", "/", body=b"{}", headers=LIST_TABLES)
    reply = connection.getresponse()
    assert reply.status == 200 and reply.getheader("Connection") == "close"
    reply.read()
    connection.close()
