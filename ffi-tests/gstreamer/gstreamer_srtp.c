/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * SRTP interop with GStreamer's own elements, keyed through MIKEY (issue 14).
 *
 * Forward (mikey -> GStreamer), the way an RTSP server or camera offers keys: a mikey NULL
 * initiator (RFC 3830 §4.2.3: PSK-type message, NULL encryption, NULL MAC; as in
 * a=key-mgmt:mikey of RFC 4567) makes the I_MESSAGE for one SRTP stream (fixed SSRC, ROC 0);
 * its exported keys protect N RTP packets with libsrtp (RFC 3711). GStreamer parses the
 * I_MESSAGE bytes (gst_mikey_message_new_from_data, gst_mikey_message_to_caps, plus the SSRC
 * and ROC of its CS ID map) and its srtpdec element, keyed by those caps on its sink pad,
 * decrypts the packets in a pipeline appsrc -> srtpdec -> appsink.
 *
 * Reverse (GStreamer -> mikey), the way gst-rtsp-server keys its clients: srtpenc (key,
 * rtp-cipher/rtp-auth properties) protects N RTP packets in appsrc -> srtpenc -> appsink; the
 * caps srtpenc puts on its output (srtp-key, srtp-cipher, ...) make the MIKEY message with
 * gst_mikey_message_new_from_caps, and gst_mikey_message_add_cs_srtp adds policy 0 for the SSRC
 * with the ROC from srtpenc's stats (rtsp-sdp.c does the same). A mikey NULL responder takes
 * the bytes, exports the keys, and libsrtp unprotects every packet srtpenc made.
 *
 * Each direction runs for AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32 and
 * AES_256_CM_HMAC_SHA1_80 (RFC 6188), and once more with one key byte flipped inside the MIKEY
 * message (nothing authenticates a NULL-method message): then no packet may decrypt, which
 * shows the packet checks fail when the key is not the one sent.
 *
 * In one process: GStreamer's srtp plugin and this test use the same libsrtp2. No network, no
 * display; every pull has a timeout and alarm() bounds the whole run.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/sdp/gstmikey.h>

#include "srtp_check.h"

#define N_PACKETS 50
#define RTP_HEADER_LEN 12
#define PAYLOAD_LEN 160
#define RTP_LEN (RTP_HEADER_LEN + PAYLOAD_LEN)
/* RFC 3711 §3.1: the packet grows by the tag (no MKI here); 16 bytes is the most any profile adds. */
#define SRTP_CAP (RTP_LEN + 16)
#define PAYLOAD_TYPE 96 /* dynamic; srtpdec takes 64..80 for RTCP (cf. RFC 5761 §4), so not those */
#define CLOCK_RATE 90000
#define PULL_TIMEOUT (5 * GST_SECOND)
#define WATCHDOG_SECONDS 240

/* The interop switches a GStreamer-facing initiator needs (tests/interop.rs,
 * gstreamer_facing_initiator): GStreamer 1.22 reads the SRTP tag length from the SP "session
 * auth key length" parameter (RFC 3830 §6.10.1 type 5), and takes one TEK key data sub-payload
 * holding master key || master salt (RFC 3830 §6.13 would carry the salt in its own field,
 * which GStreamer 1.22 drops). */
#define GSTREAMER_FLAGS (MIKEY_INTEROP_GSTREAMER_SP_LAYOUT | MIKEY_INTEROP_TEK_WITH_CONCATENATED_SALT)

/* libsrtp2 has no srtp_profile_t for RFC 6188's AES_256_CM_HMAC_SHA1_80; mikey numbers it so. */
#define PROFILE_AES256_CM_SHA1_80 0x0101u

typedef struct profile_case {
    const char *label;      /* printed in the counts */
    uint32_t profile;       /* mikey_srtp_policy.profile (libsrtp numbers, 0x0101 for RFC 6188) */
    const char *gst_cipher; /* srtpenc/srtpdec nicks (GstSrtpCipherType, GstSrtpAuthType) */
    const char *gst_auth;
    size_t master_key_len;
    size_t tag_len; /* RFC 3711 §4.2: 80 or 32 bits of HMAC-SHA1 */
    uint32_t forward_ssrc;
    uint16_t forward_first_seq;
    uint32_t reverse_ssrc;
    uint16_t reverse_first_seq;
} profile_case;

static const profile_case CASES[] = {
    {"aes-cm-128-80", 1, "aes-128-icm", "hmac-sha1-80", 16, 10, 0x11223344u, 1000, 0x55667788u, 20000},
    {"aes-cm-128-32", 2, "aes-128-icm", "hmac-sha1-32", 16, 4, 0x11223345u, 2000, 0x55667789u, 30000},
    {"aes-256-cm-80", PROFILE_AES256_CM_SHA1_80, "aes-256-icm", "hmac-sha1-80", 32, 10, 0x11223346u, 3000,
     0x5566778au, 40000},
};
#define N_CASES (sizeof CASES / sizeof CASES[0])

#define MASTER_SALT_LEN 14 /* RFC 3711 §8.2 (AES-CM profiles) */

/* ---- RTP packets ----------------------------------------------------------------------- */

/* RFC 3550 packet `index` of a direction: header (PT 96, timestamp 3000 per packet) and a
 * payload that names the direction and sequence number, then a pattern. Returns RTP_LEN. */
static int build_rtp(uint8_t *buf, const char *direction, uint32_t ssrc, uint16_t seq)
{
    int i, n;
    mikey_rtp_write_header(buf, PAYLOAD_TYPE, seq, (uint32_t)seq * 3000u, ssrc);
    n = snprintf((char *)buf + RTP_HEADER_LEN, PAYLOAD_LEN, "%s packet seq %u ", direction, (unsigned)seq);
    for (i = RTP_HEADER_LEN + n; i < RTP_LEN; i++) {
        buf[i] = (uint8_t)(i * 31 + seq * 7);
    }
    return RTP_LEN;
}

/* `packet` is exactly the RTP packet build_rtp makes for (direction, ssrc, seq). */
static int rtp_is(const uint8_t *packet, size_t len, const char *direction, uint32_t ssrc, uint16_t seq)
{
    uint8_t expected[RTP_LEN];
    build_rtp(expected, direction, ssrc, seq);
    return len == RTP_LEN && memcmp(packet, expected, RTP_LEN) == 0;
}

/* ---- small helpers --------------------------------------------------------------------- */

/* Offset of `needle` in `hay`, or -1. */
static long find_bytes(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t needle_len)
{
    size_t i;
    for (i = 0; needle_len > 0 && i + needle_len <= hay_len; i++) {
        if (memcmp(hay + i, needle, needle_len) == 0) {
            return (long)i;
        }
    }
    return -1;
}

/* The exported keys fit the case's profile (RFC 3711 §8.2, RFC 6188 §7). */
static int keys_fit_case(const mikey_srtp_keys *keys, const profile_case *c, uint32_t ssrc)
{
    int ok = CHECK(keys->profile == c->profile, "%s: exported profile %lu", c->label, (unsigned long)keys->profile);
    ok &= CHECK(keys->ssrc == ssrc, "%s: exported SSRC %08lx, expected %08lx", c->label, (unsigned long)keys->ssrc,
                (unsigned long)ssrc);
    ok &= CHECK(keys->roc == 0, "%s: exported ROC %lu", c->label, (unsigned long)keys->roc);
    ok &= CHECK(keys->master_key_len == c->master_key_len, "%s: master key of %zu bytes", c->label,
                keys->master_key_len);
    ok &= CHECK(keys->master_salt_len == MASTER_SALT_LEN, "%s: master salt of %zu bytes", c->label,
                keys->master_salt_len);
    ok &= CHECK(keys->auth_tag_len == c->tag_len, "%s: tag of %lu bytes", c->label, (unsigned long)keys->auth_tag_len);
    ok &= CHECK(keys->mki_len == 0, "%s: MKI of %zu bytes", c->label, keys->mki_len);
    ok &= CHECK(keys->srtp_encryption && keys->srtcp_encryption && keys->srtp_authentication,
                "%s: a protection switched off", c->label);
    return ok;
}

/* ---- GStreamer pipelines --------------------------------------------------------------- */

/* A pipeline appsrc -> `element` (its RTP pads) -> appsink. */
typedef struct gst_run {
    GstElement *pipeline;
    GstElement *src;
    GstElement *element;
    GstElement *sink;
} gst_run;

static void gst_run_free(gst_run *run)
{
    if (run->pipeline != NULL) {
        gst_element_set_state(run->pipeline, GST_STATE_NULL);
        gst_object_unref(run->pipeline);
    }
    memset(run, 0, sizeof *run);
}

/* Builds and links the pipeline (not started); `src_caps` go on appsrc (the caps event
 * srtpdec/srtpenc see). */
static int gst_run_new(gst_run *run, const char *factory, const char *sink_pad, const char *src_pad, GstCaps *src_caps)
{
    memset(run, 0, sizeof *run);
    run->pipeline = gst_pipeline_new(NULL);
    run->src = gst_element_factory_make("appsrc", NULL);
    run->element = gst_element_factory_make(factory, NULL);
    run->sink = gst_element_factory_make("appsink", NULL);
    if (!CHECK(run->pipeline != NULL && run->src != NULL && run->element != NULL && run->sink != NULL,
               "could not make appsrc/%s/appsink (gstreamer1.0-plugins-bad installed?)", factory)) {
        /* The pipeline owns nothing yet: sink the floating references of what was made. */
        GstElement *made[3];
        size_t i;
        made[0] = run->src;
        made[1] = run->element;
        made[2] = run->sink;
        for (i = 0; i < 3; i++) {
            if (made[i] != NULL) {
                gst_object_unref(gst_object_ref_sink(made[i]));
            }
        }
        run->src = run->element = run->sink = NULL;
        gst_run_free(run);
        return 0;
    }
    gst_bin_add_many(GST_BIN(run->pipeline), run->src, run->element, run->sink, NULL);
    /* Packets as they come: no clock sync, no live source, every buffer kept for pulling. */
    g_object_set(run->src, "format", GST_FORMAT_TIME, "is-live", FALSE, NULL);
    gst_app_src_set_caps(GST_APP_SRC(run->src), src_caps);
    g_object_set(run->sink, "sync", FALSE, "max-buffers", 0u, "emit-signals", FALSE, NULL);
    if (!CHECK(gst_element_link_pads(run->src, "src", run->element, sink_pad), "appsrc ! %s.%s", factory, sink_pad) ||
        !CHECK(gst_element_link_pads(run->element, src_pad, run->sink, "sink"), "%s.%s ! appsink", factory, src_pad)) {
        gst_run_free(run);
        return 0;
    }
    return 1;
}

/* Sets the pipeline PLAYING (after the caller configured run->element); frees it on failure. */
static int gst_run_start(gst_run *run)
{
    if (!CHECK(gst_element_set_state(run->pipeline, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE,
               "the %s pipeline does not start", GST_OBJECT_NAME(run->element))) {
        gst_run_free(run);
        return 0;
    }
    return 1;
}

/* Pushes the packets (then end-of-stream) into appsrc. */
static int gst_run_push(gst_run *run, uint8_t packets[][SRTP_CAP], const int *lens, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        GstBuffer *buf = gst_buffer_new_memdup(packets[i], (gsize)lens[i]);
        GST_BUFFER_PTS(buf) = (GstClockTime)i * (GST_SECOND / 30);
        if (!CHECK(gst_app_src_push_buffer(GST_APP_SRC(run->src), buf) == GST_FLOW_OK, "appsrc refused buffer %zu", i)) {
            return 0;
        }
    }
    return CHECK(gst_app_src_end_of_stream(GST_APP_SRC(run->src)) == GST_FLOW_OK, "appsrc refused end-of-stream");
}

/* Pulls what reaches appsink until end-of-stream (or a PULL_TIMEOUT without a buffer), at most
 * `cap` buffers into out/out_lens; the caps of the first sample go to *caps_out if not NULL.
 * Returns the number pulled; reports a GStreamer error or a missing end-of-stream. */
static size_t gst_run_pull(gst_run *run, uint8_t out[][SRTP_CAP], int *out_lens, size_t cap, GstCaps **caps_out)
{
    size_t n = 0;
    GstSample *sample;
    GstBus *bus;
    GstMessage *msg;

    while ((sample = gst_app_sink_try_pull_sample(GST_APP_SINK(run->sink), PULL_TIMEOUT)) != NULL) {
        GstBuffer *buf = gst_sample_get_buffer(sample);
        gsize size = buf != NULL ? gst_buffer_get_size(buf) : 0;
        if (caps_out != NULL && *caps_out == NULL && gst_sample_get_caps(sample) != NULL) {
            *caps_out = gst_caps_ref(gst_sample_get_caps(sample));
        }
        if (CHECK(n < cap && size <= SRTP_CAP, "buffer %zu of %lu bytes (at most %d, %zu buffers)", n,
                  (unsigned long)size, SRTP_CAP, cap)) {
            gst_buffer_extract(buf, 0, out[n], size);
            out_lens[n] = (int)size;
            n++;
        }
        gst_sample_unref(sample);
    }
    bus = gst_element_get_bus(run->pipeline);
    while ((msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) != NULL) {
        GError *err = NULL;
        gchar *debug = NULL;
        gst_message_parse_error(msg, &err, &debug);
        CHECK(0, "GStreamer error from %s: %s (%s)", GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)),
              err != NULL ? err->message : "?", debug != NULL ? debug : "");
        g_clear_error(&err);
        g_free(debug);
        gst_message_unref(msg);
    }
    gst_object_unref(bus);
    CHECK(gst_app_sink_is_eos(GST_APP_SINK(run->sink)), "no end-of-stream within %d s of the last buffer",
          (int)(PULL_TIMEOUT / GST_SECOND));
    return n;
}

/* An unsigned field of an element's "stats" structure (srtpdec: recv-count, recv-drop-count). */
static guint element_stat(GstElement *element, const char *field)
{
    GstStructure *stats = NULL;
    guint value = G_MAXUINT;
    g_object_get(element, "stats", &stats, NULL);
    if (stats != NULL) {
        if (!gst_structure_get_uint(stats, field, &value)) {
            value = G_MAXUINT;
        }
        gst_structure_free(stats);
    }
    return value;
}

/* srtpenc's ROC for `ssrc`, from the "streams" array of its stats (as rtsp-sdp.c reads it);
 * G_MAXUINT when it has none. */
static guint srtpenc_roc(GstElement *srtpenc, guint32 ssrc)
{
    GstStructure *stats = NULL;
    const GValue *streams;
    guint roc = G_MAXUINT;
    guint i;

    g_object_get(srtpenc, "stats", &stats, NULL);
    if (stats == NULL) {
        return roc;
    }
    streams = gst_structure_get_value(stats, "streams");
    for (i = 0; streams != NULL && GST_VALUE_HOLDS_ARRAY(streams) && i < gst_value_array_get_size(streams); i++) {
        const GValue *v = gst_value_array_get_value(streams, i);
        const GstStructure *s = v != NULL && GST_VALUE_HOLDS_STRUCTURE(v) ? gst_value_get_structure(v) : NULL;
        guint s_ssrc = 0, s_roc = 0;
        if (s != NULL && gst_structure_get_uint(s, "ssrc", &s_ssrc) && s_ssrc == ssrc &&
            gst_structure_get_uint(s, "roc", &s_roc)) {
            roc = s_roc;
        }
    }
    gst_structure_free(stats);
    return roc;
}

/* The bytes of a buffer-typed caps field equal `expected`. */
static int caps_buffer_is(const GstStructure *s, const char *field, const uint8_t *expected, size_t len)
{
    const GValue *v = gst_structure_get_value(s, field);
    GstBuffer *buf;
    if (v == NULL || !GST_VALUE_HOLDS_BUFFER(v)) {
        return 0;
    }
    buf = gst_value_get_buffer(v);
    return buf != NULL && gst_buffer_get_size(buf) == len && gst_buffer_memcmp(buf, 0, expected, len) == 0;
}

/* ---- forward: mikey initiator -> GStreamer srtpdec ------------------------------------- */

/* GStreamer's view of a MIKEY message as srtpdec caps: gst_mikey_message_to_caps (srtp-key,
 * srtp-cipher, srtp-auth, srtcp-cipher, srtcp-auth) plus the SSRC and ROC of the first CS of
 * the SRTP-ID map (RFC 3830 §6.1.1), plus the RTP fields of the stream. srtpdec sets a stream
 * up from its sink caps only when they name the ssrc (else it asks its "request-key" signal
 * for caps like these, per SSRC); it starts libsrtp's ROC at the caps' roc. NULL when
 * GStreamer refuses the message. */
static GstCaps *gstreamer_caps_from_mikey(const uint8_t *msg, size_t msg_len, const char *label)
{
    GError *err = NULL;
    GstMIKEYMessage *mikey = gst_mikey_message_new_from_data(msg, msg_len, NULL, &err);
    const GstMIKEYMapSRTP *cs;
    GstCaps *caps;

    if (!CHECK(mikey != NULL, "%s: GStreamer cannot parse our I_MESSAGE: %s", label,
               err != NULL ? err->message : "no GError")) {
        g_clear_error(&err);
        return NULL;
    }
    caps = gst_caps_new_simple("application/x-srtp", "media", G_TYPE_STRING, "application", "clock-rate", G_TYPE_INT,
                               CLOCK_RATE, "encoding-name", G_TYPE_STRING, "X-MIKEY-TEST", "payload", G_TYPE_INT,
                               PAYLOAD_TYPE, NULL);
    cs = gst_mikey_message_get_n_cs(mikey) == 1 ? gst_mikey_message_get_cs_srtp(mikey, 0) : NULL;
    if (!CHECK(cs != NULL, "%s: GStreamer sees %u crypto sessions, expected 1", label,
               gst_mikey_message_get_n_cs(mikey)) ||
        !CHECK(gst_mikey_message_to_caps(mikey, caps), "%s: gst_mikey_message_to_caps refused our I_MESSAGE", label)) {
        gst_caps_unref(caps);
        gst_mikey_message_unref(mikey);
        return NULL;
    }
    gst_caps_set_simple(caps, "ssrc", G_TYPE_UINT, cs->ssrc, "roc", G_TYPE_UINT, cs->roc, NULL);
    gst_mikey_message_unref(mikey);
    return caps;
}

/* Runs appsrc -> srtpdec -> appsink on the SRTP packets with `caps`; returns how many packets
 * came out exactly as the RTP packets the forward direction built, in order. */
static size_t srtpdec_decrypts(GstCaps *caps, uint8_t srtp[][SRTP_CAP], const int *srtp_lens, uint32_t ssrc,
                               uint16_t first_seq, const char *label, guint *recv_count, guint *drop_count)
{
    static uint8_t out[N_PACKETS + 1][SRTP_CAP];
    int out_lens[N_PACKETS + 1];
    gst_run run;
    size_t pulled, i, good = 0;

    *recv_count = *drop_count = G_MAXUINT;
    if (!gst_run_new(&run, "srtpdec", "rtp_sink", "rtp_src", caps) || !gst_run_start(&run)) {
        return 0;
    }
    pulled = gst_run_push(&run, srtp, srtp_lens, N_PACKETS) ? gst_run_pull(&run, out, out_lens, N_PACKETS + 1, NULL)
                                                              : 0;
    *recv_count = element_stat(run.element, "recv-count");
    *drop_count = element_stat(run.element, "recv-drop-count");
    gst_run_free(&run);
    for (i = 0; i < pulled; i++) {
        uint16_t seq = (uint16_t)(first_seq + i);
        if (CHECK(rtp_is(out[i], (size_t)out_lens[i], "mikey->gstreamer", ssrc, seq),
                  "%s: srtpdec output %zu (%d bytes, seq %u) is not RTP packet seq %u", label, i, out_lens[i],
                  (unsigned)mikey_rtp_seq(out[i], (size_t)out_lens[i]), (unsigned)seq)) {
            good++;
        }
    }
    return good;
}

static void forward(const profile_case *c)
{
    static uint8_t srtp[N_PACKETS][SRTP_CAP];
    int srtp_lens[N_PACKETS];
    test_config_params params = test_psk_params();
    mikey_config *config = NULL;
    mikey_session *init = NULL;
    mikey_srtp_keys keys;
    srtp_t tx = NULL;
    uint8_t msg[TEST_MSG_CAP], key_and_salt[32 + MASTER_SALT_LEN];
    size_t msg_len = 0, key_and_salt_len, good, i;
    uint8_t cs_id = 0;
    long key_at;
    guint recv = 0, dropped = 0;
    GstCaps *caps = NULL;

    memset(&keys, 0, sizeof keys);
    /* The camera side: NULL method, no verification asked (RTSP carries the I_MESSAGE in
       the SDP of DESCRIBE, RFC 4567 §3; nothing comes back). */
    params.method = MIKEY_METHOD_NULL;
    params.psk = NULL;
    params.psk_len = 0;
    params.profile = c->profile;
    params.request_verification = 0;
    params.interop = GSTREAMER_FLAGS;
    config = test_config_new(&params);
    if (config == NULL || !CHECK_OK(mikey_session_new(config, MIKEY_ROLE_INITIATOR, &init)) ||
        !CHECK_SESSION_OK(init, mikey_session_add_srtp_stream(init, c->forward_ssrc, 0, &cs_id)) ||
        !CHECK_SESSION_OK(init, mikey_session_create_message(init, msg, sizeof msg, &msg_len)) ||
        !CHECK_STATE(init, MIKEY_STATE_ESTABLISHED) ||
        !CHECK_SESSION_OK(init, mikey_session_export_srtp(init, cs_id, &keys)) || !keys_fit_case(&keys, c, c->forward_ssrc)) {
        goto out;
    }

    /* Protect N packets with libsrtp under the exported keys (we are the sender). */
    if (!CHECK_SRTP(mikey_srtp_create(&tx, &keys, MIKEY_SRTP_OUTBOUND), srtp_err_status_ok)) {
        goto out;
    }
    for (i = 0; i < N_PACKETS; i++) {
        uint16_t seq = (uint16_t)(c->forward_first_seq + i);
        srtp_lens[i] = build_rtp(srtp[i], "mikey->gstreamer", c->forward_ssrc, seq);
        if (!CHECK_SRTP(srtp_protect(tx, srtp[i], &srtp_lens[i]), srtp_err_status_ok) ||
            !CHECK(srtp_lens[i] == RTP_LEN + (int)c->tag_len, "%s: SRTP packet of %d bytes", c->label, srtp_lens[i])) {
            goto out;
        }
    }
    /* Encrypted: the payload on the wire is not the plaintext. */
    {
        uint8_t plain[RTP_LEN];
        build_rtp(plain, "mikey->gstreamer", c->forward_ssrc, c->forward_first_seq);
        if (!CHECK(memcmp(srtp[0] + RTP_HEADER_LEN, plain + RTP_HEADER_LEN, PAYLOAD_LEN) != 0,
                   "%s: the SRTP payload is the plaintext", c->label)) {
            goto out;
        }
    }

    /* GStreamer reads the I_MESSAGE: its caps carry our key || salt, cipher and tag length. */
    key_and_salt_len = keys.master_key_len + keys.master_salt_len;
    memcpy(key_and_salt, keys.master_key, keys.master_key_len);
    memcpy(key_and_salt + keys.master_key_len, keys.master_salt, keys.master_salt_len);
    caps = gstreamer_caps_from_mikey(msg, msg_len, c->label);
    if (caps == NULL) {
        goto out;
    }
    {
        const GstStructure *s = gst_caps_get_structure(caps, 0);
        guint ssrc = 0, roc = 1;
        CHECK(caps_buffer_is(s, "srtp-key", key_and_salt, key_and_salt_len),
              "%s: GStreamer's srtp-key is not our master key || salt", c->label);
        CHECK(g_strcmp0(gst_structure_get_string(s, "srtp-cipher"), c->gst_cipher) == 0, "%s: srtp-cipher %s", c->label,
              gst_structure_get_string(s, "srtp-cipher"));
        CHECK(g_strcmp0(gst_structure_get_string(s, "srtp-auth"), c->gst_auth) == 0, "%s: srtp-auth %s", c->label,
              gst_structure_get_string(s, "srtp-auth"));
        CHECK(gst_structure_get_uint(s, "ssrc", &ssrc) && ssrc == c->forward_ssrc, "%s: CS map SSRC %08x", c->label,
              ssrc);
        CHECK(gst_structure_get_uint(s, "roc", &roc) && roc == 0, "%s: CS map ROC %u", c->label, roc);
    }

    good = srtpdec_decrypts(caps, srtp, srtp_lens, c->forward_ssrc, c->forward_first_seq, c->label, &recv, &dropped);
    printf("%s: %zu/%d packets decrypted by srtpdec (mikey NULL I_MESSAGE -> GStreamer; srtpdec stats: %u received, "
           "%u dropped)\n",
           c->label, good, N_PACKETS, recv, dropped);
    CHECK(good == N_PACKETS, "%s: srtpdec decrypted %zu of %d packets", c->label, good, N_PACKETS);
    CHECK(recv == N_PACKETS && dropped == 0, "%s: srtpdec stats %u received, %u dropped", c->label, recv, dropped);
    gst_caps_unref(caps);
    caps = NULL;

    /* The same with one byte of the master key flipped inside the I_MESSAGE (a NULL-method
       message has no MAC, RFC 3830 §4.2.3, so GStreamer takes it): nothing may decrypt. */
    key_at = find_bytes(msg, msg_len, key_and_salt, key_and_salt_len);
    if (!CHECK(key_at >= 0, "%s: the key || salt is not in the I_MESSAGE", c->label)) {
        goto out;
    }
    msg[key_at] ^= 0x01;
    caps = gstreamer_caps_from_mikey(msg, msg_len, c->label);
    if (caps != NULL) {
        good = srtpdec_decrypts(caps, srtp, srtp_lens, c->forward_ssrc, c->forward_first_seq, c->label, &recv,
                                &dropped);
        /* srtpdec_decrypts reports each packet that comes out: here none may. */
        printf("%s: %zu/%d packets decrypted by srtpdec with one key byte flipped in the I_MESSAGE (expected 0; "
               "srtpdec stats: %u received, %u dropped)\n",
               c->label, good, N_PACKETS, recv, dropped);
        CHECK(good == 0, "%s: srtpdec decrypted %zu packets under a wrong key", c->label, good);
        CHECK(recv == N_PACKETS && dropped == N_PACKETS, "%s: flipped key: srtpdec stats %u received, %u dropped",
              c->label, recv, dropped);
    }

out:
    if (caps != NULL) {
        gst_caps_unref(caps);
    }
    if (tx != NULL) {
        srtp_dealloc(tx);
    }
    memset(key_and_salt, 0, sizeof key_and_salt);
    mikey_srtp_keys_clear(&keys);
    mikey_session_free(init);
    mikey_config_free(config);
}

/* ---- reverse: GStreamer srtpenc + MIKEY -> mikey responder ------------------------------ */

/* srtpenc protects the N packets of the reverse direction under `key_and_salt`; fills srtp[]
 * and *caps_out (srtpenc's output caps) and *roc_out (srtpenc's ROC for the SSRC). Returns the
 * number of SRTP packets that came out. */
static size_t srtpenc_protects(const profile_case *c, const uint8_t *key_and_salt, size_t key_and_salt_len,
                               uint8_t srtp[][SRTP_CAP], int *srtp_lens, GstCaps **caps_out, guint *roc_out)
{
    static uint8_t rtp[N_PACKETS][SRTP_CAP];
    int rtp_lens[N_PACKETS];
    GstCaps *caps;
    GstBuffer *key;
    gst_run run;
    size_t i, n = 0;

    *caps_out = NULL;
    *roc_out = G_MAXUINT;
    for (i = 0; i < N_PACKETS; i++) {
        rtp_lens[i] = build_rtp(rtp[i], "gstreamer->mikey", c->reverse_ssrc, (uint16_t)(c->reverse_first_seq + i));
    }
    caps = gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, "application", "clock-rate", G_TYPE_INT,
                               CLOCK_RATE, "encoding-name", G_TYPE_STRING, "X-MIKEY-TEST", "payload", G_TYPE_INT,
                               PAYLOAD_TYPE, "ssrc", G_TYPE_UINT, c->reverse_ssrc, NULL);
    if (!gst_run_new(&run, "srtpenc", "rtp_sink_0", "rtp_src_0", caps)) {
        gst_caps_unref(caps);
        return 0;
    }
    gst_caps_unref(caps);
    /* The key (master key || master salt, 30 or 46 bytes) and the profile, as properties,
       before the pipeline starts: without a key (or random-key) srtpenc refuses to start. */
    key = gst_buffer_new_memdup(key_and_salt, key_and_salt_len);
    g_object_set(run.element, "key", key, NULL);
    gst_buffer_unref(key);
    gst_util_set_object_arg(G_OBJECT(run.element), "rtp-cipher", c->gst_cipher);
    gst_util_set_object_arg(G_OBJECT(run.element), "rtp-auth", c->gst_auth);
    gst_util_set_object_arg(G_OBJECT(run.element), "rtcp-cipher", c->gst_cipher);
    gst_util_set_object_arg(G_OBJECT(run.element), "rtcp-auth", c->gst_auth);
    if (!gst_run_start(&run)) {
        return 0;
    }
    if (gst_run_push(&run, rtp, rtp_lens, N_PACKETS)) {
        n = gst_run_pull(&run, srtp, srtp_lens, N_PACKETS, caps_out);
        *roc_out = srtpenc_roc(run.element, c->reverse_ssrc);
    }
    gst_run_free(&run);
    return n;
}

/* GStreamer's MIKEY message for srtpenc's output, as gst-rtsp-server builds it for the
 * a=key-mgmt of its SDP (RFC 4567): gst_mikey_message_new_from_caps (PSK-type I_MESSAGE with
 * T, RAND, SP policy 0, NULL-protected KEMAC with one TEK: key || salt), then policy 0 for the
 * SSRC with srtpenc's ROC. Fills msg; 0 on failure. */
static int gstreamer_mikey_message(GstCaps *caps, uint32_t ssrc, guint roc, uint8_t *msg, size_t cap, size_t *len,
                                   const char *label)
{
    GstMIKEYMessage *mikey = gst_mikey_message_new_from_caps(caps);
    GError *err = NULL;
    GBytes *bytes;
    gsize size = 0;
    const void *data;
    int ok;

    if (!CHECK(mikey != NULL, "%s: gst_mikey_message_new_from_caps refused srtpenc's caps", label)) {
        return 0;
    }
    ok = CHECK(gst_mikey_message_add_cs_srtp(mikey, 0, ssrc, roc), "%s: gst_mikey_message_add_cs_srtp failed", label);
    bytes = ok ? gst_mikey_message_to_bytes(mikey, NULL, &err) : NULL;
    gst_mikey_message_unref(mikey);
    if (!CHECK(bytes != NULL, "%s: gst_mikey_message_to_bytes failed: %s", label, err != NULL ? err->message : "?")) {
        g_clear_error(&err);
        return 0;
    }
    data = g_bytes_get_data(bytes, &size);
    ok = CHECK(size > 0 && size <= cap, "%s: GStreamer's message is %lu bytes", label, (unsigned long)size);
    if (ok) {
        memcpy(msg, data, size);
        *len = size;
    }
    g_bytes_unref(bytes);
    return ok;
}

/* A fresh mikey NULL responder takes the message and exports CS 1 into *keys. A default config
 * (system clock, as GStreamer stamps the message with the real time; no interop flags: the
 * responder reads GStreamer's SP layout and concatenated TEK by default). */
static int mikey_responder_takes(const uint8_t *msg, size_t msg_len, mikey_srtp_keys *keys, const char *label)
{
    mikey_config *config = NULL;
    mikey_session *resp = NULL;
    uint8_t reply[TEST_MSG_CAP];
    size_t reply_len = 1;
    int ok = CHECK_OK(mikey_config_new(MIKEY_METHOD_NULL, &config)) &&
             CHECK_OK(mikey_session_new(config, MIKEY_ROLE_RESPONDER, &resp)) &&
             CHECK_SESSION_OK(resp, mikey_session_process_message(resp, msg, msg_len, reply, sizeof reply, &reply_len)) &&
             CHECK(reply_len == 0, "%s: mikey answers GStreamer's message with %zu bytes (no V flag)", label,
                   reply_len) &&
             CHECK_STATE(resp, MIKEY_STATE_ESTABLISHED) &&
             CHECK(mikey_session_cs_count(resp) == 1, "%s: %zu crypto sessions", label, mikey_session_cs_count(resp)) &&
             CHECK_SESSION_OK(resp, mikey_session_export_srtp(resp, 1, keys));
    mikey_session_free(resp);
    mikey_config_free(config);
    return ok;
}

/* libsrtp unprotects srtpenc's packets with the exported keys; returns how many come out
 * exactly as the RTP packets pushed into srtpenc, in order. Reports the first failures. */
static size_t libsrtp_decrypts(const mikey_srtp_keys *keys, uint8_t srtp[][SRTP_CAP], const int *srtp_lens, size_t n,
                               const profile_case *c, srtp_err_status_t expected)
{
    srtp_t rx = NULL;
    size_t i, good = 0;
    int reported = 0;

    if (!CHECK_SRTP(mikey_srtp_create(&rx, keys, MIKEY_SRTP_INBOUND), srtp_err_status_ok)) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        uint8_t packet[SRTP_CAP];
        int len = srtp_lens[i];
        uint16_t seq = (uint16_t)(c->reverse_first_seq + i);
        srtp_err_status_t status;
        memcpy(packet, srtp[i], (size_t)len);
        status = srtp_unprotect(rx, packet, &len);
        if (status == srtp_err_status_ok && rtp_is(packet, (size_t)len, "gstreamer->mikey", c->reverse_ssrc, seq)) {
            good++;
        } else if (status != expected && reported++ < 3) {
            CHECK(0, "%s: srtpenc packet %zu (seq %u): libsrtp %s, %d bytes, expected %s", c->label, i,
                  (unsigned)mikey_rtp_seq(srtp[i], (size_t)srtp_lens[i]), mikey_srtp_status_name(status), len,
                  mikey_srtp_status_name(expected));
        }
    }
    srtp_dealloc(rx);
    return good;
}

static void reverse(const profile_case *c)
{
    static uint8_t srtp[N_PACKETS][SRTP_CAP];
    int srtp_lens[N_PACKETS];
    uint8_t key_and_salt[32 + MASTER_SALT_LEN], msg[TEST_MSG_CAP];
    size_t key_and_salt_len = c->master_key_len + MASTER_SALT_LEN, msg_len = 0, n, good, i;
    mikey_srtp_keys keys;
    GstCaps *caps = NULL;
    guint roc = G_MAXUINT;
    long key_at;

    memset(&keys, 0, sizeof keys);
    /* A key GStreamer is given (gst-rtsp-server draws one; a fixed one here, to compare). */
    for (i = 0; i < key_and_salt_len; i++) {
        key_and_salt[i] = (uint8_t)(0xa5 ^ (i * 11 + c->profile));
    }
    n = srtpenc_protects(c, key_and_salt, key_and_salt_len, srtp, srtp_lens, &caps, &roc);
    if (!CHECK(n == N_PACKETS, "%s: srtpenc gave %zu of %d packets", c->label, n, N_PACKETS) ||
        !CHECK(caps != NULL, "%s: no caps on srtpenc's output", c->label)) {
        goto out;
    }
    for (i = 0; i < n; i++) {
        uint8_t plain[RTP_LEN];
        uint16_t seq = (uint16_t)(c->reverse_first_seq + i);
        build_rtp(plain, "gstreamer->mikey", c->reverse_ssrc, seq);
        /* RFC 3711 §3.1: the header stays clear, the payload is encrypted, the tag appended. */
        if (!CHECK(srtp_lens[i] == RTP_LEN + (int)c->tag_len, "%s: srtpenc packet %zu of %d bytes", c->label, i,
                   srtp_lens[i]) ||
            !CHECK(memcmp(srtp[i], plain, RTP_HEADER_LEN) == 0, "%s: srtpenc packet %zu has another header", c->label,
                   i) ||
            !CHECK(memcmp(srtp[i] + RTP_HEADER_LEN, plain + RTP_HEADER_LEN, PAYLOAD_LEN) != 0,
                   "%s: srtpenc packet %zu is not encrypted", c->label, i)) {
            goto out;
        }
    }
    CHECK(roc == 0, "%s: srtpenc's ROC for the SSRC is %u", c->label, roc);

    if (!gstreamer_mikey_message(caps, c->reverse_ssrc, roc, msg, sizeof msg, &msg_len, c->label) ||
        !mikey_responder_takes(msg, msg_len, &keys, c->label) || !keys_fit_case(&keys, c, c->reverse_ssrc)) {
        goto out;
    }
    CHECK(memcmp(keys.master_key, key_and_salt, c->master_key_len) == 0 &&
              memcmp(keys.master_salt, key_and_salt + c->master_key_len, MASTER_SALT_LEN) == 0,
          "%s: mikey exported another key or salt than srtpenc's", c->label);
    good = libsrtp_decrypts(&keys, srtp, srtp_lens, n, c, srtp_err_status_ok);
    printf("%s: %zu/%d srtpenc packets decrypted by libsrtp with mikey's keys (GStreamer MIKEY message -> mikey "
           "NULL responder)\n",
           c->label, good, N_PACKETS);
    CHECK(good == N_PACKETS, "%s: libsrtp decrypted %zu of %d srtpenc packets", c->label, good, N_PACKETS);
    mikey_srtp_keys_clear(&keys);

    /* One byte of the key flipped inside GStreamer's message: mikey accepts it (a NULL-method
       message is not authenticated), but no packet may decrypt under the key it exports. */
    key_at = find_bytes(msg, msg_len, key_and_salt, key_and_salt_len);
    if (!CHECK(key_at >= 0, "%s: srtpenc's key || salt is not in GStreamer's message", c->label)) {
        goto out;
    }
    msg[key_at] ^= 0x01;
    if (mikey_responder_takes(msg, msg_len, &keys, c->label)) {
        good = libsrtp_decrypts(&keys, srtp, srtp_lens, n, c, srtp_err_status_auth_fail);
        printf("%s: %zu/%d srtpenc packets decrypted by libsrtp with one key byte flipped in GStreamer's message "
               "(expected 0)\n",
               c->label, good, N_PACKETS);
        CHECK(good == 0, "%s: libsrtp decrypted %zu packets under a wrong key", c->label, good);
    }

out:
    if (caps != NULL) {
        gst_caps_unref(caps);
    }
    memset(key_and_salt, 0, sizeof key_and_salt);
    mikey_srtp_keys_clear(&keys);
}

int main(int argc, char **argv)
{
    size_t i;
    int status;
    const char *needed[] = {"appsrc", "appsink", "srtpenc", "srtpdec"};

    /* A GStreamer hang must not hang the test run (ctest has its own timeout too). */
    alarm(WATCHDOG_SECONDS);
    gst_init(&argc, &argv);
    if (!CHECK_SRTP(srtp_init(), srtp_err_status_ok)) {
        return test_finish("gstreamer_srtp");
    }
    for (i = 0; i < sizeof needed / sizeof needed[0]; i++) {
        GstElementFactory *factory = gst_element_factory_find(needed[i]);
        if (!CHECK(factory != NULL, "GStreamer element %s not found (gstreamer1.0-plugins-base/-bad)", needed[i])) {
            return test_finish("gstreamer_srtp");
        }
        gst_object_unref(factory);
    }
    {
        gchar *version = gst_version_string();
        printf("%s, %s\n", version, srtp_get_version_string());
        g_free(version);
    }

    for (i = 0; i < N_CASES; i++) {
        forward(&CASES[i]);
    }
    for (i = 0; i < N_CASES; i++) {
        reverse(&CASES[i]);
    }

    status = test_finish("gstreamer_srtp");
    /* Every pipeline is gone: GStreamer's srtp plugin shares libsrtp's global state with us. */
    gst_deinit();
    srtp_shutdown();
    return status;
}
