/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * mikey_demo: MIKEY-PSK key exchange over UDP, then SRTP with the negotiated keys (libsrtp2).
 *
 *   mikey_demo responder [--port N]
 *   mikey_demo initiator [--port N] [--profile AEAD_AES_128_GCM | AES_CM_128_HMAC_SHA1_80]
 *
 * The responder waits on UDP 127.0.0.1:2269 (MIKEY's port). The initiator offers two SRTP
 * streams in an I_MESSAGE (pre-shared key method, RFC 3830 §3.1) and asks for verification (V
 * flag), so the responder answers with an R_MESSAGE. Both sides then export the SRTP master
 * keys of each stream; the initiator sends 5 SRTP packets per stream, the responder decrypts
 * and prints them.
 *
 * In a real module the MIKEY messages travel inside SIP/SDP (a=key-mgmt, see
 * mikey_sdp_key_mgmt_encode) or RTSP (KeyMgmt header); UDP keeps the demo short. The pattern is
 * the same: create/process messages, send whatever the library gives you, export the keys.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <mikey.h>
#include <srtp2/srtp.h>

#include "srtp_glue.h" /* mikey_srtp_keys -> srtp_t, and an RTP header writer */

#define DEFAULT_PORT 2269
#define N_STREAMS 2
#define PACKETS_PER_STREAM 5
#define MAX_DATAGRAM 2048
#define RTP_PAYLOAD_TYPE 96

/* Both ends know this key in advance (provisioned, or from a secure channel). Use at least
   16 random bytes in real life. */
static const uint8_t DEMO_PSK[] = "mikey demo pre-shared key, 32 B";

static const char INITIATOR_ID[] = "sip:alice@example.com";
static const char RESPONDER_ID[] = "sip:bob@example.com";

/* ---- small helpers ------------------------------------------------------------------------ */

/* Prints a failed MIKEY call with the library's explanation and returns 0. */
static int mikey_failed(const char *what, mikey_result result, const mikey_session *session)
{
    fprintf(stderr, "%s failed: %s", what, mikey_result_str(result));
    if (session != NULL) {
        fprintf(stderr, " (%s)", mikey_session_last_error(session)); /* the detail, never key material */
    }
    fputc('\n', stderr);
    return 0;
}

/* A UDP socket with a 5-second receive timeout, so that nothing hangs. */
static int open_udp_socket(void)
{
    struct timeval timeout;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        perror("socket");
        return -1;
    }
    timeout.tv_sec = 5;
    timeout.tv_usec = 0;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) {
        perror("setsockopt(SO_RCVTIMEO)");
        close(fd);
        return -1;
    }
    return fd;
}

static struct sockaddr_in loopback(unsigned short port)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* 127.0.0.1 */
    return addr;
}

/* recvfrom with a readable message on timeout; returns the length or -1. */
static ssize_t receive(int fd, uint8_t *buf, size_t cap, struct sockaddr_in *from, const char *what)
{
    socklen_t from_len = sizeof *from;
    ssize_t n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)from, &from_len);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            fprintf(stderr, "timeout (5 s) waiting for %s\n", what);
        } else {
            perror("recvfrom");
        }
    }
    return n;
}

static int send_to(int fd, const uint8_t *buf, size_t len, const struct sockaddr_in *to)
{
    if (sendto(fd, buf, len, 0, (const struct sockaddr *)to, sizeof *to) != (ssize_t)len) {
        perror("sendto");
        return 0;
    }
    return 1;
}

/* Builds the endpoint configuration both roles share: method, key, identities. */
static mikey_config *demo_config(const char *own_id, const char *peer_id)
{
    mikey_config *config = NULL;
    mikey_result r;

    /* The key-management method: PSK = pre-shared key, HMAC-protected and AES-encrypted. */
    if ((r = mikey_config_new(MIKEY_METHOD_PSK, &config)) != MIKEY_OK) {
        mikey_failed("mikey_config_new", r, NULL);
        return NULL;
    }
    /* The pre-shared key (copied by the library; wiped when the config is freed). */
    if ((r = mikey_config_set_psk(config, DEMO_PSK, sizeof DEMO_PSK - 1)) != MIKEY_OK ||
        /* Who we are and who we expect: the responder refuses another initiator's IDi. */
        (r = mikey_config_set_identities(config, own_id, peer_id)) != MIKEY_OK) {
        mikey_failed("mikey_config_set_*", r, NULL);
        mikey_config_free(config);
        return NULL;
    }
    return config;
}

/* ---- initiator ------------------------------------------------------------------------------ */

static int run_initiator(unsigned short port, uint32_t profile)
{
    static const uint32_t ssrcs[N_STREAMS] = {0x1234abcdu, 0x5678ef01u};
    struct sockaddr_in responder = loopback(port), from;
    mikey_config *config = NULL;
    mikey_session *session = NULL;
    mikey_srtp_policy policy;
    mikey_result r;
    srtp_t srtp[N_STREAMS] = {NULL, NULL};
    uint8_t *i_message = NULL;
    uint8_t buf[MAX_DATAGRAM];
    size_t i_len = 0, out_len = 0;
    ssize_t n;
    unsigned stream, packet, sent = 0;
    int fd = -1, ok = 0;

    config = demo_config(INITIATOR_ID, RESPONDER_ID);
    if (config == NULL) {
        goto out;
    }
    /* What we offer for SRTP. Always start from mikey_srtp_policy_init (a zeroed struct would
       switch encryption and authentication off). */
    mikey_srtp_policy_init(&policy);
    policy.profile = profile;
    if ((r = mikey_config_set_srtp_policy(config, &policy)) != MIKEY_OK ||
        /* V flag: the responder must prove it got the keys (R_MESSAGE). */
        (r = mikey_config_set_request_verification(config, 1)) != MIKEY_OK) {
        mikey_failed("mikey_config_set_*", r, NULL);
        goto out;
    }

    /* One session = one crypto session bundle; one crypto session per SRTP stream. */
    if ((r = mikey_session_new(config, MIKEY_ROLE_INITIATOR, &session)) != MIKEY_OK) {
        mikey_failed("mikey_session_new", r, NULL);
        goto out;
    }
    for (stream = 0; stream < N_STREAMS; stream++) {
        uint8_t cs_id;
        if ((r = mikey_session_add_srtp_stream(session, ssrcs[stream], 0 /* ROC */, &cs_id)) != MIKEY_OK) {
            mikey_failed("mikey_session_add_srtp_stream", r, session);
            goto out;
        }
    }

    /* The I_MESSAGE. Ask for its size first (out_cap = 0 -> MIKEY_ERR_BUFFER_TOO_SMALL with the
       size); the message is built once and the second call returns the same one. */
    r = mikey_session_create_message(session, NULL, 0, &i_len);
    if (r != MIKEY_ERR_BUFFER_TOO_SMALL || (i_message = malloc(i_len)) == NULL) {
        mikey_failed("mikey_session_create_message (size)", r, session);
        goto out;
    }
    if ((r = mikey_session_create_message(session, i_message, i_len, &i_len)) != MIKEY_OK) {
        mikey_failed("mikey_session_create_message", r, session);
        goto out;
    }

    fd = open_udp_socket();
    if (fd < 0 || !send_to(fd, i_message, i_len, &responder)) {
        goto out;
    }
    printf("initiator: sent I_MESSAGE (%zu bytes, %d streams, offering %s) to 127.0.0.1:%u\n", i_len, N_STREAMS,
           mikey_srtp_profile_name(profile), (unsigned)port);

    /* The R_MESSAGE (or an error message if the responder refused). */
    n = receive(fd, buf, sizeof buf, &from, "the R_MESSAGE");
    if (n < 0) {
        goto out;
    }
    r = mikey_session_process_message(session, buf, (size_t)n, buf, sizeof buf, &out_len);
    if (r != MIKEY_OK) {
        mikey_failed("mikey_session_process_message (R_MESSAGE)", r, session);
        goto out;
    }
    /* An initiator never answers an R_MESSAGE, but the rule is: if out_len > 0, send it. */
    if (out_len > 0 && !send_to(fd, buf, out_len, &responder)) {
        goto out;
    }
    if (mikey_session_state(session) != MIKEY_STATE_ESTABLISHED) {
        fprintf(stderr, "initiator: not established\n");
        goto out;
    }
    printf("initiator: R_MESSAGE verified (%zd bytes), keys agreed\n", n);

    /* Export each stream's SRTP keys and hand them to libsrtp; then wipe our copy. */
    for (stream = 0; stream < N_STREAMS; stream++) {
        mikey_srtp_keys keys;
        srtp_err_status_t status;
        if ((r = mikey_session_export_srtp(session, (uint8_t)(stream + 1), &keys)) != MIKEY_OK) {
            mikey_failed("mikey_session_export_srtp", r, session);
            goto out;
        }
        status = mikey_srtp_create(&srtp[stream], &keys, MIKEY_SRTP_OUTBOUND);
        printf("initiator: stream %u: ssrc 0x%08lx, profile %s\n", stream + 1, (unsigned long)keys.ssrc,
               mikey_srtp_profile_name(keys.profile));
        mikey_srtp_keys_clear(&keys);
        if (status != srtp_err_status_ok) {
            fprintf(stderr, "initiator: srtp_create: %s\n", mikey_srtp_status_name(status));
            goto out;
        }
    }

    /* Media: 5 RTP packets per stream, protected with SRTP. */
    for (packet = 1; packet <= PACKETS_PER_STREAM; packet++) {
        for (stream = 0; stream < N_STREAMS; stream++) {
            uint8_t rtp[12 + 64 + SRTP_MAX_TRAILER_LEN]; /* room for the SRTP tag */
            int len = mikey_rtp_write_header(rtp, RTP_PAYLOAD_TYPE, (uint16_t)packet, packet * 160u, ssrcs[stream]);
            srtp_err_status_t status;
            len += snprintf((char *)rtp + len, 64, "hello from stream %u, packet %u", stream + 1, packet);
            status = srtp_protect(srtp[stream], rtp, &len);
            if (status != srtp_err_status_ok) {
                fprintf(stderr, "initiator: srtp_protect: %s\n", mikey_srtp_status_name(status));
                goto out;
            }
            if (!send_to(fd, rtp, (size_t)len, &responder)) {
                goto out;
            }
            sent++;
        }
    }
    printf("initiator: sent %u SRTP packets\n", sent);
    ok = 1;

out:
    for (stream = 0; stream < N_STREAMS; stream++) {
        if (srtp[stream] != NULL) {
            srtp_dealloc(srtp[stream]);
        }
    }
    if (fd >= 0) {
        close(fd);
    }
    free(i_message);
    mikey_session_free(session); /* wipes the keys */
    mikey_config_free(config);
    return ok;
}

/* ---- responder ------------------------------------------------------------------------------ */

static int run_responder(unsigned short port)
{
    struct sockaddr_in addr = loopback(port), initiator;
    mikey_config *config = NULL;
    mikey_session *session = NULL;
    mikey_result r;
    srtp_t srtp[N_STREAMS] = {NULL, NULL};
    uint32_t ssrcs[N_STREAMS] = {0, 0};
    uint8_t buf[MAX_DATAGRAM];
    uint8_t reply[MAX_DATAGRAM];
    size_t reply_len = 0, cs_count, cs;
    ssize_t n;
    unsigned decrypted = 0, expected;
    int fd = -1, ok = 0;

    config = demo_config(RESPONDER_ID, INITIATOR_ID);
    if (config == NULL) {
        goto out;
    }
    /* The responder accepts the SRTP policy the initiator offers (within what the library
       supports); no policy to set here. */
    if ((r = mikey_session_new(config, MIKEY_ROLE_RESPONDER, &session)) != MIKEY_OK) {
        mikey_failed("mikey_session_new", r, NULL);
        goto out;
    }

    fd = open_udp_socket();
    if (fd < 0) {
        goto out;
    }
    if (bind(fd, (const struct sockaddr *)&addr, sizeof addr) != 0) {
        perror("bind");
        goto out;
    }
    printf("responder: listening on 127.0.0.1:%u\n", (unsigned)port);
    fflush(stdout);

    /* The I_MESSAGE. */
    n = receive(fd, buf, sizeof buf, &initiator, "the I_MESSAGE");
    if (n < 0) {
        goto out;
    }
    r = mikey_session_process_message(session, buf, (size_t)n, reply, sizeof reply, &reply_len);
    /* Whatever the result, send back what the library wrote: the R_MESSAGE on success, an
       error message (RFC 3830 §5.1.2) when it refused the I_MESSAGE. */
    if (reply_len > 0 && !send_to(fd, reply, reply_len, &initiator)) {
        goto out;
    }
    if (r != MIKEY_OK) {
        mikey_failed("mikey_session_process_message (I_MESSAGE)", r, session);
        goto out;
    }
    printf("responder: I_MESSAGE accepted (%zd bytes), sent R_MESSAGE (%zu bytes)\n", n, reply_len);

    /* One SRTP receive context per crypto session, from the exported keys. */
    cs_count = mikey_session_cs_count(session);
    if (cs_count != N_STREAMS) {
        fprintf(stderr, "responder: %zu streams, the demo expects %d\n", cs_count, N_STREAMS);
        goto out;
    }
    for (cs = 0; cs < cs_count; cs++) {
        mikey_srtp_keys keys;
        srtp_err_status_t status;
        if ((r = mikey_session_export_srtp(session, (uint8_t)(cs + 1), &keys)) != MIKEY_OK) {
            mikey_failed("mikey_session_export_srtp", r, session);
            goto out;
        }
        ssrcs[cs] = keys.ssrc;
        status = mikey_srtp_create(&srtp[cs], &keys, MIKEY_SRTP_INBOUND);
        printf("responder: stream %zu: ssrc 0x%08lx, roc %lu, negotiated profile %s (key %zu + salt %zu bytes, tag %lu)\n",
               cs + 1, (unsigned long)keys.ssrc, (unsigned long)keys.roc, mikey_srtp_profile_name(keys.profile),
               keys.master_key_len, keys.master_salt_len, (unsigned long)keys.auth_tag_len);
        mikey_srtp_keys_clear(&keys);
        if (status != srtp_err_status_ok) {
            fprintf(stderr, "responder: srtp_create: %s\n", mikey_srtp_status_name(status));
            goto out;
        }
    }

    /* Media until every stream's packets are in (or the 5 s timeout). */
    expected = (unsigned)cs_count * PACKETS_PER_STREAM;
    while (decrypted < expected) {
        uint32_t ssrc;
        srtp_err_status_t status;
        int len;
        n = receive(fd, buf, sizeof buf - 1, &initiator, "SRTP packets");
        if (n < 0) {
            goto out;
        }
        len = (int)n;
        ssrc = mikey_rtp_ssrc(buf, (size_t)n);
        for (cs = 0; cs < cs_count && ssrcs[cs] != ssrc; cs++) {
        }
        if (cs == cs_count) {
            fprintf(stderr, "responder: packet from unknown ssrc 0x%08lx ignored\n", (unsigned long)ssrc);
            continue;
        }
        status = srtp_unprotect(srtp[cs], buf, &len);
        if (status != srtp_err_status_ok) {
            fprintf(stderr, "responder: srtp_unprotect (ssrc 0x%08lx): %s\n", (unsigned long)ssrc,
                    mikey_srtp_status_name(status));
            goto out;
        }
        buf[len] = '\0'; /* the demo's payload is text */
        printf("responder: ssrc 0x%08lx seq %u: \"%s\"\n", (unsigned long)ssrc, (unsigned)mikey_rtp_seq(buf, (size_t)len),
               (const char *)buf + 12);
        decrypted++;
    }
    printf("demo OK: %u packets decrypted\n", decrypted);
    ok = 1;

out:
    for (cs = 0; cs < N_STREAMS; cs++) {
        if (srtp[cs] != NULL) {
            srtp_dealloc(srtp[cs]);
        }
    }
    if (fd >= 0) {
        close(fd);
    }
    mikey_session_free(session);
    mikey_config_free(config);
    return ok;
}

/* ---- main ----------------------------------------------------------------------------------- */

static int parse_profile(const char *name, uint32_t *profile)
{
    if (strcmp(name, "AEAD_AES_128_GCM") == 0 || strcmp(name, "gcm") == 0 || strcmp(name, "7") == 0) {
        *profile = 7;
    } else if (strcmp(name, "AES_CM_128_HMAC_SHA1_80") == 0 || strcmp(name, "cm") == 0 || strcmp(name, "1") == 0) {
        *profile = 1;
    } else {
        return 0;
    }
    return 1;
}

static int usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s responder [--port N]\n"
            "       %s initiator [--port N] [--profile AEAD_AES_128_GCM|AES_CM_128_HMAC_SHA1_80]\n",
            argv0, argv0);
    return 2;
}

int main(int argc, char **argv)
{
    unsigned short port = DEFAULT_PORT;
    uint32_t profile = 7; /* AEAD_AES_128_GCM */
    int i, ok;
    srtp_err_status_t status;

    if (argc < 2) {
        return usage(argv[0]);
    }
    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            long value = strtol(argv[++i], NULL, 10);
            if (value <= 0 || value > 65535) {
                return usage(argv[0]);
            }
            port = (unsigned short)value;
        } else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc) {
            if (!parse_profile(argv[++i], &profile)) {
                return usage(argv[0]);
            }
        } else {
            return usage(argv[0]);
        }
    }
    printf("mikey %s, libsrtp %s\n", mikey_version(), srtp_get_version_string());

    if ((status = srtp_init()) != srtp_err_status_ok) {
        fprintf(stderr, "srtp_init: %s\n", mikey_srtp_status_name(status));
        return 1;
    }
    if (strcmp(argv[1], "initiator") == 0) {
        ok = run_initiator(port, profile);
    } else if (strcmp(argv[1], "responder") == 0) {
        ok = run_responder(port);
    } else {
        srtp_shutdown();
        return usage(argv[0]);
    }
    srtp_shutdown();
    fflush(stdout);
    return ok ? 0 : 1;
}
