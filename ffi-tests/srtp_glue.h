/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * From MIKEY to libsrtp2: turns the keys one crypto session exported by
 * mikey_session_export_srtp() into a libsrtp srtp_t. Used by the srtp_e2e test and by the
 * demo; a module author can copy it as it is.
 */
#ifndef MIKEY_SRTP_GLUE_H
#define MIKEY_SRTP_GLUE_H

#include <stddef.h>
#include <stdint.h>

#include <srtp2/srtp.h>

#include <mikey.h>

typedef enum mikey_srtp_direction {
    MIKEY_SRTP_OUTBOUND, /* we send this stream: srtp_protect */
    MIKEY_SRTP_INBOUND   /* we receive it: srtp_unprotect */
} mikey_srtp_direction;

/* Creates an SRTP session for one stream from exported MIKEY keys (every profile libsrtp does,
 * RFC 6188's AES-192/256-CM included), and sets the stream's rollover counter (keys->roc).
 * The SSRC is keys->ssrc, or when it is unknown any stream of the direction keys->ssrc_type
 * names, which must be `direction` (else srtp_err_status_bad_param). Returns
 * srtp_err_status_bad_param for key lengths that do not match keys->profile, or for what this
 * glue does not map (an MKI, a key derivation rate other than 0); otherwise libsrtp's result.
 * srtp_init() must have been called. */
srtp_err_status_t mikey_srtp_create(srtp_t *session, const mikey_srtp_keys *keys, mikey_srtp_direction direction);

/* RTP (RFC 3550): writes a 12-byte header (version 2, no padding/extension/CSRC, marker 0)
 * to buf and returns 12. */
int mikey_rtp_write_header(uint8_t *buf, uint8_t payload_type, uint16_t seq, uint32_t timestamp, uint32_t ssrc);

/* The SSRC of an RTP/SRTP packet (bytes 8..11); 0 when the packet is shorter than 12 bytes. */
uint32_t mikey_rtp_ssrc(const uint8_t *packet, size_t len);

/* The sequence number of an RTP/SRTP packet (bytes 2..3); 0 when shorter than 12 bytes. */
uint16_t mikey_rtp_seq(const uint8_t *packet, size_t len);

/* libsrtp's name for an srtp_profile_t number ("AES_CM_128_HMAC_SHA1_80", ...). */
const char *mikey_srtp_profile_name(uint32_t profile);

/* "ok", "auth_fail", ... for libsrtp results. */
const char *mikey_srtp_status_name(srtp_err_status_t status);

#endif /* MIKEY_SRTP_GLUE_H */
