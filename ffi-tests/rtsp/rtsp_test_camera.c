/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * rtsp_test_camera: a test RTSP "camera" on gst-rtsp-server that serves a live stream over SRTP,
 * keyed by the MIKEY message gst-rtsp-server puts in its SDP (RFC 4567 a=key-mgmt, RFC 3830
 * NULL method). The counterpart of rtsp_camera_session.c, the VMS-side client built on mikey and
 * libsrtp; nothing of mikey is used here.
 *
 *   rtsp_test_camera [--port N] [--lifetime SECONDS]
 *
 * Listens on 127.0.0.1 only (port 0, the default, lets the kernel pick a free one) and serves
 * rtsp://127.0.0.1:<port>/camera: 8 kHz PCMU (RFC 3551 payload type 0) in 20 ms packets, 50
 * RTP packets a second, over RTP/SAVP (RFC 3711) through interleaved TCP only (RFC 2326 §10.12).
 *
 * What gst-rtsp-server does with the SAVP profile (its rtsp-stream.c, rtsp-sdp.c, rtsp-client.c,
 * 1.22): the stream's rtpbin asks for an encoder and gets an srtpenc with random-key=TRUE (a fresh
 * 30-byte AES-128 key || salt per media, AES_CM_128_HMAC_SHA1_80 by default for SRTP and SRTCP);
 * the DESCRIBE answer carries, per media, "a=key-mgmt:mikey <base64>" with a NULL-method
 * I_MESSAGE built from the encoder's caps, one crypto session per sending SSRC with its ROC
 * (DESCRIBE fails if the stream has no sending source yet). A KeyMgmt header in SETUP is
 * optional: it keys the srtpdec that decrypts the client's SRTCP (receiver reports); without
 * one the server plays all the same and drops the client's RTCP. A PLAY with a Range flushes
 * the live pipeline, and srtpenc answers a flush by starting a new libsrtp session under the
 * same key: its SRTCP index starts again at 1 (the client sees a replayed index, see
 * rtsp_camera_session.c).
 *
 * Protocol on stdout (line-buffered), read by the test driver:
 *   CAMERA port=<n> path=/camera                        once listening
 *   CAMERA stream=<i> ssrc=0x<8 hex> key=<hex key||salt> rtp-cipher=<nick> rtp-auth=<nick>
 *          rtcp-cipher=<nick> rtcp-auth=<nick>          (one line) at a TEARDOWN, per stream:
 *                                                       what srtpenc really encrypts with
 *   CAMERA source stream=<i> ssrc=0x<8 hex> internal=<0|1> sender=<0|1> have-rb=<0|1>
 *          rb-exthighestseq=<n> rb-packetslost=<n> rb-fractionlost=<n>
 *                                                       the RTP session's sources then; the
 *                                                       client's source (learnt from its SRTCP,
 *                                                       which the KeyMgmt of SETUP keys) holds
 *                                                       the report block of its receiver report
 *   CAMERA report-end
 * It stops on SIGTERM/SIGINT, or by itself after --lifetime seconds (default 90).
 */

/* rtpsession's "sources" property is a GValueArray, deprecated in GLib but the only way to list
 * the sources; without this the deprecation warnings would stop the -Werror build. */
#define GLIB_DISABLE_DEPRECATION_WARNINGS

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

/* A live source, so the stream runs in real time from the moment the media is prepared (at
 * DESCRIBE), as a camera's does. samplesperbuffer=160 at 8 kHz: one 20 ms PCMU packet a buffer. */
#define CAMERA_LAUNCH                                                                               \
    "( audiotestsrc is-live=true samplesperbuffer=160 wave=sine freq=440 ! audio/x-raw,rate=8000,channels=1 " \
    "! mulawenc ! rtppcmupay name=pay0 pt=0 )"
#define CAMERA_PATH "/camera"

static GMainLoop *loop;
static GstRTSPMedia *last_media; /* the media of the latest session (one client at a time) */
static GMutex media_lock;

static const char *enum_nick(GObject *object, const char *property)
{
    GParamSpec *spec = g_object_class_find_property(G_OBJECT_GET_CLASS(object), property);
    GEnumClass *klass;
    GEnumValue *value;
    gint number = 0;

    if (spec == NULL || !G_IS_PARAM_SPEC_ENUM(spec)) {
        return "?";
    }
    g_object_get(object, property, &number, NULL);
    klass = G_PARAM_SPEC_ENUM(spec)->enum_class;
    value = g_enum_get_value(klass, number);
    return value != NULL ? value->value_nick : "?";
}

static guint structure_uint(const GstStructure *s, const char *field)
{
    guint value = 0;
    gint signed_value = 0;
    if (gst_structure_get_uint(s, field, &value)) {
        return value;
    }
    if (gst_structure_get_int(s, field, &signed_value)) {
        return (guint)signed_value;
    }
    return 0;
}

/* Prints the keys srtpenc uses and the RTP session's sources of every stream of `media`. */
static void report_media(GstRTSPMedia *media)
{
    guint i, j, n_streams = gst_rtsp_media_n_streams(media);

    for (i = 0; i < n_streams; i++) {
        GstRTSPStream *stream = gst_rtsp_media_get_stream(media, i);
        GstElement *encoder = gst_rtsp_stream_get_srtp_encoder(stream);
        GObject *session = gst_rtsp_stream_get_rtpsession(stream);
        guint ssrc = 0;

        gst_rtsp_stream_get_ssrc(stream, &ssrc);
        if (encoder != NULL) {
            GstBuffer *key = NULL;
            GstMapInfo map;
            GString *hex = g_string_new(NULL);

            g_object_get(encoder, "key", &key, NULL);
            if (key != NULL && gst_buffer_map(key, &map, GST_MAP_READ)) {
                gsize k;
                for (k = 0; k < map.size; k++) {
                    g_string_append_printf(hex, "%02x", map.data[k]);
                }
                gst_buffer_unmap(key, &map);
            }
            if (key != NULL) {
                gst_buffer_unref(key);
            }
            printf("CAMERA stream=%u ssrc=0x%08x key=%s rtp-cipher=%s rtp-auth=%s rtcp-cipher=%s rtcp-auth=%s\n", i,
                   ssrc, hex->len > 0 ? hex->str : "none", enum_nick(G_OBJECT(encoder), "rtp-cipher"),
                   enum_nick(G_OBJECT(encoder), "rtp-auth"), enum_nick(G_OBJECT(encoder), "rtcp-cipher"),
                   enum_nick(G_OBJECT(encoder), "rtcp-auth"));
            g_string_free(hex, TRUE);
            gst_object_unref(encoder);
        } else {
            printf("CAMERA stream=%u ssrc=0x%08x key=none\n", i, ssrc);
        }

        if (session != NULL) {
            GValueArray *sources = NULL;
            g_object_get(session, "sources", &sources, NULL);
            for (j = 0; sources != NULL && j < sources->n_values; j++) {
                GObject *source = g_value_get_object(g_value_array_get_nth(sources, j));
                GstStructure *stats = NULL;
                guint source_ssrc = 0;
                gboolean is_sender = FALSE, internal = FALSE, have_rb = FALSE;

                g_object_get(source, "ssrc", &source_ssrc, "is-sender", &is_sender, "stats", &stats, NULL);
                if (stats != NULL) {
                    gst_structure_get_boolean(stats, "internal", &internal);
                    gst_structure_get_boolean(stats, "have-rb", &have_rb);
                }
                printf("CAMERA source stream=%u ssrc=0x%08x internal=%d sender=%d have-rb=%d rb-exthighestseq=%u "
                       "rb-packetslost=%d rb-fractionlost=%u\n",
                       i, source_ssrc, internal ? 1 : 0, is_sender ? 1 : 0, have_rb ? 1 : 0,
                       stats != NULL ? structure_uint(stats, "rb-exthighestseq") : 0,
                       stats != NULL ? (int)structure_uint(stats, "rb-packetslost") : 0,
                       stats != NULL ? structure_uint(stats, "rb-fractionlost") : 0);
                if (stats != NULL) {
                    gst_structure_free(stats);
                }
            }
            if (sources != NULL) {
                g_value_array_free(sources);
            }
            g_object_unref(session);
        }
    }
    printf("CAMERA report-end\n");
    fflush(stdout);
}

/* GstRTSPClient::pre-teardown-request: report before the session and its media go away. */
static GstRTSPStatusCode on_pre_teardown(GstRTSPClient *client, GstRTSPContext *ctx, gpointer data)
{
    GstRTSPMedia *media;
    (void)client;
    (void)ctx;
    (void)data;

    g_mutex_lock(&media_lock);
    media = last_media != NULL ? g_object_ref(last_media) : NULL;
    g_mutex_unlock(&media_lock);
    if (media != NULL) {
        report_media(media);
        g_object_unref(media);
    } else {
        printf("CAMERA report-end\n");
        fflush(stdout);
    }
    return GST_RTSP_STS_OK;
}

static void on_client_connected(GstRTSPServer *server, GstRTSPClient *client, gpointer data)
{
    (void)server;
    (void)data;
    g_signal_connect(client, "pre-teardown-request", G_CALLBACK(on_pre_teardown), NULL);
}

static void on_media_configure(GstRTSPMediaFactory *factory, GstRTSPMedia *media, gpointer data)
{
    (void)factory;
    (void)data;
    g_mutex_lock(&media_lock);
    if (last_media != NULL) {
        g_object_unref(last_media);
    }
    last_media = g_object_ref(media);
    g_mutex_unlock(&media_lock);
}

static gboolean on_stop(gpointer data)
{
    const char *why = data;
    fprintf(stderr, "rtsp_test_camera: stopping (%s)\n", why);
    g_main_loop_quit(loop);
    return G_SOURCE_REMOVE;
}

static void usage(void)
{
    fprintf(stderr, "usage: rtsp_test_camera [--port N] [--lifetime SECONDS]\n");
}

int main(int argc, char **argv)
{
    GstRTSPServer *server;
    GstRTSPMountPoints *mounts;
    GstRTSPMediaFactory *factory;
    char service[16] = "0";
    unsigned lifetime = 90;
    int i;
    guint source_id;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            long port = strtol(argv[++i], NULL, 10);
            if (port < 0 || port > 65535) {
                usage();
                return 2;
            }
            snprintf(service, sizeof service, "%ld", port);
        } else if (strcmp(argv[i], "--lifetime") == 0 && i + 1 < argc) {
            lifetime = (unsigned)strtoul(argv[++i], NULL, 10);
        } else {
            usage();
            return 2;
        }
    }

    /* The driver reads our stdout through a pipe: one line at a time, never held back. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    gst_init(NULL, NULL);
    g_mutex_init(&media_lock);
    loop = g_main_loop_new(NULL, FALSE);

    server = gst_rtsp_server_new();
    gst_rtsp_server_set_address(server, "127.0.0.1"); /* loopback only */
    gst_rtsp_server_set_service(server, service);
    g_signal_connect(server, "client-connected", G_CALLBACK(on_client_connected), NULL);

    factory = gst_rtsp_media_factory_new();
    gst_rtsp_media_factory_set_launch(factory, CAMERA_LAUNCH);
    /* RTP/SAVP (RFC 3711 over RFC 3551's profile): gst-rtsp-server adds srtpenc and the MIKEY
       key-mgmt attribute (RFC 4567) to the SDP. */
    gst_rtsp_media_factory_set_profiles(factory, GST_RTSP_PROFILE_SAVP);
    /* Interleaved TCP only (RFC 2326 §10.12): nothing leaves the loopback connection. */
    gst_rtsp_media_factory_set_protocols(factory, GST_RTSP_LOWER_TRANS_TCP);
    /* One media per client: each session gets a fresh key. */
    gst_rtsp_media_factory_set_shared(factory, FALSE);
    g_signal_connect(factory, "media-configure", G_CALLBACK(on_media_configure), NULL);

    mounts = gst_rtsp_server_get_mount_points(server);
    gst_rtsp_mount_points_add_factory(mounts, CAMERA_PATH, factory);
    g_object_unref(mounts);

    source_id = gst_rtsp_server_attach(server, NULL);
    if (source_id == 0) {
        fprintf(stderr, "rtsp_test_camera: cannot listen on 127.0.0.1:%s\n", service);
        return 1;
    }
    printf("CAMERA port=%d path=%s\n", gst_rtsp_server_get_bound_port(server), CAMERA_PATH);
    fflush(stdout);

    g_unix_signal_add(SIGTERM, on_stop, (gpointer) "SIGTERM");
    g_unix_signal_add(SIGINT, on_stop, (gpointer) "SIGINT");
    g_timeout_add_seconds(lifetime, on_stop, (gpointer) "lifetime over");
    g_main_loop_run(loop);

    g_source_remove(source_id);
    g_mutex_lock(&media_lock);
    if (last_media != NULL) {
        g_object_unref(last_media);
        last_media = NULL;
    }
    g_mutex_unlock(&media_lock);
    g_object_unref(server);
    g_main_loop_unref(loop);
    return 0;
}
