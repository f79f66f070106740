# SPDX-License-Identifier: Apache-2.0 OR MIT
"""The SDP ``a=key-mgmt`` and RTSP ``KeyMgmt`` helpers (RFC 4567): round trips of real
I_MESSAGEs, checked against Python's own base64, and their errors."""

from __future__ import annotations

import base64

import pytest

import mikey
from support import agree


@pytest.fixture
def exchange(psk_config, closing):
    """An initiator with its I_MESSAGE, and a fresh responder."""
    initiator, responder = closing(mikey.Session.initiator(psk_config), mikey.Session.responder(psk_config))
    initiator.add_srtp_stream(0x5D5D5D5D)
    return initiator, initiator.create_message(), responder


def test_sdp_round_trip(exchange):
    initiator, message, responder = exchange
    value = mikey.sdp_key_mgmt_encode(message)
    assert value == "mikey " + base64.b64encode(message).decode()
    assert mikey.sdp_key_mgmt_line(message) == "a=key-mgmt:" + value
    for text in (value, "a=key-mgmt:" + value + "\r\n", "key-mgmt: " + value, "  " + value + "  "):
        assert mikey.sdp_key_mgmt_decode(text) == message
    # What travelled through SDP still keys the responder.
    initiator.process_message(responder.process_message(mikey.sdp_key_mgmt_decode(mikey.sdp_key_mgmt_line(message))))
    agree(initiator, responder)


def test_sdp_short_and_binary_values():
    assert mikey.sdp_key_mgmt_encode(bytes([1, 0, 5, 0, 0xFF, 0xFE])) == "mikey AQAFAP/+"
    assert mikey.sdp_key_mgmt_decode("mikey AQAFAP/+") == bytes([1, 0, 5, 0, 0xFF, 0xFE])
    assert mikey.sdp_key_mgmt_decode(b"mikey AQID") == b"\x01\x02\x03"


@pytest.mark.parametrize(
    "value, error",
    [
        ("sdes AQID", mikey.UnsupportedError),
        ("kerberos AQAF", mikey.UnsupportedError),
        ("mikey !!!notbase64", mikey.MalformedError),
        ("mikey AQA*", mikey.MalformedError),
        ("mikey", mikey.MalformedError),
        (b"mikey \xff\xfe", mikey.MalformedError),  # not UTF-8
    ],
)
def test_sdp_decode_errors(value, error):
    with pytest.raises(error) as raised:
        mikey.sdp_key_mgmt_decode(value)
    assert raised.value.code == error.result
    assert raised.value.function == "mikey_sdp_key_mgmt_decode"


def test_rtsp_round_trip(exchange):
    initiator, message, responder = exchange
    data = base64.b64encode(message).decode()
    uri = "rtsp://cam/stream"
    value = mikey.rtsp_key_mgmt_encode(message, uri)
    assert value == f'prot=mikey; uri="{uri}"; data="{data}"'
    assert mikey.rtsp_key_mgmt_count(value) == 1
    assert mikey.rtsp_key_mgmt_decode(value) == message
    assert mikey.rtsp_key_mgmt_uri(value) == uri
    assert mikey.rtsp_key_mgmt_specs("KeyMgmt: " + value) == [mikey.RtspKeyMgmtSpec(uri, message)]
    with pytest.raises(mikey.InvalidArgumentError):
        mikey.rtsp_key_mgmt_decode(value, 1)
    with pytest.raises(mikey.InvalidArgumentError):
        mikey.rtsp_key_mgmt_uri(value, 1)
    initiator.process_message(responder.process_message(mikey.rtsp_key_mgmt_decode(value)))
    agree(initiator, responder)


def test_rtsp_without_uri_and_several_specs():
    first, second = b"\x01\x00\x01\x02", b"\x01\x00\xfe\xff\x00"
    bare = mikey.rtsp_key_mgmt_encode(first)
    assert bare == f'prot=mikey; data="{base64.b64encode(first).decode()}"'
    assert mikey.rtsp_key_mgmt_uri(bare) is None
    header = ", ".join(
        [bare, 'prot=other; data="AQID"', mikey.rtsp_key_mgmt_encode(second, "rtsp://cam/stream/track2")]
    )
    assert mikey.rtsp_key_mgmt_count(header) == 2  # the other protocol's spec is skipped
    assert mikey.rtsp_key_mgmt_specs(header) == [
        mikey.RtspKeyMgmtSpec(None, first),
        mikey.RtspKeyMgmtSpec("rtsp://cam/stream/track2", second),
    ]


def test_rtsp_errors():
    with pytest.raises(mikey.InvalidArgumentError):
        mikey.rtsp_key_mgmt_encode(b"\x01\x00", 'rtsp://"quoted"')
    with pytest.raises(mikey.InvalidArgumentError):
        mikey.rtsp_key_mgmt_encode(b"\x01\x00", "rtsp://cam/a\r\nInjected: yes")
    for value in ('prot=other; data="AQID"', 'prot=mikey; uri="x"', 'prot=mikey; data="*"', "garbage"):
        with pytest.raises(mikey.MalformedError):
            mikey.rtsp_key_mgmt_count(value)
    with pytest.raises(mikey.MalformedError):
        mikey.rtsp_key_mgmt_decode('prot=mikey; data="AQ*D"')
