/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * rtsp_camera_session: an RTSP camera session end to end, the way a video management system
 * (VMS) runs one, with mikey for the keys and libsrtp for the media; no GStreamer on this side.
 *
 *   rtsp_camera_session <path of rtsp_test_camera>
 *
 * It starts the test camera (rtsp_test_camera.c: gst-rtsp-server with the SAVP profile, on
 * 127.0.0.1 and a free port) and then, over one TCP connection:
 *  1. OPTIONS and DESCRIBE (RFC 2326 §10.1, §10.2); the SDP's a=key-mgmt:mikey attribute (RFC 4567
 *     §3.1, media or session level) goes through mikey_sdp_key_mgmt_decode;
 *  2. a mikey NULL-method responder (RFC 3830 §4.2.3: the key travels in clear inside the
 *     signalling) processes the camera's I_MESSAGE and exports the SRTP keys of its crypto
 *     session (RFC 3830 §6.10.1, RFC 3711 §8.2); the message is also walked by hand here to show
 *     what it carries, and the camera reports the key its srtpenc encrypts with;
 *  3. SETUP with Transport: RTP/SAVP/TCP;unicast;interleaved=0-1 (RFC 2326 §10.4, §10.12, §12.39)
 *     and a KeyMgmt header (RFC 4567 §3.2) carrying our own NULL-method
 *     I_MESSAGE made by a mikey initiator for our SSRC: gst-rtsp-server does not need it to play,
 *     but without it it drops the receiver reports we send (it keys its SRTCP decoder from it);
 *  4. PLAY (RFC 2326 §10.5), then the interleaved frames: every RTP packet on channel 0 and every
 *     RTCP packet on channel 1 goes through libsrtp (srtp_unprotect, srtp_unprotect_rtcp, RFC 3711
 *     §3.3, §3.4), sequence numbers are checked for continuity, and each sender report is
 *     answered by an SRTCP receiver report (RFC 3550 §6.4.2) on channel 1;
 *  5. TEARDOWN (RFC 2326 §10.7); the camera then says which keys it used and what its RTP
 *     session learnt from our receiver reports.
 * Last, with the first SRTP packet kept aside: libsrtp must refuse it under a key with one byte
 * flipped, a salt with one byte flipped, another SSRC, and with one ciphertext byte flipped.
 *
 * Bounded: alarm(60) ends everything; the camera dies with us (PR_SET_PDEATHSIG) and by itself
 * after 90 s anyway. Loopback only.
 */
#include "common.h"
#include "rtsp_conn.h"
#include "srtp_glue.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#define TEST_NAME "rtsp_camera_session"
#define ALARM_SECONDS 60
#define STRINGIFY(x) #x
#define SECONDS_TEXT(x) STRINGIFY(x)
#define STREAM_SECONDS 25           /* at most this long from PLAY to TEARDOWN */
#define MIN_RTP_OK 100              /* the task: at least 100 packets decrypted */
#define TARGET_RTP_OK 200           /* we read this many (4 s of 20 ms packets) */
#define PACKETS_AFTER_RR 25         /* read this many after the last receiver report */
#define CAMERA_PAYLOAD_TYPE 0       /* PCMU (RFC 3551) */
#define CAMERA_PAYLOAD_LEN 160      /* 20 ms at 8 kHz, one byte a sample */

/* ---- the camera process -------------------------------------------------------------------- */

static volatile pid_t camera_pid = -1;
static int camera_fd = -1;          /* read end of the camera's stdout */
static char camera_buf[8192];
static size_t camera_buf_len;

static void on_alarm(int sig)
{
    static const char msg[] = TEST_NAME ": FAIL (timed out after " SECONDS_TEXT(ALARM_SECONDS) " s; killing the camera)\n";
    ssize_t ignored;
    (void)sig;
    ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)ignored;
    if (camera_pid > 0) {
        kill(camera_pid, SIGKILL);
    }
    _exit(1);
}

/* One line of the camera's stdout (without the newline) before the deadline; 0 on success. */
static int camera_read_line(char *line, size_t cap, double deadline)
{
    for (;;) {
        char *nl = memchr(camera_buf, '\n', camera_buf_len);
        struct pollfd pfd;
        ssize_t n;
        int ready;

        if (nl != NULL) {
            size_t len = (size_t)(nl - camera_buf);
            size_t copy = len < cap - 1 ? len : cap - 1;
            memcpy(line, camera_buf, copy);
            line[copy] = '\0';
            memmove(camera_buf, nl + 1, camera_buf_len - len - 1);
            camera_buf_len -= len + 1;
            return 0;
        }
        if (camera_buf_len == sizeof camera_buf) {
            camera_buf_len = 0; /* a line longer than the buffer: drop it */
        }
        pfd.fd = camera_fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        ready = poll(&pfd, 1, deadline > rtsp_now() ? (int)((deadline - rtsp_now()) * 1000) + 1 : 0);
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready <= 0) {
            return -1;
        }
        n = read(camera_fd, camera_buf + camera_buf_len, sizeof camera_buf - camera_buf_len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1; /* the camera closed its stdout (exited) */
        }
        camera_buf_len += (size_t)n;
    }
}

/* Starts the camera and reads its port. 0 on success. */
static int camera_start(const char *path, char *port, size_t port_cap)
{
    int fds[2];
    char line[512];
    double deadline = rtsp_now() + 20;

    if (pipe(fds) != 0) {
        perror("pipe");
        return -1;
    }
    camera_pid = fork();
    if (camera_pid < 0) {
        perror("fork");
        return -1;
    }
    if (camera_pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
#if defined(__linux__)
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the test */
#endif
        execl(path, path, "--lifetime", "90", (char *)NULL);
        perror(path);
        _exit(127);
    }
    close(fds[1]);
    camera_fd = fds[0];
    while (camera_read_line(line, sizeof line, deadline) == 0) {
        const char *p = strstr(line, "CAMERA port=");
        if (p != NULL) {
            unsigned long n = strtoul(p + strlen("CAMERA port="), NULL, 10);
            if (n == 0 || n > 65535) {
                break;
            }
            snprintf(port, port_cap, "%lu", n);
            return 0;
        }
    }
    fprintf(stderr, "%s: the camera did not say its port\n", TEST_NAME);
    return -1;
}

/* Stops the camera (SIGTERM, then SIGKILL after 5 s); returns its wait status, or -1. */
static int camera_stop(void)
{
    int status = -1;
    double deadline = rtsp_now() + 5;
    pid_t pid = camera_pid;

    if (pid <= 0) {
        return -1;
    }
    kill(pid, SIGTERM);
    for (;;) {
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            break;
        }
        if (done < 0 && errno != EINTR) {
            status = -1;
            break;
        }
        if (rtsp_now() > deadline) {
            fprintf(stderr, "%s: the camera ignored SIGTERM; SIGKILL\n", TEST_NAME);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            status = -1;
            break;
        }
        {
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    camera_pid = -1;
    if (camera_fd >= 0) {
        close(camera_fd);
        camera_fd = -1;
    }
    return status;
}

/* What the camera reported at TEARDOWN (rtsp_test_camera.c). */
typedef struct camera_report {
    int have_stream;
    unsigned ssrc;
    char key_hex[160];
    char rtp_cipher[32], rtp_auth[32], rtcp_cipher[32], rtcp_auth[32];
    int have_sender;                /* its own sending source, with our SSRC's keys */
    int saw_our_ssrc;               /* a source with our SSRC: learnt from our SRTCP */
    int our_have_rb;                /* and the report block our RR carried, as it read it */
    unsigned our_rb_ext_seq;
    int our_rb_lost;
    unsigned our_rb_fraction;
    int complete;                   /* "CAMERA report-end" seen */
} camera_report;

static void camera_read_report(camera_report *report, uint32_t our_ssrc)
{
    char line[1024];
    double deadline = rtsp_now() + 10;

    memset(report, 0, sizeof *report);
    while (camera_read_line(line, sizeof line, deadline) == 0) {
        unsigned stream, ssrc, ext = 0, fraction = 0;
        int internal, sender, have_rb, lost = 0;

        printf("  camera says: %s\n", line);
        if (strcmp(line, "CAMERA report-end") == 0) {
            report->complete = 1;
            return;
        }
        if (!report->have_stream &&
            sscanf(line, "CAMERA stream=%u ssrc=0x%x key=%159s rtp-cipher=%31s rtp-auth=%31s rtcp-cipher=%31s rtcp-auth=%31s",
                   &stream, &ssrc, report->key_hex, report->rtp_cipher, report->rtp_auth, report->rtcp_cipher,
                   report->rtcp_auth) == 7) {
            report->have_stream = 1;
            report->ssrc = ssrc;
        } else if (sscanf(line,
                          "CAMERA source stream=%u ssrc=0x%x internal=%d sender=%d have-rb=%d rb-exthighestseq=%u "
                          "rb-packetslost=%d rb-fractionlost=%u",
                          &stream, &ssrc, &internal, &sender, &have_rb, &ext, &lost, &fraction) == 8) {
            if (internal && sender && ssrc == report->ssrc) {
                report->have_sender = 1;
            } else if (!internal && ssrc == our_ssrc) {
                /* gst's RTPSource keeps the last report block a remote source sent with it. */
                report->saw_our_ssrc = 1;
                report->our_have_rb = have_rb;
                report->our_rb_ext_seq = ext;
                report->our_rb_lost = lost;
                report->our_rb_fraction = fraction;
            }
        }
    }
}

/* ---- the MIKEY message, walked by hand (RFC 3830 §6) ---------------------------------------- */

/* Only to show and cross-check what the camera sent, independently of mikey's parser: the
 * payloads a NULL-method I_MESSAGE carries (HDR, T, RAND, SP, KEMAC, and ID/EXT if present). */
typedef struct mikey_walk {
    uint8_t data_type;              /* §6.1: 0 = I_MESSAGE of the PSK (and NULL) method */
    uint8_t v_prf;
    uint32_t csb_id;
    uint8_t n_cs;
    uint8_t map_type;               /* 0 = SRTP-ID */
    uint32_t ssrc[16], roc[16];
    char chain[128];                /* the payload chain, by name */
    uint8_t ts_type;
    size_t rand_len;
    size_t n_params;
    uint8_t param_type[32], param_len[32], param_value[32][8];
    uint8_t kemac_enc, kemac_mac;
    uint8_t key_type, key_kv;       /* §6.13: 2 = TEK, 3 = TEK+SALT */
    uint8_t key[64], salt[32];
    size_t key_len, salt_len;
} mikey_walk;

static const char *payload_name(uint8_t type)
{
    switch (type) {
    case 1: return "KEMAC";
    case 5: return "T";
    case 6: return "ID";
    case 10: return "SP";
    case 11: return "RAND";
    case 21: return "EXT";
    default: return "?";
    }
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t be16(const uint8_t *p)
{
    return (size_t)p[0] << 8 | p[1];
}

/* 0 on success, else why it could not walk the message into `why`. */
static int walk_key_data(const uint8_t *d, size_t len, mikey_walk *w, const char **why)
{
    /* §6.13 Key data sub-payload: next payload, type (4 bits) | KV (4 bits), key data length, key
       data, the salt (length and bytes) for the "+SALT" types, then the KV data. Only the first
       one is kept. */
    size_t key_len, pos;
    if (len < 4) {
        *why = "short key data sub-payload";
        return -1;
    }
    w->key_type = d[1] >> 4;
    w->key_kv = d[1] & 0x0f;
    key_len = be16(d + 2);
    if (4 + key_len > len || key_len > sizeof w->key) {
        *why = "key data longer than the KEMAC";
        return -1;
    }
    memcpy(w->key, d + 4, key_len);
    w->key_len = key_len;
    pos = 4 + key_len;
    if (w->key_type == 1 || w->key_type == 3) {
        size_t salt_len;
        if (pos + 2 > len || (salt_len = be16(d + pos)) > sizeof w->salt || pos + 2 + salt_len > len) {
            *why = "bad salt";
            return -1;
        }
        memcpy(w->salt, d + pos + 2, salt_len);
        w->salt_len = salt_len;
    }
    return 0;
}

static int walk_mikey(const uint8_t *m, size_t len, mikey_walk *w, const char **why)
{
    size_t pos, i;
    uint8_t next;

    memset(w, 0, sizeof *w);
    /* §6.1 HDR: version, data type, next payload, V | PRF func, CSB ID, #CS, CS ID map type, and
       for SRTP-ID (§6.1.1) #CS times policy no, SSRC, ROC. */
    if (len < 10 || m[0] != 1) {
        *why = "not a MIKEY version 1 header";
        return -1;
    }
    w->data_type = m[1];
    next = m[2];
    w->v_prf = m[3];
    w->csb_id = be32(m + 4);
    w->n_cs = m[8];
    w->map_type = m[9];
    if (w->map_type != 0 || w->n_cs > 16 || len < 10 + 9u * w->n_cs) {
        *why = "not an SRTP-ID CS map this walker reads";
        return -1;
    }
    for (i = 0; i < w->n_cs; i++) {
        w->ssrc[i] = be32(m + 10 + 9 * i + 1);
        w->roc[i] = be32(m + 10 + 9 * i + 5);
    }
    pos = 10 + 9u * w->n_cs;
    snprintf(w->chain, sizeof w->chain, "HDR");
    while (next != 0) { /* 0 = Last payload */
        uint8_t type = next;
        size_t used;
        if (pos + 1 > len) {
            *why = "truncated payload";
            return -1;
        }
        next = m[pos];
        switch (type) {
        case 5: /* §6.6 T: TS type, TS value (NTP-UTC and NTP 8 bytes, COUNTER 4) */
            if (pos + 2 > len || m[pos + 1] > 2) {
                *why = "bad T payload";
                return -1;
            }
            w->ts_type = m[pos + 1];
            used = 2 + (w->ts_type == 2 ? 4 : 8);
            break;
        case 11: /* §6.11 RAND: length, bytes */
            if (pos + 2 > len) {
                *why = "bad RAND payload";
                return -1;
            }
            w->rand_len = m[pos + 1];
            used = 2 + w->rand_len;
            break;
        case 10: /* §6.10 SP: policy no, protocol type, parameter length, (type, length, value)* */
            if (pos + 5 > len) {
                *why = "bad SP payload";
                return -1;
            }
            used = 5 + be16(m + pos + 3);
            if (pos + used > len) {
                *why = "SP parameters beyond the message";
                return -1;
            }
            for (i = pos + 5; i + 2 <= pos + used && w->n_params < 32;) {
                size_t plen = m[i + 1];
                if (i + 2 + plen > pos + used) {
                    *why = "bad SP parameter";
                    return -1;
                }
                w->param_type[w->n_params] = m[i];
                w->param_len[w->n_params] = (uint8_t)plen;
                memcpy(w->param_value[w->n_params], m + i + 2, plen < 8 ? plen : 8);
                w->n_params++;
                i += 2 + plen;
            }
            break;
        case 1: { /* §6.2 KEMAC: encr alg, encr data length, encr data, MAC alg, MAC */
            size_t enc_len, mac_len;
            if (pos + 4 > len) {
                *why = "bad KEMAC payload";
                return -1;
            }
            w->kemac_enc = m[pos + 1];
            enc_len = be16(m + pos + 2);
            if (pos + 4 + enc_len + 1 > len) {
                *why = "KEMAC beyond the message";
                return -1;
            }
            w->kemac_mac = m[pos + 4 + enc_len];
            mac_len = w->kemac_mac == 0 ? 0 : 20; /* NULL, or HMAC-SHA-1-160 */
            used = 5 + enc_len + mac_len;
            /* NULL encryption (§4.2.3): the Key data sub-payloads are there in clear. */
            if (w->kemac_enc == 0 && walk_key_data(m + pos + 4, enc_len, w, why) != 0) {
                return -1;
            }
            break;
        }
        case 6:  /* §6.7 ID: ID type, length, data */
        case 21: /* §6.15 General extension: type, length, data */
            if (pos + 4 > len) {
                *why = "bad ID/EXT payload";
                return -1;
            }
            used = 4 + be16(m + pos + 2);
            break;
        default:
            *why = "a payload type this walker does not read";
            return -1;
        }
        if (pos + used > len) {
            *why = "payload beyond the message";
            return -1;
        }
        pos += used;
        strncat(w->chain, " ", sizeof w->chain - strlen(w->chain) - 1);
        strncat(w->chain, payload_name(type), sizeof w->chain - strlen(w->chain) - 1);
    }
    if (pos != len) {
        *why = "bytes after the last payload";
        return -1;
    }
    return 0;
}

/* ---- SDP (RFC 4566) ------------------------------------------------------------------------- */

typedef struct sdp_info {
    char session_control[512];
    char session_key_mgmt[4096];    /* RFC 4567 §3.1: applies to every media without its own */
    size_t n_media;
    /* the first media */
    char media[32], proto[64];
    int payload_type;
    char control[512];
    char key_mgmt[4096];
    char rtpmap[128];
} sdp_info;

static void copy_value(char *out, size_t cap, const char *value)
{
    snprintf(out, cap, "%s", value);
}

static void parse_sdp(char *sdp, sdp_info *info)
{
    char *line, *next;
    memset(info, 0, sizeof *info);
    info->payload_type = -1;
    for (line = sdp; line != NULL && *line != '\0'; line = next) {
        size_t len;
        next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        len = strlen(line);
        if (len > 0 && line[len - 1] == '\r') {
            line[--len] = '\0';
        }
        if (len < 2 || line[1] != '=') {
            continue;
        }
        if (line[0] == 'm') {
            /* m=<media> <port> <proto> <fmt> ... */
            info->n_media++;
            if (info->n_media == 1) {
                char media[32] = "", proto[64] = "";
                int pt = -1;
                if (sscanf(line + 2, "%31s %*s %63s %d", media, proto, &pt) >= 2) {
                    copy_value(info->media, sizeof info->media, media);
                    copy_value(info->proto, sizeof info->proto, proto);
                    info->payload_type = pt;
                }
            }
            continue;
        }
        if (line[0] != 'a') {
            continue;
        }
        if (strncmp(line + 2, "control:", 8) == 0) {
            if (info->n_media == 0) {
                copy_value(info->session_control, sizeof info->session_control, line + 10);
            } else if (info->n_media == 1) {
                copy_value(info->control, sizeof info->control, line + 10);
            }
        } else if (strncmp(line + 2, "key-mgmt:", 9) == 0) {
            if (info->n_media == 0) {
                copy_value(info->session_key_mgmt, sizeof info->session_key_mgmt, line + 2);
            } else if (info->n_media == 1) {
                copy_value(info->key_mgmt, sizeof info->key_mgmt, line + 2);
            }
        } else if (strncmp(line + 2, "rtpmap:", 7) == 0 && info->n_media == 1) {
            copy_value(info->rtpmap, sizeof info->rtpmap, line + 9);
        }
    }
}

/* ---- the media: SRTP and SRTCP over the interleaved channels ------------------------------- */

typedef struct media_state {
    rtsp_conn *conn;
    srtp_t rx;                      /* the camera's stream: srtp_unprotect, srtp_unprotect_rtcp */
    srtp_t tx;                      /* our receiver reports: srtp_protect_rtcp (NULL: none) */
    uint32_t ssrc;                  /* the camera's SSRC from MIKEY (0: take any) */
    uint32_t our_ssrc;
    int after_teardown;

    unsigned long rtp_frames, rtp_ok, rtp_failed, rtp_malformed;
    unsigned long wrong_ssrc, wrong_pt, wrong_len, not_encrypted;
    srtp_err_status_t first_failure;
    uint32_t first_ssrc_seen;

    int have_seq;
    uint16_t first_seq, last_seq;
    uint32_t cycles;                /* RFC 3550 A.1: sequence number wraps, shifted by 16 */
    unsigned long gaps, lost, out_of_order;

    unsigned long rtcp_frames, rtcp_ok, rtcp_failed, sender_reports, sr_wrong_ssrc;
    unsigned long rtcp_index_reused; /* replayed SRTCP index, authenticated by a fresh session */
    uint32_t rtcp_reused_index;
    const mikey_srtp_keys *keys;    /* the exported keys, for those fresh sessions */
    srtp_err_status_t rtcp_first_failure;
    uint32_t rtcp_failed_ssrc;      /* the (clear) sender SSRC of the first packet that failed */
    size_t rtcp_failed_len;
    int rtcp_failed_after_teardown;
    uint32_t lsr;                   /* middle 32 bits of the last SR's NTP timestamp */
    double sr_arrival;
    uint32_t sr_packet_count;

    unsigned long rr_sent, rr_failed, rtp_ok_at_rr;
    uint32_t rr_ext_seq;            /* the extended highest sequence number of the last RR */
    uint32_t expected_prior, received_prior; /* RFC 3550 A.3, for the fraction lost */

    unsigned long other_frames;
    uint8_t first_packet[2048];     /* the first SRTP packet, as received */
    size_t first_len;
    uint8_t first_plain[2048];      /* and decrypted */
    int first_plain_len;
} media_state;

static uint32_t ext_highest_seq(const media_state *ms)
{
    return ms->cycles + ms->last_seq;
}

/* RFC 3550 §6.4.2 receiver report with one report block about the camera's SSRC, and an SDES
 * CNAME (§6.5.1: a compound RTCP packet carries one), protected by SRTCP (RFC 3711 §3.4). */
static void send_receiver_report(media_state *ms)
{
    uint8_t pkt[256 + SRTP_MAX_TRAILER_LEN];
    static const char cname[] = "vms@127.0.0.1";
    uint32_t ext = ext_highest_seq(ms);
    uint32_t expected = ext - ms->first_seq + 1;
    uint32_t received = (uint32_t)ms->rtp_ok;
    uint32_t lost = expected > received ? expected - received : 0;
    uint32_t expected_interval = expected - ms->expected_prior;
    uint32_t lost_interval = expected_interval - (received - ms->received_prior);
    uint32_t fraction = expected_interval == 0 || (int32_t)lost_interval <= 0 ? 0 : (lost_interval << 8) / expected_interval;
    uint32_t dlsr = ms->sr_arrival > 0 ? (uint32_t)((rtsp_now() - ms->sr_arrival) * 65536.0) : 0;
    size_t n = 0, sdes_start, i;
    int len;
    srtp_err_status_t status;

    ms->expected_prior = expected;
    ms->received_prior = received;
    /* RR: V=2, P=0, RC=1; PT=201; length 7 (32-bit words - 1); SSRC of sender; report block. */
    pkt[n++] = 0x81;
    pkt[n++] = 201;
    pkt[n++] = 0;
    pkt[n++] = 7;
    for (i = 0; i < 4; i++) pkt[n++] = (uint8_t)(ms->our_ssrc >> (24 - 8 * i));
    for (i = 0; i < 4; i++) pkt[n++] = (uint8_t)(ms->ssrc >> (24 - 8 * i));      /* SSRC_1 */
    pkt[n++] = (uint8_t)fraction;                                                /* fraction lost */
    for (i = 0; i < 3; i++) pkt[n++] = (uint8_t)(lost >> (16 - 8 * i));          /* cumulative lost */
    for (i = 0; i < 4; i++) pkt[n++] = (uint8_t)(ext >> (24 - 8 * i));           /* ext. highest seq */
    for (i = 0; i < 4; i++) pkt[n++] = 0;                                        /* jitter: not measured */
    for (i = 0; i < 4; i++) pkt[n++] = (uint8_t)(ms->lsr >> (24 - 8 * i));       /* LSR */
    for (i = 0; i < 4; i++) pkt[n++] = (uint8_t)(dlsr >> (24 - 8 * i));          /* DLSR */
    /* SDES: V=2, SC=1; PT=202; one chunk: SSRC, CNAME item, END, padded to 32 bits. */
    sdes_start = n;
    pkt[n++] = 0x81;
    pkt[n++] = 202;
    pkt[n++] = 0;
    pkt[n++] = 0; /* length, below */
    for (i = 0; i < 4; i++) pkt[n++] = (uint8_t)(ms->our_ssrc >> (24 - 8 * i));
    pkt[n++] = 1; /* CNAME */
    pkt[n++] = (uint8_t)(sizeof cname - 1);
    memcpy(pkt + n, cname, sizeof cname - 1);
    n += sizeof cname - 1;
    pkt[n++] = 0; /* END */
    while ((n - sdes_start) % 4 != 0) {
        pkt[n++] = 0;
    }
    pkt[sdes_start + 3] = (uint8_t)((n - sdes_start) / 4 - 1);

    len = (int)n;
    status = srtp_protect_rtcp(ms->tx, pkt, &len);
    if (status != srtp_err_status_ok ||
        rtsp_send_frame(ms->conn, 1, pkt, (size_t)len) != 0) {
        ms->rr_failed++;
        fprintf(stderr, "%s: receiver report not sent (%s, %s)\n", TEST_NAME, mikey_srtp_status_name(status),
                ms->conn->error);
        return;
    }
    ms->rr_sent++;
    ms->rr_ext_seq = ext;
    ms->rtp_ok_at_rr = ms->rtp_ok;
}

static void on_rtp(media_state *ms, const uint8_t *data, size_t len)
{
    uint8_t buf[2048];
    int plain_len = (int)len;
    srtp_err_status_t status;
    size_t header_len;
    uint16_t seq;

    ms->rtp_frames++;
    if (len < 12 || len > sizeof buf || (data[0] >> 6) != 2) {
        ms->rtp_malformed++;
        ms->rtp_failed++;
        return;
    }
    if (ms->first_len == 0) {
        memcpy(ms->first_packet, data, len);
        ms->first_len = len;
        ms->first_ssrc_seen = mikey_rtp_ssrc(data, len);
    }
    memcpy(buf, data, len);
    status = srtp_unprotect(ms->rx, buf, &plain_len);
    if (status != srtp_err_status_ok) {
        if (ms->rtp_failed == 0) {
            ms->first_failure = status;
        }
        ms->rtp_failed++;
        return;
    }
    ms->rtp_ok++;
    if (ms->first_plain_len == 0) {
        memcpy(ms->first_plain, buf, (size_t)plain_len);
        ms->first_plain_len = plain_len;
    }
    if (ms->ssrc != 0 && mikey_rtp_ssrc(buf, (size_t)plain_len) != ms->ssrc) {
        ms->wrong_ssrc++;
    }
    if ((buf[1] & 0x7f) != CAMERA_PAYLOAD_TYPE) {
        ms->wrong_pt++;
    }
    header_len = 12 + 4u * (buf[0] & 0x0f);
    if ((size_t)plain_len != header_len + CAMERA_PAYLOAD_LEN) {
        ms->wrong_len++;
    } else if (memcmp(buf + header_len, data + header_len, CAMERA_PAYLOAD_LEN) == 0) {
        ms->not_encrypted++; /* SRTP encryption on: the payload must have changed */
    }

    /* Continuity (RFC 3550 §5.1: +1 per packet; over TCP nothing may be lost or reordered). */
    seq = mikey_rtp_seq(buf, (size_t)plain_len);
    if (!ms->have_seq) {
        ms->have_seq = 1;
        ms->first_seq = seq;
        ms->last_seq = seq;
    } else {
        uint16_t expected = (uint16_t)(ms->last_seq + 1);
        uint16_t ahead = (uint16_t)(seq - expected);
        if (seq == expected) {
            if (seq == 0) {
                ms->cycles += 0x10000u;
            }
            ms->last_seq = seq;
        } else if (ahead < 0x8000u) {
            ms->gaps++;
            ms->lost += ahead;
            if (seq < ms->last_seq) {
                ms->cycles += 0x10000u;
            }
            ms->last_seq = seq;
        } else {
            ms->out_of_order++;
        }
    }
}

static void on_rtcp(media_state *ms, const uint8_t *data, size_t len)
{
    uint8_t buf[2048];
    int plain_len = (int)len;
    size_t pos = 0;
    srtp_err_status_t status;

    ms->rtcp_frames++;
    if (len < 8 || len > sizeof buf) {
        ms->rtcp_failed++;
        return;
    }
    memcpy(buf, data, len);
    status = srtp_unprotect_rtcp(ms->rx, buf, &plain_len);
    if (status == srtp_err_status_replay_fail && ms->keys != NULL) {
        /* An SRTCP index seen before (RFC 3711 §3.3.2 replay list; libsrtp refuses it before
           authenticating). gst-rtsp-server 1.22 does send such packets: a PLAY with a Range
           makes it flush the live pipeline, srtpenc then starts a new libsrtp session under
           the same key and its SRTCP index restarts at 1 (RFC 3711 §9.1 forbids reusing an
           index under one key). Whether the packet is genuine is still ours to check: a fresh
           session with the exported keys must authenticate it. */
        srtp_t fresh = NULL;
        memcpy(buf, data, len);
        plain_len = (int)len;
        status = mikey_srtp_create(&fresh, ms->keys, MIKEY_SRTP_INBOUND);
        if (status == srtp_err_status_ok) {
            status = srtp_unprotect_rtcp(fresh, buf, &plain_len);
            srtp_dealloc(fresh);
        }
        if (status == srtp_err_status_ok) {
            ms->rtcp_index_reused++;
            if (ms->rtcp_reused_index == 0) {
                ms->rtcp_reused_index = be32(data + len - 4 - ms->keys->auth_tag_len) & 0x7fffffffu;
            }
        } else {
            status = srtp_err_status_replay_fail;
        }
    }
    if (status != srtp_err_status_ok) {
        if (ms->rtcp_failed == 0) {
            ms->rtcp_first_failure = status;
            ms->rtcp_failed_ssrc = be32(data + 4);
            ms->rtcp_failed_len = len;
            ms->rtcp_failed_after_teardown = ms->after_teardown;
        }
        ms->rtcp_failed++;
        return;
    }
    ms->rtcp_ok++;
    /* A compound RTCP packet (RFC 3550 §6.1): each packet's length is in 32-bit words - 1. */
    while (pos + 8 <= (size_t)plain_len) {
        size_t packet_len = (be16(buf + pos + 2) + 1) * 4;
        if ((buf[pos] >> 6) != 2 || pos + packet_len > (size_t)plain_len) {
            break;
        }
        if (buf[pos + 1] == 200 && packet_len >= 28) {
            /* SR (§6.4.1): SSRC, NTP timestamp (64 bits), RTP timestamp, packet and octet counts. */
            ms->sender_reports++;
            if (ms->ssrc != 0 && be32(buf + pos + 4) != ms->ssrc) {
                ms->sr_wrong_ssrc++;
            }
            ms->lsr = (be32(buf + pos + 8) & 0xffffu) << 16 | be32(buf + pos + 12) >> 16;
            ms->sr_arrival = rtsp_now();
            ms->sr_packet_count = be32(buf + pos + 20);
            if (ms->tx != NULL && !ms->after_teardown && ms->have_seq) {
                send_receiver_report(ms);
            }
        }
        pos += packet_len;
    }
}

static void on_frame(void *ctx, const rtsp_frame *frame)
{
    media_state *ms = ctx;
    if (frame->channel == 0) {
        on_rtp(ms, frame->data, frame->len);
    } else if (frame->channel == 1) {
        on_rtcp(ms, frame->data, frame->len);
    } else {
        ms->other_frames++;
    }
}

/* ---- helpers ------------------------------------------------------------------------------- */

static void hex(const uint8_t *bytes, size_t len, char *out, size_t cap)
{
    size_t i;
    out[0] = '\0';
    for (i = 0; i < len && 2 * i + 2 < cap; i++) {
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
    }
}

static uint32_t random_ssrc(void)
{
    uint32_t value = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f != NULL) {
        if (fread(&value, sizeof value, 1, f) != 1) {
            value = 0;
        }
        fclose(f);
    }
    if (value == 0) {
        value = (uint32_t)getpid() * 2654435761u ^ (uint32_t)time(NULL);
    }
    return value == 0 ? 1 : value;
}

/* libsrtp's verdict on the first packet under `keys` with one change; a fresh session each time
 * (the replay list of another would refuse the packet for another reason). */
static srtp_err_status_t verdict(const media_state *ms, const mikey_srtp_keys *keys, int flip_cipher_byte,
                                 uint8_t *plain, int *plain_len)
{
    srtp_t session = NULL;
    srtp_err_status_t status = mikey_srtp_create(&session, keys, MIKEY_SRTP_INBOUND);
    uint8_t buf[2048];
    int len = (int)ms->first_len;

    if (status != srtp_err_status_ok) {
        return status;
    }
    memcpy(buf, ms->first_packet, ms->first_len);
    if (flip_cipher_byte) {
        buf[12] ^= 0x01; /* the first payload byte */
    }
    status = srtp_unprotect(session, buf, &len);
    if (status == srtp_err_status_ok && plain != NULL) {
        memcpy(plain, buf, (size_t)len);
        *plain_len = len;
    }
    srtp_dealloc(session);
    return status;
}

/* ---- the session ---------------------------------------------------------------------------- */

static rtsp_conn conn;
static rtsp_response resp;
static rtsp_frame frame;
static media_state ms;

static void run_session(const char *port)
{
    char url[256], base[512], control_url[1024], aggregate_url[1024], value[256], hexbuf[200];
    char extra[8192], keymgmt[4096];
    const char *header, *key_mgmt_value, *key_mgmt_level, *why = "";
    sdp_info sdp;
    mikey_walk walk;
    mikey_config *resp_cfg = NULL, *init_cfg = NULL;
    mikey_session *responder = NULL, *initiator = NULL;
    mikey_srtp_keys keys, our_keys, changed;
    uint8_t msg[MIKEY_MAX_MESSAGE_LEN], reply[MIKEY_MAX_MESSAGE_LEN], ours[MIKEY_MAX_MESSAGE_LEN];
    uint8_t decoded[MIKEY_MAX_MESSAGE_LEN];
    size_t msg_len = 0, reply_len = 0, ours_len = 0, decoded_len = 0, keymgmt_len = 0, count = 0;
    uint8_t cs_id = 0;
    uint8_t exported[64], plain[2048];
    int plain_len = 0, rtp_info_seq = -1, have_keys = 0, teardown_sent = 0;
    unsigned transport_ssrc = 0;
    int transport_has_ssrc = 0;
    camera_report report;
    double t0 = rtsp_now(), deadline, play_time = 0, stream_end = 0;
    size_t i;

    memset(&keys, 0, sizeof keys);
    memset(&our_keys, 0, sizeof our_keys);
    memset(&ms, 0, sizeof ms);
    ms.conn = &conn;
    snprintf(url, sizeof url, "rtsp://127.0.0.1:%s/camera", port);
    printf("%s: camera at %s (pid %ld)\n", TEST_NAME, url, (long)camera_pid);

    if (!CHECK(rtsp_connect(&conn, "127.0.0.1", port, rtsp_now() + 10) == 0, "connect: %s", conn.error)) {
        return;
    }

    /* OPTIONS (RFC 2326 §10.1): the camera must offer what we are going to use. */
    if (!CHECK(rtsp_transact(&conn, "OPTIONS", url, NULL, &resp, NULL, NULL, rtsp_now() + 10) == 0, "%s",
               conn.error) ||
        !CHECK(resp.status == 200, "OPTIONS: %d %s", resp.status, resp.reason)) {
        goto out;
    }
    header = rtsp_header(&resp, "Public", 0);
    CHECK(header != NULL && strstr(header, "DESCRIBE") && strstr(header, "SETUP") && strstr(header, "PLAY") &&
              strstr(header, "TEARDOWN"),
          "OPTIONS: Public is \"%s\"", header != NULL ? header : "(none)");

    /* DESCRIBE (RFC 2326 §10.2) for the SDP. */
    if (!CHECK(rtsp_transact(&conn, "DESCRIBE", url, "Accept: application/sdp\r\n", &resp, NULL, NULL,
                             rtsp_now() + 20) == 0,
               "%s", conn.error) ||
        !CHECK(resp.status == 200, "DESCRIBE: %d %s", resp.status, resp.reason)) {
        goto out;
    }
    header = rtsp_header(&resp, "Content-Type", 0);
    CHECK(header != NULL && strncasecmp(header, "application/sdp", 15) == 0, "DESCRIBE: Content-Type %s",
          header != NULL ? header : "(none)");
    CHECK(resp.body_len > 0, "DESCRIBE: no SDP body");
    /* RFC 2326 §C.1.1: relative control URLs are against Content-Base, else Content-Location,
       else the request URL. */
    header = rtsp_header(&resp, "Content-Base", 0);
    if (header == NULL) {
        header = rtsp_header(&resp, "Content-Location", 0);
    }
    snprintf(base, sizeof base, "%s", header != NULL ? header : url);
    printf("  DESCRIBE: %d %s, %zu bytes of SDP, base %s\n", resp.status, resp.reason, resp.body_len, base);
    parse_sdp(resp.body, &sdp);
    CHECK(sdp.n_media == 1, "SDP: %zu media (the camera serves one)", sdp.n_media);
    CHECK(strcmp(sdp.proto, "RTP/SAVP") == 0, "SDP: media proto \"%s\", not RTP/SAVP", sdp.proto);
    CHECK(sdp.payload_type == CAMERA_PAYLOAD_TYPE, "SDP: payload type %d", sdp.payload_type);
    rtsp_resolve_control(base, sdp.control, control_url, sizeof control_url);
    rtsp_resolve_control(base, sdp.session_control, aggregate_url, sizeof aggregate_url);
    printf("  SDP: m=%s %s %d (%s), control %s, aggregate %s\n", sdp.media, sdp.proto, sdp.payload_type, sdp.rtpmap,
           control_url, aggregate_url);

    /* RFC 4567 §3.1: a media-level key-mgmt attribute wins over a session-level one. Some
       servers put the message in a KeyMgmt header of the DESCRIBE response instead (RFC 4567
       §3.2 syntax); gst-rtsp-server uses the SDP, so that branch is not exercised here. */
    key_mgmt_value = sdp.key_mgmt[0] != '\0' ? sdp.key_mgmt : sdp.session_key_mgmt;
    key_mgmt_level = sdp.key_mgmt[0] != '\0' ? "SDP a=key-mgmt, media level" : "SDP a=key-mgmt, session level";
    header = rtsp_header(&resp, "KeyMgmt", 0);
    if (key_mgmt_value[0] != '\0') {
        if (!CHECK_OK(mikey_sdp_key_mgmt_decode(key_mgmt_value, msg, sizeof msg, &msg_len))) {
            goto out;
        }
    } else if (header != NULL) {
        key_mgmt_level = "KeyMgmt header of the DESCRIBE response";
        if (!CHECK_OK(mikey_rtsp_key_mgmt_decode(header, 0, msg, sizeof msg, &msg_len))) {
            goto out;
        }
    } else {
        CHECK(0, "DESCRIBE: no a=key-mgmt attribute and no KeyMgmt header");
        goto out;
    }
    printf("  %s: MIKEY message of %zu bytes; KeyMgmt header in DESCRIBE: %s\n", key_mgmt_level, msg_len,
           header != NULL ? "yes" : "none");

    /* What the message carries, walked by hand. */
    if (CHECK(walk_mikey(msg, msg_len, &walk, &why) == 0, "walking the camera's MIKEY message: %s", why)) {
        printf("  MIKEY by hand: %s; data type %u, V|PRF 0x%02x, CSB ID 0x%08x, %u CS (map type %u)", walk.chain,
               walk.data_type, walk.v_prf, walk.csb_id, walk.n_cs, walk.map_type);
        for (i = 0; i < walk.n_cs; i++) {
            printf(", CS %zu: SSRC 0x%08x ROC %u", i + 1, walk.ssrc[i], walk.roc[i]);
        }
        printf("\n  MIKEY by hand: T type %u, RAND %zu bytes, KEMAC encr %u MAC %u, key data type %u KV %u, "
               "%zu key bytes, %zu salt bytes\n  MIKEY by hand: SP parameters",
               walk.ts_type, walk.rand_len, walk.kemac_enc, walk.kemac_mac, walk.key_type, walk.key_kv, walk.key_len,
               walk.salt_len);
        for (i = 0; i < walk.n_params; i++) {
            printf(" %u=%u", walk.param_type[i], walk.param_len[i] == 1 ? walk.param_value[i][0] : 0xffffu);
        }
        printf(" (type=value, RFC 3830 §6.10.1)\n");
    }

    /* The keys: a NULL-method responder. GStreamer's messages need no interop flag on this
       side (the README and tests/interop.rs: the default responder reads its SP layout and
       its key||salt TEK) and no accepted-profile change (AES_CM_128_HMAC_SHA1_80 is accepted by
       default). It stamps the message with the real time, and the config's clock is the system
       clock: the default 60 s replay window holds. */
    if (!CHECK_OK(mikey_config_new(MIKEY_METHOD_NULL, &resp_cfg)) ||
        !CHECK_OK(mikey_session_new(resp_cfg, MIKEY_ROLE_RESPONDER, &responder))) {
        goto out;
    }
    if (!CHECK_SESSION_OK(responder,
                          mikey_session_process_message(responder, msg, msg_len, reply, sizeof reply, &reply_len))) {
        goto out;
    }
    CHECK(reply_len == 0, "the responder answered with %zu bytes: the camera did not ask for verification",
          reply_len);
    CHECK_STATE(responder, MIKEY_STATE_ESTABLISHED);
    CHECK(mikey_session_cs_count(responder) == 1, "%zu crypto sessions", mikey_session_cs_count(responder));
    if (!CHECK_SESSION_OK(responder, mikey_session_export_srtp(responder, 1, &keys))) {
        goto out;
    }
    have_keys = 1;
    CHECK(keys.profile == 1, "profile %u, not AES_CM_128_HMAC_SHA1_80", keys.profile);
    keys_match_profile(&keys, 1); /* lengths, no MKI, encryption and authentication on */
    memcpy(exported, keys.master_key, keys.master_key_len);
    memcpy(exported + keys.master_key_len, keys.master_salt, keys.master_salt_len);
    CHECK(keys.ssrc_type == MIKEY_SSRC_SPECIFIC, "the camera's message names no SSRC (ssrc_type %u)",
          keys.ssrc_type);
    printf("  mikey export: CS %u, SSRC 0x%08x (ssrc_type %u), ROC %u, profile %u (%s), key %zu + salt %zu bytes, tag %u bytes, "
           "KDR %u, MKI %zu bytes\n",
           keys.cs_id, keys.ssrc, keys.ssrc_type, keys.roc, keys.profile, mikey_srtp_profile_name(keys.profile), keys.master_key_len,
           keys.master_salt_len, keys.auth_tag_len, keys.key_derivation_rate, keys.mki_len);
    hex(keys.master_key, keys.master_key_len, hexbuf, sizeof hexbuf);
    printf("    master key,  mikey export:         %s\n", hexbuf);
    hex(walk.key, keys.master_key_len <= walk.key_len ? keys.master_key_len : walk.key_len, hexbuf, sizeof hexbuf);
    printf("    master key,  camera's SDP message: %s\n", hexbuf);
    hex(keys.master_salt, keys.master_salt_len, hexbuf, sizeof hexbuf);
    printf("    master salt, mikey export:         %s\n", hexbuf);
    if (walk.salt_len > 0) {
        hex(walk.salt, walk.salt_len, hexbuf, sizeof hexbuf);
    } else if (walk.key_len > keys.master_key_len) {
        hex(walk.key + keys.master_key_len, walk.key_len - keys.master_key_len, hexbuf, sizeof hexbuf);
    } else {
        hexbuf[0] = '\0';
    }
    printf("    master salt, camera's SDP message: %s%s\n", hexbuf,
           walk.salt_len == 0 ? " (the TEK's bytes after the key: key||salt in one TEK)" : "");
    /* The message by hand: the key data is key||salt (GStreamer's one TEK) or key with a salt. */
    if (walk.salt_len > 0) {
        CHECK(walk.key_len == keys.master_key_len && memcmp(walk.key, keys.master_key, walk.key_len) == 0 &&
                  walk.salt_len == keys.master_salt_len && memcmp(walk.salt, keys.master_salt, walk.salt_len) == 0,
              "mikey exported another key or salt than the message carries");
    } else {
        CHECK(walk.key_len == keys.master_key_len + keys.master_salt_len &&
                  memcmp(walk.key, exported, walk.key_len) == 0,
              "mikey exported another key||salt than the message's %zu-byte TEK", walk.key_len);
    }
    CHECK(walk.n_cs >= 1 && keys.ssrc == walk.ssrc[0] && keys.roc == walk.roc[0],
          "exported SSRC 0x%08x ROC %u, the message says SSRC 0x%08x ROC %u", keys.ssrc, keys.roc, walk.ssrc[0],
          walk.roc[0]);

    if (!CHECK(mikey_srtp_create(&ms.rx, &keys, MIKEY_SRTP_INBOUND) == srtp_err_status_ok, "libsrtp session")) {
        goto out;
    }
    ms.ssrc = keys.ssrc;
    ms.keys = &keys;

    /* Our KeyMgmt for SETUP: an initiator's NULL-method I_MESSAGE for our RTCP SSRC, in the
       layout GStreamer reads: key||salt as one TEK (without MIKEY_INTEROP_TEK_WITH_CONCATENATED_SALT
       gst-rtsp-server 1.22 takes a wrong key and drops our reports: tried), and the tag length in
       the SP auth-key-length parameter (GSTREAMER_SP_LAYOUT; only matters for 32-bit tags, the
       80-bit default also works without it). The camera's srtpdec takes its key from it to
       decrypt our receiver reports; no V flag, GStreamer cannot parse a V payload. */
    ms.our_ssrc = random_ssrc();
    if (ms.our_ssrc == keys.ssrc) {
        ms.our_ssrc ^= 1;
    }
    if (!CHECK_OK(mikey_config_new(MIKEY_METHOD_NULL, &init_cfg)) ||
        !CHECK_OK(mikey_config_set_interop(init_cfg, MIKEY_INTEROP_GSTREAMER_SP_LAYOUT |
                                                         MIKEY_INTEROP_TEK_WITH_CONCATENATED_SALT)) ||
        !CHECK_OK(mikey_session_new(init_cfg, MIKEY_ROLE_INITIATOR, &initiator)) ||
        !CHECK_SESSION_OK(initiator, mikey_session_add_srtp_stream(initiator, ms.our_ssrc, 0, &cs_id)) ||
        !CHECK_SESSION_OK(initiator, mikey_session_create_message(initiator, ours, sizeof ours, &ours_len)) ||
        !CHECK_SESSION_OK(initiator, mikey_session_export_srtp(initiator, cs_id, &our_keys)) ||
        !CHECK(mikey_srtp_create(&ms.tx, &our_keys, MIKEY_SRTP_OUTBOUND) == srtp_err_status_ok,
               "libsrtp session for our RTCP") ||
        !CHECK_OK(mikey_rtsp_key_mgmt_encode(ours, ours_len, control_url, keymgmt, sizeof keymgmt, &keymgmt_len))) {
        goto out;
    }
    /* Our header reads back as our message. */
    CHECK(mikey_rtsp_key_mgmt_count(keymgmt, &count) == MIKEY_OK && count == 1 &&
              mikey_rtsp_key_mgmt_decode(keymgmt, 0, decoded, sizeof decoded, &decoded_len) == MIKEY_OK &&
              decoded_len == ours_len && memcmp(decoded, ours, ours_len) == 0,
          "our KeyMgmt header does not read back");

    /* SETUP (RFC 2326 §10.4) of the stream, SRTP over interleaved TCP (§10.12, §12.39). */
    snprintf(extra, sizeof extra, "Transport: RTP/SAVP/TCP;unicast;interleaved=0-1\r\nKeyMgmt: %s\r\n", keymgmt);
    if (!CHECK(rtsp_transact(&conn, "SETUP", control_url, extra, &resp, NULL, NULL, rtsp_now() + 20) == 0, "%s",
               conn.error) ||
        !CHECK(resp.status == 200, "SETUP: %d %s", resp.status, resp.reason) ||
        !CHECK(conn.session[0] != '\0', "SETUP: no Session header")) {
        goto out;
    }
    header = rtsp_header(&resp, "Transport", 0);
    printf("  SETUP: %d %s, Session %s (timeout %u s), Transport %s, our KeyMgmt %zu chars (MIKEY %zu bytes, our "
           "SSRC 0x%08x), KeyMgmt in the response: %s\n",
           resp.status, resp.reason, conn.session, conn.session_timeout, header != NULL ? header : "(none)",
           keymgmt_len, ours_len, ms.our_ssrc, rtsp_header(&resp, "KeyMgmt", 0) != NULL ? "yes" : "none");
    if (CHECK(header != NULL, "SETUP: no Transport in the response")) {
        CHECK(strncasecmp(header, "RTP/SAVP/TCP", 12) == 0, "SETUP: Transport %s", header);
        CHECK(rtsp_param(header, "interleaved", value, sizeof value) && strcmp(value, "0-1") == 0,
              "SETUP: interleaved=%s, not 0-1", value);
        /* RFC 2326 §12.39: ssrc is 8 hex digits; a server that names one must name the keyed one. */
        if (rtsp_param(header, "ssrc", value, sizeof value)) {
            transport_has_ssrc = 1;
            transport_ssrc = (unsigned)strtoul(value, NULL, 16);
            CHECK(keys.ssrc == 0 || transport_ssrc == keys.ssrc, "SETUP: Transport ssrc=%s, MIKEY SSRC 0x%08x",
                  value, keys.ssrc);
        }
    }

    /* PLAY (RFC 2326 §10.5) on the aggregate URL. */
    if (!CHECK(rtsp_transact(&conn, "PLAY", aggregate_url, "Range: npt=0.000-\r\n", &resp, on_frame, &ms,
                             rtsp_now() + 20) == 0,
               "%s", conn.error) ||
        !CHECK(resp.status == 200, "PLAY: %d %s", resp.status, resp.reason)) {
        goto out;
    }
    play_time = rtsp_now();
    header = rtsp_header(&resp, "RTP-Info", 0);
    if (header != NULL && rtsp_param(header, "seq", value, sizeof value)) {
        rtp_info_seq = (int)strtol(value, NULL, 10);
    }
    printf("  PLAY: %d %s, RTP-Info %s\n", resp.status, resp.reason, header != NULL ? header : "(none)");

    deadline = play_time + STREAM_SECONDS;
    for (;;) {
        rtsp_item item;
        /* Each SR is answered by an RR (on_rtcp); the first SR comes after a randomised RTCP
           interval (RFC 3550 §6.2, a few seconds), so wait for one, then give the camera time to
           process our RR before the TEARDOWN. */
        if (ms.rtp_ok >= TARGET_RTP_OK && ms.sender_reports > 0 && ms.rr_sent > 0 &&
            ms.rtp_ok - ms.rtp_ok_at_rr >= PACKETS_AFTER_RR) {
            break;
        }
        item = rtsp_read_item(&conn, &resp, &frame, deadline);
        if (item == RTSP_ITEM_ERROR) {
            CHECK(0, "while streaming: %s", conn.error);
            break;
        }
        if (item == RTSP_ITEM_RESPONSE) {
            CHECK(0, "a response nobody asked for: %d %s", resp.status, resp.reason);
            continue;
        }
        on_frame(&ms, &frame);
    }
    stream_end = rtsp_now();

    /* TEARDOWN (RFC 2326 §10.7); frames before its response still count. */
    ms.after_teardown = 1;
    teardown_sent = 1;
    if (CHECK(rtsp_transact(&conn, "TEARDOWN", aggregate_url, NULL, &resp, on_frame, &ms, rtsp_now() + 10) == 0,
              "%s", conn.error)) {
        CHECK(resp.status == 200, "TEARDOWN: %d %s", resp.status, resp.reason);
        printf("  TEARDOWN: %d %s\n", resp.status, resp.reason);
    }

out:
    rtsp_close(&conn);

    /* What the camera says (at TEARDOWN) against what we have. */
    memset(&report, 0, sizeof report);
    if (teardown_sent) {
        camera_read_report(&report, ms.our_ssrc);
    }
    if (have_keys && teardown_sent && CHECK(report.complete && report.have_stream, "no report from the camera")) {
        hex(exported, keys.master_key_len + keys.master_salt_len, hexbuf, sizeof hexbuf);
        printf("    key||salt,   mikey export:         %s\n    key||salt,   camera's srtpenc:     %s\n", hexbuf,
               report.key_hex);
        CHECK(strcmp(hexbuf, report.key_hex) == 0, "mikey exported %s, the camera encrypts with %s", hexbuf,
              report.key_hex);
        CHECK(report.ssrc == keys.ssrc, "the camera's SSRC is 0x%08x, MIKEY's 0x%08x", report.ssrc, keys.ssrc);
        CHECK(strcmp(report.rtp_cipher, "aes-128-icm") == 0 && strcmp(report.rtp_auth, "hmac-sha1-80") == 0,
              "the camera uses %s/%s, MIKEY said profile %u", report.rtp_cipher, report.rtp_auth, keys.profile);
        CHECK(report.have_sender, "the camera lists no sending source of SSRC 0x%08x", report.ssrc);
        CHECK(report.saw_our_ssrc && report.our_have_rb, "the camera has no report block from our SRTCP RR");
        CHECK(report.our_rb_ext_seq == ms.rr_ext_seq && report.our_rb_lost == 0 && report.our_rb_fraction == 0,
              "the camera read ext. highest seq %u, %d lost, fraction %u from our RR; we sent %u, 0, 0",
              report.our_rb_ext_seq, report.our_rb_lost, report.our_rb_fraction, ms.rr_ext_seq);
    }

    /* The numbers. */
    printf("  RTP (channel 0): received %lu, decrypted OK %lu, failed %lu (first failure: %s), malformed %lu\n",
           ms.rtp_frames, ms.rtp_ok, ms.rtp_failed,
           ms.rtp_failed > 0 ? mikey_srtp_status_name(ms.first_failure) : "none", ms.rtp_malformed);
    printf("  RTP: sequence %u..%u, gaps %lu (%lu packets missing), out of order %lu, SSRC 0x%08x, wrong SSRC %lu, "
           "wrong PT %lu, wrong length %lu, unencrypted payloads %lu, %.2f s of media\n",
           ms.first_seq, ms.last_seq, ms.gaps, ms.lost, ms.out_of_order, ms.first_ssrc_seen, ms.wrong_ssrc,
           ms.wrong_pt, ms.wrong_len, ms.not_encrypted, stream_end > play_time ? stream_end - play_time : 0.0);
    printf("  RTP-Info seq %d, first packet seq %u\n", rtp_info_seq, ms.first_seq);
    printf("  SRTCP (channel 1): received %lu, decrypted OK %lu (%lu with a reused index), failed %lu, sender reports "
           "%lu (last: %u packets sent); our receiver reports sent %lu (last ext. highest seq %u), not sent %lu; "
           "other channels %lu\n",
           ms.rtcp_frames, ms.rtcp_ok, ms.rtcp_index_reused, ms.rtcp_failed, ms.sender_reports, ms.sr_packet_count,
           ms.rr_sent,
           ms.rr_ext_seq, ms.rr_failed, ms.other_frames);
    if (ms.rtcp_index_reused > 0) {
        printf("  SRTCP: the camera reused an SRTCP index %lu time(s) (first: index %u): authenticated by a fresh "
               "libsrtp session, so genuine, but a replay to the running one (GStreamer's srtpenc restarts its "
               "index after the flush a PLAY with Range causes)\n",
               ms.rtcp_index_reused, ms.rtcp_reused_index);
    }
    if (ms.rtcp_failed > 0) {
        printf("  SRTCP: the first failure: %s, %zu bytes from SSRC 0x%08x, %s TEARDOWN\n",
               mikey_srtp_status_name(ms.rtcp_first_failure), ms.rtcp_failed_len, ms.rtcp_failed_ssrc,
               ms.rtcp_failed_after_teardown ? "after" : "before");
    }
    if (have_keys) {
        printf("  SSRC: MIKEY 0x%08x, SETUP Transport %s%08x, packets 0x%08x, camera 0x%08x; profile %u (%s)\n",
               keys.ssrc, transport_has_ssrc ? "0x" : "(none) ", transport_ssrc, ms.first_ssrc_seen, report.ssrc,
               keys.profile, mikey_srtp_profile_name(keys.profile));
    }

    CHECK(ms.rtp_ok >= MIN_RTP_OK, "only %lu RTP packets decrypted", ms.rtp_ok);
    CHECK(ms.rtp_failed == 0, "%lu RTP packets failed libsrtp (first: %s)", ms.rtp_failed,
          mikey_srtp_status_name(ms.first_failure));
    CHECK(ms.rtp_frames == ms.rtp_ok, "%lu RTP frames, %lu decrypted", ms.rtp_frames, ms.rtp_ok);
    CHECK(ms.gaps == 0 && ms.out_of_order == 0, "%lu sequence gaps, %lu out of order", ms.gaps, ms.out_of_order);
    CHECK(ms.wrong_ssrc == 0 && ms.wrong_pt == 0 && ms.wrong_len == 0 && ms.not_encrypted == 0,
          "packets with a wrong SSRC %lu, PT %lu, length %lu, or in clear %lu", ms.wrong_ssrc, ms.wrong_pt,
          ms.wrong_len, ms.not_encrypted);
    CHECK(have_keys && ms.first_ssrc_seen == keys.ssrc, "the packets' SSRC 0x%08x", ms.first_ssrc_seen);
    CHECK(ms.sender_reports >= 1 && ms.rtcp_failed == 0 && ms.sr_wrong_ssrc == 0,
          "SRTCP: %lu sender reports, %lu failed, %lu from another SSRC", ms.sender_reports, ms.rtcp_failed,
          ms.sr_wrong_ssrc);
    CHECK(ms.rr_sent >= 1 && ms.rr_failed == 0, "receiver reports: %lu sent, %lu failed", ms.rr_sent, ms.rr_failed);
    if (rtp_info_seq >= 0) {
        CHECK(ms.first_seq == (uint16_t)rtp_info_seq, "RTP-Info seq=%d, the first packet has %u", rtp_info_seq,
              ms.first_seq);
    }

    /* Negative controls on the first packet: it decrypts under the exported keys in a fresh
       session (to the same plaintext), and under nothing else. */
    if (have_keys && CHECK(ms.first_len > 0 && ms.first_plain_len > 0, "no packet kept")) {
        srtp_err_status_t status = verdict(&ms, &keys, 0, plain, &plain_len);
        printf("  first packet (seq %u, %zu bytes): exported keys %s", mikey_rtp_seq(ms.first_packet, ms.first_len),
               ms.first_len, mikey_srtp_status_name(status));
        CHECK(status == srtp_err_status_ok && plain_len == ms.first_plain_len &&
                  memcmp(plain, ms.first_plain, (size_t)plain_len) == 0,
              "the first packet again, exported keys: %s", mikey_srtp_status_name(status));

        changed = keys;
        changed.master_key[0] ^= 0x01;
        status = verdict(&ms, &changed, 0, NULL, NULL);
        printf(", key byte 0 flipped %s", mikey_srtp_status_name(status));
        CHECK(status == srtp_err_status_auth_fail, "one key byte flipped: %s", mikey_srtp_status_name(status));

        changed = keys;
        changed.master_salt[keys.master_salt_len - 1] ^= 0x80;
        status = verdict(&ms, &changed, 0, NULL, NULL);
        printf(", last salt byte flipped %s", mikey_srtp_status_name(status));
        CHECK(status == srtp_err_status_auth_fail, "one salt byte flipped: %s", mikey_srtp_status_name(status));

        changed = keys;
        changed.ssrc = keys.ssrc + 1;
        status = verdict(&ms, &changed, 0, NULL, NULL);
        printf(", keys for SSRC+1 %s", mikey_srtp_status_name(status));
        CHECK(status != srtp_err_status_ok, "keys for another SSRC decrypted the packet");

        status = verdict(&ms, &keys, 1, NULL, NULL);
        printf(", payload byte flipped %s\n", mikey_srtp_status_name(status));
        CHECK(status == srtp_err_status_auth_fail, "one ciphertext byte flipped: %s", mikey_srtp_status_name(status));
        mikey_srtp_keys_clear(&changed);
    }
    printf("  elapsed %.2f s\n", rtsp_now() - t0);

    if (ms.rx != NULL) {
        srtp_dealloc(ms.rx);
    }
    if (ms.tx != NULL) {
        srtp_dealloc(ms.tx);
    }
    mikey_srtp_keys_clear(&keys);
    mikey_srtp_keys_clear(&our_keys);
    memset(exported, 0, sizeof exported);
    mikey_session_free(responder);
    mikey_session_free(initiator);
    mikey_config_free(resp_cfg);
    mikey_config_free(init_cfg);
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    char port[16];
    int status;

    if (argc != 2) {
        fprintf(stderr, "usage: %s <path of rtsp_test_camera>\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    alarm(ALARM_SECONDS);
    if (!CHECK(srtp_init() == srtp_err_status_ok, "srtp_init")) {
        return test_finish(TEST_NAME);
    }

    if (!CHECK(camera_start(argv[1], port, sizeof port) == 0, "starting %s", argv[1])) {
        camera_stop();
        srtp_shutdown();
        return test_finish(TEST_NAME);
    }
    run_session(port);
    status = camera_stop();
    CHECK(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "the camera did not stop cleanly (status %d)",
          status);
    srtp_shutdown();
    alarm(0);
    return test_finish(TEST_NAME);
}
