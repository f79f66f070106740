# SPDX-License-Identifier: Apache-2.0 OR MIT
"""The constants of include/mikey.h, as Python enums (same numbers as the C macros)."""

from __future__ import annotations

import enum

#: ``MIKEY_MAX_MESSAGE_LEN``: the longest message the library takes or makes, in bytes.
MAX_MESSAGE_LEN = 16384
#: ``MIKEY_MCPTT_UID_LEN``: the length of a UID (:func:`mikey.mcptt_uid`).
MCPTT_UID_LEN = 32
#: ``MIKEY_MCPTT_STATUS_NOT_REVOKED``: bit 0 of :attr:`McpttKeyParameters.status`.
MCPTT_STATUS_NOT_REVOKED = 1


class Result(enum.IntEnum):
    """``mikey_result`` codes (``MIKEY_OK``, ``MIKEY_ERR_*``)."""

    OK = 0
    ERR_INVALID_ARGUMENT = 1
    ERR_BUFFER_TOO_SMALL = 2
    ERR_MALFORMED = 3
    ERR_UNSUPPORTED = 4
    ERR_AUTH_FAILED = 5
    ERR_REPLAY = 6
    ERR_TIMESTAMP = 7
    ERR_POLICY = 8
    ERR_STATE = 9
    ERR_PEER_ERROR = 10
    ERR_CRYPTO = 11
    ERR_PANIC = 12

    @property
    def c_name(self) -> str:
        """The C macro's name, e.g. ``MIKEY_ERR_AUTH_FAILED``."""
        return "MIKEY_" + self.name


class Method(enum.IntEnum):
    """``MIKEY_METHOD_*``: key-management methods (:class:`mikey.Config`)."""

    PSK = 0
    NULL = 1
    PK = 2
    DH_SIGN = 3
    DH_HMAC = 4
    RSA_R = 5
    TICKET = 6  # MIKEY-TICKET (RFC 6043); the KMS is :class:`mikey.Kms`
    SAKKE = 7


class Role(enum.IntEnum):
    """``MIKEY_ROLE_*``."""

    INITIATOR = 0
    RESPONDER = 1


class State(enum.IntEnum):
    """``MIKEY_STATE_*``: where a session stands. ``WAIT_KMS`` (MIKEY-TICKET): the message the
    session just gave goes to the KMS, and the KMS's answer to ``process_message``."""

    IDLE = 0
    WAIT_RESPONSE = 1
    ESTABLISHED = 2
    FAILED = 3
    WAIT_KMS = 4
    INVALID = 255


class KmsExchange(enum.IntEnum):
    """``MIKEY_KMS_*``: which exchange a MIKEY-TICKET KMS's authorize callback decides on
    (:meth:`mikey.Kms.set_authorize`)."""

    #: A Ticket Request: may the client (the initiator) have a ticket to the responder?
    REQUEST = 0
    #: A Ticket Resolve: may the client (the responder) resolve a ticket the initiator got?
    RESOLVE = 1


class DhGroup(enum.IntEnum):
    """``MIKEY_DH_GROUP_*`` (RFC 3830 Table 6.4)."""

    OAKLEY5 = 0
    OAKLEY1 = 1
    OAKLEY2 = 2


class SignatureScheme(enum.IntEnum):
    """``MIKEY_SIGNATURE_*``: how PK, DH-SIGN and RSA-R sign."""

    PKCS1_SHA1 = 0
    PKCS1_SHA256 = 1
    PSS_SHA1 = 2
    PSS_SHA256 = 3


class SsrcType(enum.IntEnum):
    """``MIKEY_SSRC_*``: :attr:`SrtpKeys.ssrc_type`, libsrtp's ``srtp_ssrc_type_t`` numbers."""

    SPECIFIC = 1
    ANY_INBOUND = 2
    ANY_OUTBOUND = 3


class Interop(enum.IntFlag):
    """``MIKEY_INTEROP_*``: interop switches for :meth:`Config.set_interop` (README,
    "Interop switches")."""

    NONE = 0
    GSTREAMER_SP_LAYOUT = 1
    TRAILING_PADDING_BYTE = 2
    MANDATORY_MKI_4 = 4
    TEK_WITH_CONCATENATED_SALT = 8
    SSRC_ZERO = 16
    MINISIP_SHA1_SIGNATURES = 32
    MINISIP_PRF = 64
    MINISIP_DH_HMAC_WITHOUT_IDR = 128
    MINISIP_RESPONSES = 256
    MINISIP_ENVELOPE_KEY = 512
    SAKKE_SIGNATURE_WITHOUT_HEADER = 1024
    SAKKE_UID_AS_HEX_TEXT = 2048
    SAKKE_LEGACY_KEY_PARAMETERS = 4096
    SAKKE_STATUS_ZERO = 8192
    SAKKE_UIDS_IN_ROLES_1_2 = 16384
    SAKKE_STREAMWIDE_HASH = 32768

    #: Both switches GStreamer (and gst-rtsp-server) needs from a NULL initiator.
    GSTREAMER = GSTREAMER_SP_LAYOUT | TEK_WITH_CONCATENATED_SALT


class Profile(enum.IntEnum):
    """SRTP protection profiles as ``mikey_srtp_policy.profile`` numbers them (libsrtp's
    ``srtp_profile_t`` for 1..8, RFC 6188's AES-192/256 from 0x0101). 0 in a policy means the
    default, AES_CM_128_HMAC_SHA1_80."""

    DEFAULT = 0
    AES_CM_128_HMAC_SHA1_80 = 1
    AES_CM_128_HMAC_SHA1_32 = 2
    NULL_HMAC_SHA1_80 = 5
    NULL_HMAC_SHA1_32 = 6
    AEAD_AES_128_GCM = 7
    AEAD_AES_256_GCM = 8
    AES_256_CM_HMAC_SHA1_80 = 0x0101
    AES_256_CM_HMAC_SHA1_32 = 0x0102
    AES_192_CM_HMAC_SHA1_80 = 0x0103
    AES_192_CM_HMAC_SHA1_32 = 0x0104


class McpttKeyType(enum.IntEnum):
    """The purpose of an MCPTT key ID, its top 4 bits (TS 33.180 E.1 and E.6.11)."""

    GMK = 0
    PCK = 1
    CSK = 2
    MKFC = 4
    MUSIK = 6


def _as_enum(enum_type, value):
    """``enum_type(value)`` when the number is known, else the plain int."""
    try:
        return enum_type(value)
    except ValueError:
        return int(value)
