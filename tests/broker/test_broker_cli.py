"""The broker's command line and its wire format, without processes: a malformed --broker is refused with
a message naming what is wrong, and a stream entry reads back as the batch that was written."""

from __future__ import annotations

import pytest

from app.broker import keys
from app.cli import main


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:6379", "scheme"),
        ("redis://", "names no host"),
        ("redis://127.0.0.1:99999", "port must be 1-65535"),
        ("redis://127.0.0.1:6379/x", "database must be a number from 0 to 15"),
        ("redis://127.0.0.1:6379/16", "database must be a number from 0 to 15"),
    ],
)
def test_a_malformed_broker_url_is_refused_naming_the_problem(
    url: str, why: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError, match=why):
        keys.check_url(url)
    for command in (["serve", "--no-history"], ["edge"]):
        assert main([*command, "--broker", url]) == 2
        assert why in capsys.readouterr().err


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379", "redis://cache.example:6380/3", "rediss://h:1/0"])
def test_well_formed_broker_urls_pass(url: str) -> None:
    assert keys.check_url(url) == url


def test_an_edge_needs_a_broker(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["edge"])
    assert exited.value.code == 2
    assert "--broker" in capsys.readouterr().err


def test_an_edge_on_a_public_address_needs_a_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["edge", "--host", "0.0.0.0", "--broker", "redis://127.0.0.1:6379"]) == 2
    assert "without a token" in capsys.readouterr().err


def test_a_stream_entry_reads_back_as_its_batch() -> None:
    events = [b'{"seq":5,"kind":"log","data":{"msg":"a\\nb"}}', b'{"seq":6,"kind":"log","data":{}}']
    raw = [b"5-1", [b"f", b"5", b"n", b"2", b"d", b"\n".join(events)]]
    entry = keys.Entry.parse(raw)
    assert (entry.id, entry.first, entry.events, entry.end) == (b"5-1", 5, events, False)
    end = keys.Entry.parse([b"7-1", [b"f", b"7", b"n", b"0", b"e", b"1"]])
    assert (end.first, end.events, end.end) == (7, [], True)
    with pytest.raises(ValueError, match="2 events, expected 3"):
        keys.Entry.parse([b"5-1", [b"f", b"5", b"n", b"3", b"d", b"\n".join(events)]])
    assert keys.entry_id(0) == "0-1"
