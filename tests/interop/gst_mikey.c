/*
 * gst_mikey: interop helper for the `mikey` crate's integration tests.
 *
 * Uses GStreamer's own MIKEY implementation (libgstsdp, gst/sdp/gstmikey.h)
 * to either parse a MIKEY message (what does GStreamer understand?) or to
 * build one exactly the way gst-rtsp-server does (rtsp-sdp.c:
 * gst_mikey_message_new_from_caps() + gst_mikey_message_add_cs_srtp() per
 * sending SSRC + gst_mikey_message_to_bytes()).
 *
 * Usage:
 *   gst_mikey parse <hex>|-
 *   gst_mikey make [--key HEX] [--cipher aes-128-icm|aes-256-icm]
 *                  [--auth hmac-sha1-80|hmac-sha1-32] [--roc N]
 *                  <ssrc> [<ssrc> ...]
 *
 * Every output is exactly one JSON object on stdout followed by a newline.
 * Exit codes: 0 success, 1 GStreamer rejected the input (parse) ,
 *             2 usage / bad arguments.
 * The process arms alarm(5) at start: GStreamer 1.22's parser spins forever
 * on payload types it does not implement (ID, CERT, V, SIGN, DH, CHASH, ERR,
 * GEN_EXT, unknown); SIGALRM's default action then kills the process, so a
 * caller sees "terminated by signal 14" instead of a hang.
 *
 * Build: tests/interop/build_gst_mikey.sh <output-path>
 */
#include <gst/gst.h>
#include <gst/sdp/gstmikey.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* small JSON writer                                                   */

static GString *out;

static void
json_str (const gchar * s)
{
  const guchar *p;

  if (s == NULL) {
    g_string_append (out, "null");
    return;
  }
  g_string_append_c (out, '"');
  for (p = (const guchar *) s; *p; p++) {
    switch (*p) {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      default:
        if (*p < 0x20 || *p >= 0x7f)
          g_string_append_printf (out, "\\u%04x", *p);
        else
          g_string_append_c (out, *p);
    }
  }
  g_string_append_c (out, '"');
}

static void
json_hex (const guint8 * data, gsize len)
{
  gsize i;

  if (data == NULL && len > 0) {
    g_string_append (out, "null");
    return;
  }
  g_string_append_c (out, '"');
  for (i = 0; i < len; i++)
    g_string_append_printf (out, "%02x", data[i]);
  g_string_append_c (out, '"');
}

static void
emit_and_exit (int code)
{
  fputs (out->str, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
  exit (code);
}

static void
fail_json (int code, const gchar * msg)
{
  g_string_truncate (out, 0);
  g_string_append (out, "{\"ok\":false,\"error\":");
  json_str (msg);
  g_string_append_c (out, '}');
  emit_and_exit (code);
}

/* ------------------------------------------------------------------ */
/* hex                                                                 */

static int
hexval (int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decodes hex, ignoring whitespace and ':' separators. Returns NULL on bad
 * input. */
static guint8 *
hex_decode (const gchar * s, gsize * out_len)
{
  GByteArray *arr = g_byte_array_new ();
  int hi = -1;

  if (g_str_has_prefix (s, "0x") || g_str_has_prefix (s, "0X"))
    s += 2;
  for (; *s; s++) {
    int v;
    if (isspace ((unsigned char) *s) || *s == ':')
      continue;
    v = hexval ((unsigned char) *s);
    if (v < 0) {
      g_byte_array_free (arr, TRUE);
      return NULL;
    }
    if (hi < 0) {
      hi = v;
    } else {
      guint8 b = (guint8) ((hi << 4) | v);
      g_byte_array_append (arr, &b, 1);
      hi = -1;
    }
  }
  if (hi >= 0) {
    g_byte_array_free (arr, TRUE);
    return NULL;
  }
  *out_len = arr->len;
  return g_byte_array_free (arr, FALSE);
}

static gchar *
read_stdin (void)
{
  GString *s = g_string_new (NULL);
  char buf[4096];
  size_t n;

  while ((n = fread (buf, 1, sizeof buf, stdin)) > 0)
    g_string_append_len (s, buf, n);
  return g_string_free (s, FALSE);
}

/* ------------------------------------------------------------------ */
/* parse mode                                                          */

static gint
ts_len (GstMIKEYTSType t)
{
  switch (t) {
    case GST_MIKEY_TS_TYPE_NTP_UTC:
    case GST_MIKEY_TS_TYPE_NTP:
      return 8;
    case GST_MIKEY_TS_TYPE_COUNTER:
      return 4;
    default:
      return -1;
  }
}

static gint
mac_len (GstMIKEYMacAlg a)
{
  switch (a) {
    case GST_MIKEY_MAC_NULL:
      return 0;
    case GST_MIKEY_MAC_HMAC_SHA_1_160:
      return 20;
    default:
      return -1;
  }
}

static void dump_payload (const GstMIKEYPayload * p);

static void
dump_payload_list_kemac (const GstMIKEYPayload * p)
{
  guint i, n = gst_mikey_payload_kemac_get_n_sub (p);

  g_string_append (out, "[");
  for (i = 0; i < n; i++) {
    if (i)
      g_string_append_c (out, ',');
    dump_payload (gst_mikey_payload_kemac_get_sub (p, i));
  }
  g_string_append (out, "]");
}

static void
dump_payload (const GstMIKEYPayload * p)
{
  /* p->len is not meaningful in 1.22 (it holds the C struct size), so it
   * is not printed. */
  g_string_append_printf (out, "{\"type\":%d", (int) p->type);
  switch (p->type) {
    case GST_MIKEY_PT_T:{
      const GstMIKEYPayloadT *t = (const GstMIKEYPayloadT *) p;
      gint l = ts_len (t->type);
      g_string_append_printf (out, ",\"name\":\"T\",\"ts_type\":%d,"
          "\"ts_value\":", (int) t->type);
      if (l < 0)
        g_string_append (out, "null");
      else
        json_hex (t->ts_value, l);
      break;
    }
    case GST_MIKEY_PT_RAND:{
      const GstMIKEYPayloadRAND *r = (const GstMIKEYPayloadRAND *) p;
      g_string_append_printf (out, ",\"name\":\"RAND\",\"rand_len\":%u,"
          "\"rand\":", r->len);
      json_hex (r->rand, r->len);
      break;
    }
    case GST_MIKEY_PT_SP:{
      const GstMIKEYPayloadSP *sp = (const GstMIKEYPayloadSP *) p;
      guint i, n = gst_mikey_payload_sp_get_n_params (p);
      g_string_append_printf (out, ",\"name\":\"SP\",\"policy\":%u,"
          "\"proto\":%d,\"params\":[", sp->policy, (int) sp->proto);
      for (i = 0; i < n; i++) {
        const GstMIKEYPayloadSPParam *prm = gst_mikey_payload_sp_get_param (p,
            i);
        if (i)
          g_string_append_c (out, ',');
        g_string_append_printf (out, "[%u,%u,", prm->type, prm->len);
        json_hex (prm->val, prm->len);
        g_string_append_c (out, ']');
      }
      g_string_append_c (out, ']');
      break;
    }
    case GST_MIKEY_PT_KEMAC:{
      const GstMIKEYPayloadKEMAC *k = (const GstMIKEYPayloadKEMAC *) p;
      g_string_append_printf (out, ",\"name\":\"KEMAC\",\"enc_alg\":%d,"
          "\"mac_alg\":%d,\"mac_len\":%d,"
          "\"mac\":null,\"mac_note\":\"GStreamer 1.22 skips the MAC "
          "without storing it\",\"subpayloads\":",
          (int) k->enc_alg, (int) k->mac_alg, mac_len (k->mac_alg));
      dump_payload_list_kemac (p);
      break;
    }
    case GST_MIKEY_PT_KEY_DATA:{
      const GstMIKEYPayloadKeyData *kd = (const GstMIKEYPayloadKeyData *) p;
      g_string_append_printf (out, ",\"name\":\"KEY_DATA\",\"key_type\":%d,"
          "\"key_len\":%u,\"key_data\":", (int) kd->key_type, kd->key_len);
      json_hex (kd->key_data, kd->key_len);
      g_string_append_printf (out, ",\"salt_len\":%u,\"salt\":",
          kd->salt_len);
      if (kd->salt_len == 0)
        g_string_append (out, "null");
      else
        json_hex (kd->salt_data, kd->salt_len);
      g_string_append_printf (out, ",\"kv_type\":%d", (int) kd->kv_type);
      if (kd->kv_type == GST_MIKEY_KV_SPI) {
        g_string_append (out, ",\"kv_spi\":");
        json_hex (kd->kv_data[0], kd->kv_len[0]);
      } else if (kd->kv_type == GST_MIKEY_KV_INTERVAL) {
        g_string_append (out, ",\"kv_from\":");
        json_hex (kd->kv_data[0], kd->kv_len[0]);
        g_string_append (out, ",\"kv_to\":");
        json_hex (kd->kv_data[1], kd->kv_len[1]);
      }
      break;
    }
    case GST_MIKEY_PT_PKE:{
      const GstMIKEYPayloadPKE *pk = (const GstMIKEYPayloadPKE *) p;
      g_string_append_printf (out, ",\"name\":\"PKE\",\"C\":%d,"
          "\"data_len\":%u,\"data\":", (int) pk->C, pk->data_len);
      json_hex (pk->data, pk->data_len);
      break;
    }
    default:
      g_string_append (out, ",\"name\":\"OTHER\"");
      break;
  }
  g_string_append_c (out, '}');
}

/* What GStreamer would configure srtpdec/srtpenc with from this message
 * (gst_mikey_message_to_caps(); gst-rtsp-server's mikey_apply_policy()
 * implements the same mapping). null when GStreamer refuses (encrypted or
 * MAC-protected KEMAC, no KEMAC, no key data sub-payload). */
static void
dump_to_caps (const GstMIKEYMessage * msg)
{
  GstCaps *caps = gst_caps_new_empty_simple ("application/x-srtp");
  GstStructure *s;
  const GValue *v;
  const gchar *fields[] = { "srtp-cipher", "srtp-auth", "srtcp-cipher",
    "srtcp-auth", NULL
  };
  int i;

  if (!gst_mikey_message_to_caps (msg, caps)) {
    g_string_append (out, "null");
    gst_caps_unref (caps);
    return;
  }
  s = gst_caps_get_structure (caps, 0);
  g_string_append_c (out, '{');
  for (i = 0; fields[i]; i++) {
    g_string_append_printf (out, "%s\"%s\":", i ? "," : "", fields[i]);
    json_str (gst_structure_get_string (s, fields[i]));
  }
  g_string_append (out, ",\"srtp-key\":");
  v = gst_structure_get_value (s, "srtp-key");
  if (v && GST_VALUE_HOLDS_BUFFER (v)) {
    GstMapInfo map;
    GstBuffer *buf = gst_value_get_buffer (v);
    gst_buffer_map (buf, &map, GST_MAP_READ);
    json_hex (map.data, map.size);
    gst_buffer_unmap (buf, &map);
  } else {
    g_string_append (out, "null");
  }
  g_string_append_c (out, '}');
  gst_caps_unref (caps);
}

static int
do_parse (const gchar * arg)
{
  gchar *text;
  guint8 *data;
  gsize size = 0;
  GError *err = NULL;
  GstMIKEYMessage *msg;
  guint i, n;
  GBytes *bytes;

  text = (g_strcmp0 (arg, "-") == 0) ? read_stdin () : g_strdup (arg);
  data = hex_decode (text, &size);
  g_free (text);
  if (data == NULL)
    fail_json (2, "argument is not valid hex");
  if (size == 0)
    fail_json (1, "empty input");

  msg = gst_mikey_message_new_from_data (data, size, NULL, &err);
  if (msg == NULL) {
    gchar *m = g_strdup_printf ("gst_mikey_message_new_from_data failed: %s",
        err ? err->message : "returned NULL (no GError set)");
    fail_json (1, m);
  }

  g_string_append_printf (out, "{\"ok\":true,\"input_len\":%" G_GSIZE_FORMAT
      ",\"version\":%u,\"type\":%d,\"V\":%s,\"prf_func\":%d,"
      "\"csb_id\":%u,\"map_type\":%d,\"cs\":[", size,
      msg->version, (int) msg->type, msg->V ? "true" : "false",
      (int) msg->prf_func, msg->CSB_id, (int) msg->map_type);
  n = gst_mikey_message_get_n_cs (msg);
  for (i = 0; i < n; i++) {
    const GstMIKEYMapSRTP *m = gst_mikey_message_get_cs_srtp (msg, i);
    if (i)
      g_string_append_c (out, ',');
    g_string_append_printf (out, "{\"policy\":%u,\"ssrc\":%u,\"roc\":%u}",
        m->policy, m->ssrc, m->roc);
  }
  g_string_append (out, "],\"payloads\":[");
  n = gst_mikey_message_get_n_payloads (msg);
  for (i = 0; i < n; i++) {
    if (i)
      g_string_append_c (out, ',');
    dump_payload (gst_mikey_message_get_payload (msg, i));
  }
  g_string_append (out, "],\"to_caps\":");
  dump_to_caps (msg);
  g_string_append (out, ",\"reencoded\":");

  bytes = gst_mikey_message_to_bytes (msg, NULL, &err);
  if (bytes == NULL) {
    g_string_append (out, "null,\"reencode_error\":");
    json_str (err ? err->message : "to_bytes returned NULL");
    g_string_append (out, ",\"reencoded_equal\":false");
  } else {
    gsize blen;
    const guint8 *b = g_bytes_get_data (bytes, &blen);
    json_hex (b, blen);
    g_string_append_printf (out, ",\"reencoded_equal\":%s",
        (blen == size && memcmp (b, data, size) == 0) ? "true" : "false");
    g_bytes_unref (bytes);
  }
  g_string_append_c (out, '}');

  gst_mikey_message_unref (msg);
  g_free (data);
  emit_and_exit (0);
  return 0;
}

/* ------------------------------------------------------------------ */
/* make mode                                                           */

static void
usage (void)
{
  fprintf (stderr,
      "usage: gst_mikey parse <hex>|-\n"
      "       gst_mikey make [--key HEX] [--cipher aes-128-icm|aes-256-icm]\n"
      "                      [--auth hmac-sha1-80|hmac-sha1-32] [--roc N]\n"
      "                      <ssrc> [<ssrc> ...]\n"
      "       gst_mikey bench <hex> <seconds>   (parses/s of GStreamer's parser)\n"
      "       gst_mikey count <hex> <n>         (n parses, for callgrind's instruction count)\n");
}

static int
do_make (int argc, char **argv)
{
  const gchar *cipher = "aes-128-icm";
  const gchar *auth = "hmac-sha1-80";
  const gchar *key_hex = NULL;
  guint32 roc = 0;
  GArray *ssrcs = g_array_new (FALSE, FALSE, sizeof (guint32));
  guint8 *key;
  gsize key_len = 0, master_len;
  GstBuffer *kbuf;
  GstCaps *caps;
  GstMIKEYMessage *msg;
  GBytes *bytes;
  GError *err = NULL;
  gsize blen;
  const guint8 *b;
  int i;
  guint j;

  for (i = 0; i < argc; i++) {
    const gchar *a = argv[i];
    if (g_strcmp0 (a, "--key") == 0 && i + 1 < argc) {
      key_hex = argv[++i];
    } else if (g_strcmp0 (a, "--cipher") == 0 && i + 1 < argc) {
      cipher = argv[++i];
    } else if (g_strcmp0 (a, "--auth") == 0 && i + 1 < argc) {
      auth = argv[++i];
    } else if (g_strcmp0 (a, "--roc") == 0 && i + 1 < argc) {
      gchar *end;
      guint64 v = g_ascii_strtoull (argv[++i], &end, 10);
      if (*end || v > G_MAXUINT32)
        fail_json (2, "bad --roc value");
      roc = (guint32) v;
    } else if (a[0] == '-' && a[1] != '\0') {
      usage ();
      fail_json (2, "unknown option");
    } else {
      gchar *end;
      guint64 v = g_ascii_strtoull (a, &end, 10);
      guint32 s;
      if (*a == '\0' || *end || v > G_MAXUINT32)
        fail_json (2, "SSRC must be a decimal number 0..4294967295");
      s = (guint32) v;
      g_array_append_val (ssrcs, s);
    }
  }
  if (ssrcs->len == 0) {
    usage ();
    fail_json (2, "at least one SSRC is required");
  }

  if (g_strcmp0 (cipher, "aes-128-icm") == 0)
    master_len = 16;
  else if (g_strcmp0 (cipher, "aes-256-icm") == 0)
    master_len = 32;
  else
    fail_json (2, "cipher must be aes-128-icm or aes-256-icm");
  if (g_strcmp0 (auth, "hmac-sha1-80") != 0
      && g_strcmp0 (auth, "hmac-sha1-32") != 0)
    fail_json (2, "auth must be hmac-sha1-80 or hmac-sha1-32");

  if (key_hex) {
    key = hex_decode (key_hex, &key_len);
    if (key == NULL)
      fail_json (2, "--key is not valid hex");
    if (key_len != master_len + 14)
      fail_json (2, master_len == 16 ?
          "--key must be 30 bytes (16 key + 14 salt) for aes-128-icm" :
          "--key must be 46 bytes (32 key + 14 salt) for aes-256-icm");
  } else {
    key_len = master_len + 14;
    key = g_malloc (key_len);
    for (j = 0; j < key_len; j++)
      key[j] = (guint8) j;
  }

  /* what srtpenc puts on its caps and rtsp-stream hands to rtsp-sdp */
  kbuf = gst_buffer_new_memdup (key, key_len);
  caps = gst_caps_new_simple ("application/x-srtp",
      "srtp-key", GST_TYPE_BUFFER, kbuf,
      "srtp-cipher", G_TYPE_STRING, cipher,
      "srtp-auth", G_TYPE_STRING, auth,
      "srtcp-cipher", G_TYPE_STRING, cipher,
      "srtcp-auth", G_TYPE_STRING, auth, NULL);
  gst_buffer_unref (kbuf);

  msg = gst_mikey_message_new_from_caps (caps);
  gst_caps_unref (caps);
  if (msg == NULL)
    fail_json (1, "gst_mikey_message_new_from_caps returned NULL");

  /* rtsp-sdp.c mikey_add_crypto_sessions(): policy 0 for every sender SSRC */
  for (j = 0; j < ssrcs->len; j++)
    gst_mikey_message_add_cs_srtp (msg, 0, g_array_index (ssrcs, guint32, j),
        roc);

  bytes = gst_mikey_message_to_bytes (msg, NULL, &err);
  if (bytes == NULL)
    fail_json (1, err ? err->message : "gst_mikey_message_to_bytes failed");
  b = g_bytes_get_data (bytes, &blen);

  {
    gchar *b64 = gst_mikey_message_base64_encode (msg);
    g_string_append (out, "{\"ok\":true,\"message\":");
    json_hex (b, blen);
    g_string_append (out, ",\"base64\":");
    json_str (b64);
    g_free (b64);
  }
  g_string_append (out, ",\"key\":");
  json_hex (key, master_len);
  g_string_append (out, ",\"salt\":");
  json_hex (key + master_len, 14);
  g_string_append (out, ",\"ssrcs\":[");
  for (j = 0; j < ssrcs->len; j++)
    g_string_append_printf (out, "%s%u", j ? "," : "",
        g_array_index (ssrcs, guint32, j));
  g_string_append_printf (out, "],\"roc\":%u,\"csb_id\":%u,\"cipher\":",
      roc, msg->CSB_id);
  json_str (cipher);
  g_string_append (out, ",\"auth\":");
  json_str (auth);
  g_string_append_c (out, '}');

  g_bytes_unref (bytes);
  gst_mikey_message_unref (msg);
  g_free (key);
  g_array_free (ssrcs, TRUE);
  emit_and_exit (0);
  return 0;
}

/* ------------------------------------------------------------------ */
/* bench mode: GStreamer's parse alone, for the comparison in benches/  */

static int
do_bench (const gchar * arg, const gchar * seconds_arg)
{
  gsize size = 0;
  guint8 *data = hex_decode (arg, &size);
  gdouble seconds = g_ascii_strtod (seconds_arg, NULL);
  gint64 start, now;
  guint64 parses = 0;

  if (data == NULL || seconds <= 0 || seconds > 4)
    fail_json (2, "bench needs <hex> <seconds in (0,4]>");
  start = g_get_monotonic_time ();
  do {
    guint i;
    for (i = 0; i < 1000; i++) {
      GstMIKEYMessage *msg = gst_mikey_message_new_from_data (data, size, NULL, NULL);
      if (msg == NULL)
        fail_json (1, "gst_mikey_message_new_from_data failed");
      gst_mikey_message_unref (msg);
    }
    parses += 1000;
    now = g_get_monotonic_time ();
  } while (now - start < (gint64) (seconds * G_USEC_PER_SEC));
  g_string_append_printf (out, "{\"ok\":true,\"parses\":%" G_GUINT64_FORMAT
      ",\"seconds\":%.6f,\"parses_per_sec\":%.0f}", parses,
      (now - start) / 1e6, parses / ((now - start) / 1e6));
  g_free (data);
  emit_and_exit (0);
  return 0;
}

/* count mode: exactly n parses (and frees) of GStreamer's parse, in one function that
 * callgrind collects alone (--toggle-collect=measured_parses), for the instruction counts of
 * benches/. */

static void __attribute__ ((noinline))
measured_parses (const guint8 * data, gsize size, guint64 n)
{
  guint64 i;

  for (i = 0; i < n; i++) {
    GstMIKEYMessage *msg = gst_mikey_message_new_from_data (data, size, NULL, NULL);
    if (msg == NULL)
      fail_json (1, "gst_mikey_message_new_from_data failed");
    gst_mikey_message_unref (msg);
  }
}

static int
do_count (const gchar * arg, const gchar * n_arg)
{
  gsize size = 0;
  guint8 *data = hex_decode (arg, &size);
  guint64 n = g_ascii_strtoull (n_arg, NULL, 10);

  if (data == NULL || n == 0 || n > 1000000)
    fail_json (2, "count needs <hex> <n in 1..1000000>");
  /* The first parse initialises GStreamer's types: not counted. */
  gst_mikey_message_unref (gst_mikey_message_new_from_data (data, size, NULL, NULL));
  measured_parses (data, size, n);
  g_string_append_printf (out, "{\"ok\":true,\"parses\":%" G_GUINT64_FORMAT "}", n);
  g_free (data);
  emit_and_exit (0);
  return 0;
}

int
main (int argc, char **argv)
{
  /* GStreamer 1.22's payloads_from_bytes() never advances on payload types
   * it does not implement: never hang a test. */
  alarm (5);

  out = g_string_new (NULL);
  gst_init (NULL, NULL);

  if (argc >= 3 && strcmp (argv[1], "parse") == 0 && argc == 3)
    return do_parse (argv[2]);
  if (argc == 4 && strcmp (argv[1], "bench") == 0)
    return do_bench (argv[2], argv[3]);
  if (argc == 4 && strcmp (argv[1], "count") == 0) {
    /* Bounded by its count; under valgrind it runs ~50x slower than the alarm assumes. */
    alarm (120);
    return do_count (argv[2], argv[3]);
  }
  if (argc >= 3 && strcmp (argv[1], "make") == 0)
    return do_make (argc - 2, argv + 2);

  usage ();
  fail_json (2, "bad usage");
  return 2;
}
