/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * A small RTSP/1.0 client connection (RFC 2326) over plain POSIX sockets, for the camera session
 * test: requests with CSeq and Session, responses parsed with their headers and a body of
 * Content-Length bytes, and the interleaved binary frames ("$" channel length data, RFC 2326
 * §10.12) that share the connection with the responses once media flows. No GStreamer.
 */
#ifndef MIKEY_FFI_TESTS_RTSP_CONN_H
#define MIKEY_FFI_TESTS_RTSP_CONN_H

#include <stddef.h>
#include <stdint.h>

#define RTSP_MAX_HEADERS 64
#define RTSP_HEAD_CAP 16384     /* status line and headers */
#define RTSP_BODY_CAP 65536     /* a message body (the SDP) */
#define RTSP_IN_CAP (RTSP_HEAD_CAP + RTSP_BODY_CAP + 4 + 65535)

typedef struct rtsp_response {
    int status;                 /* Status-Code (RFC 2326 §7.1.1) */
    char reason[128];           /* Reason-Phrase */
    unsigned cseq;              /* the CSeq header's value; 0 when absent */
    size_t n_headers;
    const char *names[RTSP_MAX_HEADERS];  /* point into head, NUL-terminated, continuation lines joined */
    const char *values[RTSP_MAX_HEADERS];
    char head[RTSP_HEAD_CAP];
    char body[RTSP_BODY_CAP + 1];         /* NUL-terminated */
    size_t body_len;
} rtsp_response;

typedef struct rtsp_frame {
    uint8_t channel;            /* RFC 2326 §10.12: the interleaved channel (Transport interleaved=) */
    uint16_t len;
    uint8_t data[65535];
} rtsp_frame;

typedef struct rtsp_conn {
    int fd;
    unsigned cseq;              /* of the last request sent */
    char session[256];          /* Session id (RFC 2326 §12.37), "" before SETUP */
    unsigned session_timeout;   /* its timeout parameter in seconds (60 when not given) */
    uint8_t in[RTSP_IN_CAP];    /* bytes received and not yet consumed */
    size_t in_len;
    char error[256];            /* why the last call failed */
} rtsp_conn;

typedef enum rtsp_item {
    RTSP_ITEM_ERROR = -1,       /* closed, timed out or malformed: see conn->error */
    RTSP_ITEM_RESPONSE = 1,
    RTSP_ITEM_FRAME = 2
} rtsp_item;

/* Monotonic seconds. */
double rtsp_now(void);

/* Connects to host:port (numeric or name) by TCP, before `deadline` (rtsp_now() based).
 * 0 on success, -1 with conn->error. */
int rtsp_connect(rtsp_conn *conn, const char *host, const char *port, double deadline);
void rtsp_close(rtsp_conn *conn);

/* Sends "METHOD url RTSP/1.0" with CSeq (incremented), User-Agent, Session (once known) and
 * `extra_headers` (complete "Name: value\r\n" lines, or NULL). 0 on success. */
int rtsp_send_request(rtsp_conn *conn, const char *method, const char *url, const char *extra_headers);

/* Sends one interleaved frame on `channel`. 0 on success. */
int rtsp_send_frame(rtsp_conn *conn, uint8_t channel, const uint8_t *data, size_t len);

/* Reads the next item from the connection: a response (into *resp) or an interleaved frame
 * (into *frame), waiting until `deadline`. */
rtsp_item rtsp_read_item(rtsp_conn *conn, rtsp_response *resp, rtsp_frame *frame, double deadline);

/* Called for each interleaved frame that arrives while a response is awaited. */
typedef void (*rtsp_frame_fn)(void *ctx, const rtsp_frame *frame);

/* Sends a request and reads until its response: one with our CSeq (responses with other CSeqs
 * are refused as errors), passing frames that come first to `on_frame` (may be NULL: dropped).
 * Learns the Session header (id and ;timeout=) from the response. 0 on success (any status;
 * the caller checks resp->status), -1 with conn->error. */
int rtsp_transact(rtsp_conn *conn, const char *method, const char *url, const char *extra_headers,
                  rtsp_response *resp, rtsp_frame_fn on_frame, void *ctx, double deadline);

/* The value of the `index`-th header called `name` (case-insensitive, RFC 2326 §4.2), or NULL. */
const char *rtsp_header(const rtsp_response *resp, const char *name, size_t index);

/* Looks up parameter `name` in a ';'-separated header value ("RTP/SAVP/TCP;interleaved=0-1;
 * ssrc=1234ABCD"): copies its value (quotes removed) to out and returns 1; returns 1 with "" for
 * a parameter without '=', 0 when absent. */
int rtsp_param(const char *value, const char *name, char *out, size_t out_cap);

/* Resolves an SDP a=control value against the base URL (Content-Base, RFC 2326 §C.1.1). */
void rtsp_resolve_control(const char *base, const char *control, char *out, size_t out_cap);

#endif /* MIKEY_FFI_TESTS_RTSP_CONN_H */
