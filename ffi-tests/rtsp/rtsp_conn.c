/* SPDX-License-Identifier: Apache-2.0 OR MIT
 *
 * RTSP/1.0 (RFC 2326) client connection: see rtsp_conn.h.
 */
#include "rtsp_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define USER_AGENT "mikey-ffi-tests rtsp_camera_session"

static void set_error(rtsp_conn *conn, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(conn->error, sizeof conn->error, fmt, args);
    va_end(args);
}

double rtsp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int remaining_ms(double deadline)
{
    double left = deadline - rtsp_now();
    if (left <= 0) {
        return 0;
    }
    return left > 3600 ? 3600 * 1000 : (int)(left * 1000) + 1;
}

int rtsp_connect(rtsp_conn *conn, const char *host, const char *port, double deadline)
{
    struct addrinfo hints, *list = NULL, *ai;
    int rc, fd = -1;

    memset(conn, 0, sizeof *conn);
    conn->fd = -1;
    conn->session_timeout = 60;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0) {
        set_error(conn, "getaddrinfo(%s, %s): %s", host, port, gai_strerror(rc));
        return -1;
    }
    for (ai = list; ai != NULL; ai = ai->ai_next) {
        int flags, err = 0;
        socklen_t err_len = sizeof err;
        struct pollfd pfd;

        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            continue;
        }
        /* A non-blocking connect bounded by the deadline, then blocking I/O (reads are polled). */
        flags = fcntl(fd, F_GETFL);
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
        rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            pfd.fd = fd;
            pfd.events = POLLOUT;
            pfd.revents = 0;
            rc = poll(&pfd, 1, remaining_ms(deadline)) == 1 &&
                         getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) == 0 && err == 0
                     ? 0
                     : -1;
            if (err != 0) {
                errno = err;
            }
        }
        if (rc == 0) {
            struct timeval tv;
            int one = 1;
            fcntl(fd, F_SETFL, flags);
            tv.tv_sec = 10; /* a send never blocks longer */
            tv.tv_usec = 0;
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            break;
        }
        set_error(conn, "connect to %s:%s: %s", host, port, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(list);
    if (fd < 0) {
        if (conn->error[0] == '\0') {
            set_error(conn, "no address for %s:%s", host, port);
        }
        return -1;
    }
    conn->fd = fd;
    return 0;
}

void rtsp_close(rtsp_conn *conn)
{
    if (conn->fd >= 0) {
        close(conn->fd);
        conn->fd = -1;
    }
}

static int send_all(rtsp_conn *conn, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = send(conn->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            set_error(conn, "send: %s", n < 0 ? strerror(errno) : "nothing sent");
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int rtsp_send_request(rtsp_conn *conn, const char *method, const char *url, const char *extra_headers)
{
    char request[RTSP_HEAD_CAP];
    int n;

    conn->cseq++;
    /* RFC 2326 §6: Request-Line, then CSeq (§12.17, in every request), the Session (§12.37) once
       the server gave one, and the method's own headers. */
    n = snprintf(request, sizeof request, "%s %s RTSP/1.0\r\nCSeq: %u\r\nUser-Agent: %s\r\n%s%s%s%s\r\n", method, url,
                 conn->cseq, USER_AGENT, conn->session[0] != '\0' ? "Session: " : "", conn->session,
                 conn->session[0] != '\0' ? "\r\n" : "", extra_headers != NULL ? extra_headers : "");
    if (n < 0 || (size_t)n >= sizeof request) {
        set_error(conn, "%s request too long", method);
        return -1;
    }
    return send_all(conn, request, (size_t)n);
}

int rtsp_send_frame(rtsp_conn *conn, uint8_t channel, const uint8_t *data, size_t len)
{
    uint8_t head[4];
    if (len > 65535) {
        set_error(conn, "interleaved frame of %zu bytes", len);
        return -1;
    }
    /* RFC 2326 §10.12: '$', the one-byte channel identifier, the two-byte length (network order). */
    head[0] = '$';
    head[1] = channel;
    head[2] = (uint8_t)(len >> 8);
    head[3] = (uint8_t)len;
    if (send_all(conn, head, sizeof head) != 0) {
        return -1;
    }
    return send_all(conn, data, len);
}

/* Reads more bytes into conn->in, waiting until the deadline. 0 on success. */
static int fill(rtsp_conn *conn, double deadline)
{
    struct pollfd pfd;
    ssize_t n;
    int ready;

    if (conn->in_len == sizeof conn->in) {
        set_error(conn, "input buffer full");
        return -1;
    }
    for (;;) {
        pfd.fd = conn->fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        ready = poll(&pfd, 1, remaining_ms(deadline));
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready < 0) {
            set_error(conn, "poll: %s", strerror(errno));
            return -1;
        }
        if (ready == 0) {
            set_error(conn, "timed out waiting for the server");
            return -1;
        }
        n = recv(conn->fd, conn->in + conn->in_len, sizeof conn->in - conn->in_len, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            set_error(conn, "recv: %s", strerror(errno));
            return -1;
        }
        if (n == 0) {
            set_error(conn, "the server closed the connection");
            return -1;
        }
        conn->in_len += (size_t)n;
        return 0;
    }
}

static void consume(rtsp_conn *conn, size_t n)
{
    memmove(conn->in, conn->in + n, conn->in_len - n);
    conn->in_len -= n;
}

/* The end of the header block in conn->in (after the empty line), or 0 when not there yet.
 * Lines end in CRLF (RFC 2326 §4); a bare LF is accepted too, as §4 asks of receivers. */
static size_t head_end(const rtsp_conn *conn)
{
    size_t i;
    for (i = 0; i + 1 < conn->in_len; i++) {
        if (conn->in[i] == '\n' && conn->in[i + 1] == '\n') {
            return i + 2;
        }
        if (conn->in[i] == '\n' && conn->in[i + 1] == '\r' && i + 2 < conn->in_len && conn->in[i + 2] == '\n') {
            return i + 3;
        }
    }
    return 0;
}

static char *trim(char *s)
{
    size_t len;
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r')) {
        s[--len] = '\0';
    }
    return s;
}

/* Parses the status line and headers of `len` bytes at `raw` into resp. 0 on success. */
static int parse_head(rtsp_conn *conn, const uint8_t *raw, size_t len, rtsp_response *resp)
{
    char *text = malloc(len + 1);
    char *line, *next, *out = resp->head;
    size_t out_left = sizeof resp->head;
    unsigned major = 0, minor = 0;
    int status = 0, consumed = 0;
    int first = 1, rc = -1;

    if (text == NULL) {
        set_error(conn, "out of memory");
        return -1;
    }
    memcpy(text, raw, len);
    text[len] = '\0';
    resp->n_headers = 0;
    resp->cseq = 0;
    resp->reason[0] = '\0';
    for (line = text; line != NULL && *line != '\0'; line = next) {
        char *colon, *name, *value;
        size_t name_len, value_len;

        next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        if (first) {
            /* RFC 2326 §7.1: Status-Line = RTSP-Version SP Status-Code SP Reason-Phrase CRLF */
            first = 0;
            line = trim(line);
            if (sscanf(line, "RTSP/%u.%u %3d%n", &major, &minor, &status, &consumed) < 3 || major != 1 ||
                status < 100 || status > 999) {
                set_error(conn, "not an RTSP/1.x status line: \"%.80s\"", line);
                goto out;
            }
            resp->status = status;
            snprintf(resp->reason, sizeof resp->reason, "%s", trim(line + consumed));
            continue;
        }
        if (*line == '\r' || *line == '\0') {
            break; /* the empty line */
        }
        if (*line == ' ' || *line == '\t') {
            /* A continuation line (RFC 2326 §4.2 takes HTTP/1.1's header folding): append to the last value,
               which is the last string written to head. */
            size_t add;
            value = trim(line);
            add = strlen(value);
            if (resp->n_headers == 0 || add + 1 >= out_left) {
                set_error(conn, "bad header continuation");
                goto out;
            }
            out[-1] = ' ';
            memcpy(out, value, add + 1);
            out += add + 1;
            out_left -= add + 1;
            continue;
        }
        colon = strchr(line, ':');
        if (colon == NULL || colon == line) {
            set_error(conn, "malformed header line \"%.80s\"", line);
            goto out;
        }
        *colon = '\0';
        name = trim(line);
        value = trim(colon + 1);
        name_len = strlen(name);
        value_len = strlen(value);
        if (resp->n_headers == RTSP_MAX_HEADERS || name_len + value_len + 2 > out_left) {
            set_error(conn, "too many or too long headers");
            goto out;
        }
        memcpy(out, name, name_len + 1);
        resp->names[resp->n_headers] = out;
        out += name_len + 1;
        memcpy(out, value, value_len + 1);
        resp->values[resp->n_headers] = out;
        out += value_len + 1;
        out_left -= name_len + value_len + 2;
        resp->n_headers++;
    }
    if (first) {
        set_error(conn, "empty response");
        goto out;
    }
    rc = 0;
out:
    free(text);
    return rc;
}

/* A decimal header value (CSeq, Content-Length): digits only. */
static int parse_decimal(const char *value, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    unsigned long n;
    if (value == NULL || *value < '0' || *value > '9') {
        return -1;
    }
    errno = 0;
    n = strtoul(value, &end, 10);
    if (errno != 0 || *end != '\0' || n > max) {
        return -1;
    }
    *out = n;
    return 0;
}

rtsp_item rtsp_read_item(rtsp_conn *conn, rtsp_response *resp, rtsp_frame *frame, double deadline)
{
    for (;;) {
        size_t end;

        /* Stray line ends between messages are skipped, as HTTP/1.1 servers and clients do. */
        while (conn->in_len > 0 && (conn->in[0] == '\r' || conn->in[0] == '\n')) {
            consume(conn, 1);
        }
        if (conn->in_len > 0 && conn->in[0] == '$') {
            /* An interleaved frame (RFC 2326 §10.12). */
            size_t len;
            if (conn->in_len >= 4) {
                len = (size_t)conn->in[2] << 8 | conn->in[3];
                if (conn->in_len >= 4 + len) {
                    frame->channel = conn->in[1];
                    frame->len = (uint16_t)len;
                    memcpy(frame->data, conn->in + 4, len);
                    consume(conn, 4 + len);
                    return RTSP_ITEM_FRAME;
                }
            }
        } else if (conn->in_len > 0 && (end = head_end(conn)) != 0) {
            const char *length_value;
            unsigned long content_length = 0, cseq = 0;

            if (parse_head(conn, conn->in, end, resp) != 0) {
                return RTSP_ITEM_ERROR;
            }
            /* RFC 2326 §12.14: the body is exactly Content-Length bytes; none without it. */
            length_value = rtsp_header(resp, "Content-Length", 0);
            if (length_value != NULL && parse_decimal(length_value, RTSP_BODY_CAP, &content_length) != 0) {
                set_error(conn, "bad or too large Content-Length \"%s\"", length_value);
                return RTSP_ITEM_ERROR;
            }
            if (rtsp_header(resp, "CSeq", 0) != NULL && parse_decimal(rtsp_header(resp, "CSeq", 0), 0xffffffffUL, &cseq) != 0) {
                set_error(conn, "bad CSeq \"%s\"", rtsp_header(resp, "CSeq", 0));
                return RTSP_ITEM_ERROR;
            }
            resp->cseq = (unsigned)cseq;
            if (conn->in_len >= end + content_length) {
                memcpy(resp->body, conn->in + end, content_length);
                resp->body[content_length] = '\0';
                resp->body_len = content_length;
                consume(conn, end + content_length);
                return RTSP_ITEM_RESPONSE;
            }
            /* The body is still on its way: read more, then parse the head again. */
        } else if (conn->in_len > 0 && conn->in[0] != 'R') {
            set_error(conn, "unexpected byte 0x%02x from the server (neither a response nor a frame)", conn->in[0]);
            return RTSP_ITEM_ERROR;
        } else if (conn->in_len >= RTSP_HEAD_CAP) {
            set_error(conn, "response header longer than %d bytes", RTSP_HEAD_CAP);
            return RTSP_ITEM_ERROR;
        }
        if (fill(conn, deadline) != 0) {
            return RTSP_ITEM_ERROR;
        }
    }
}

int rtsp_transact(rtsp_conn *conn, const char *method, const char *url, const char *extra_headers,
                  rtsp_response *resp, rtsp_frame_fn on_frame, void *ctx, double deadline)
{
    static rtsp_frame frame; /* 64 KiB: not on the stack */
    const char *session;

    if (rtsp_send_request(conn, method, url, extra_headers) != 0) {
        return -1;
    }
    for (;;) {
        rtsp_item item = rtsp_read_item(conn, resp, &frame, deadline);
        if (item == RTSP_ITEM_ERROR) {
            char why[sizeof conn->error];
            memcpy(why, conn->error, sizeof why);
            set_error(conn, "%s: %s", method, why);
            return -1;
        }
        if (item == RTSP_ITEM_FRAME) {
            if (on_frame != NULL) {
                on_frame(ctx, &frame);
            }
            continue;
        }
        break;
    }
    /* RFC 2326 §12.17: the response carries the CSeq of its request. */
    if (resp->cseq != conn->cseq) {
        set_error(conn, "%s: response CSeq %u, request CSeq %u", method, resp->cseq, conn->cseq);
        return -1;
    }
    /* RFC 2326 §12.37: Session = session-id [ ";" "timeout" "=" delta-seconds ]. */
    session = rtsp_header(resp, "Session", 0);
    if (session != NULL && resp->status / 100 == 2) {
        char id[sizeof conn->session], timeout[32];
        size_t id_len = strcspn(session, ";");
        while (id_len > 0 && (session[id_len - 1] == ' ' || session[id_len - 1] == '\t')) {
            id_len--;
        }
        if (id_len == 0 || id_len >= sizeof id) {
            set_error(conn, "%s: bad Session header \"%s\"", method, session);
            return -1;
        }
        memcpy(id, session, id_len);
        id[id_len] = '\0';
        if (conn->session[0] != '\0' && strcmp(conn->session, id) != 0) {
            set_error(conn, "%s: the server changed the session id from %s to %s", method, conn->session, id);
            return -1;
        }
        memcpy(conn->session, id, id_len + 1);
        if (rtsp_param(session, "timeout", timeout, sizeof timeout)) {
            unsigned long seconds;
            if (parse_decimal(timeout, 86400, &seconds) != 0 || seconds == 0) {
                set_error(conn, "%s: bad Session timeout \"%s\"", method, timeout);
                return -1;
            }
            conn->session_timeout = (unsigned)seconds;
        }
    }
    return 0;
}

const char *rtsp_header(const rtsp_response *resp, const char *name, size_t index)
{
    size_t i;
    for (i = 0; i < resp->n_headers; i++) {
        if (strcasecmp(resp->names[i], name) == 0 && index-- == 0) {
            return resp->values[i];
        }
    }
    return NULL;
}

int rtsp_param(const char *value, const char *name, char *out, size_t out_cap)
{
    const char *p = value;
    size_t name_len = strlen(name);

    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, ';');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        while (len > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        if (len >= name_len && strncasecmp(p, name, name_len) == 0 &&
            (len == name_len || p[name_len] == '=' || p[name_len] == ' ')) {
            const char *v = p + name_len;
            size_t v_len = len - name_len;
            while (v_len > 0 && (*v == ' ' || *v == '=')) {
                v++;
                v_len--;
            }
            while (v_len > 0 && (v[v_len - 1] == ' ' || v[v_len - 1] == '\t')) {
                v_len--;
            }
            if (v_len >= 2 && v[0] == '"' && v[v_len - 1] == '"') {
                v++;
                v_len -= 2;
            }
            if (v_len >= out_cap) {
                v_len = out_cap - 1;
            }
            memcpy(out, v, v_len);
            out[v_len] = '\0';
            return 1;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return 0;
}

void rtsp_resolve_control(const char *base, const char *control, char *out, size_t out_cap)
{
    size_t base_len = strlen(base);
    /* RFC 2326 §C.1.1: an absolute control URL is used as is, "*" means the base (aggregate)
       URL, and a relative one is taken against Content-Base. Cameras and servers mean "below the
       presentation" even when the base lacks its trailing slash, so join with one '/'. */
    if (strncasecmp(control, "rtsp://", 7) == 0 || strncasecmp(control, "rtsps://", 8) == 0) {
        snprintf(out, out_cap, "%s", control);
    } else if (control[0] == '\0' || strcmp(control, "*") == 0) {
        snprintf(out, out_cap, "%s", base);
    } else {
        snprintf(out, out_cap, "%s%s%s", base, base_len > 0 && base[base_len - 1] == '/' ? "" : "/", control);
    }
}
