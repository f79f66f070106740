#!/bin/sh
# Regenerates the test PKI used by tests/crypto_rsa_x509.rs (RSA and X.509 for the PK, DH-SIGN
# and RSA-R methods). Needs the openssl CLI (OpenSSL 3.x; `apt-get install -y openssl`).
#
#   tests/pki/make-test-pki.sh            # writes into the directory of this script
#
# Keys are RSA-2048, except weak-1024 (RSA-1024, to be refused) and ec-p256 (ECDSA P-256, not
# RSA); every certificate is signed with SHA-256. Dates are fixed, so the outputs do not depend
# on the day they were made:
#   expired:        2020-01-01 .. 2021-01-01
#   notyet:         2100-01-01 .. 2110-01-01
#   all the others: 2020-01-01 .. 2120-01-01
# Issuers: root -> intermediate (pathlen 0) -> alice, bob, carol, expired, notyet, badku,
# signonly, noku, weak-1024, ec-p256; rogue-root (never a trust anchor in the tests) -> mallory;
# selfsigned signs itself.
# subjectAltName: alice URI:sip:alice@example.com, bob URI:sip:bob@example.com, carol
# email:carol@example.com, noku both a URI and an email, mallory claims alice's URI, the others
# URI:sip:<name>@example.com.
# keyUsage: badku nonRepudiation + dataEncipherment only, signonly and ec-p256 digitalSignature
# only, noku no keyUsage extension, the other end entities digitalSignature + keyEncipherment.
#
# Outputs: <name>.crt.pem for every certificate; alice.crt.der and intermediate.crt.der;
# <name>.key.pem (PKCS#8) for root, intermediate, alice, bob, carol, selfsigned, weak-1024 and
# ec-p256; alice's key also as alice.key.der (PKCS#8 DER), alice.key.pkcs1.pem/.der (PKCS#1) and
# alice.key.encrypted.pem (encrypted PKCS#8, password "test"); alice-chain.pem (alice, then the
# intermediate); OpenSSL-made interop vectors over signed-message.bin: alice.sig-pkcs1-sha1.bin,
# alice.sig-pkcs1-sha256.bin, alice.sig-pss-sha256.bin, alice.sig-pss-sha1-maxsalt.bin; and
# alice.pke.bin, envelope-key.bin encrypted to alice with PKCS#1 v1.5.
#
# Rerunning makes new keys, so every output changes; commit them together.
set -eu

OUT=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

START=200101000000Z      # UTCTime (RFC 5280 4.1.2.5: UTCTime up to 2049)
END=21200101000000Z      # GeneralizedTime (from 2050 on)

cat > "$WORK/ca.cnf" <<CNF
[ ca ]
default_ca = test_ca

[ test_ca ]
dir            = $WORK
database       = $WORK/index.txt
new_certs_dir  = $WORK/newcerts
serial         = $WORK/serial
default_md     = sha256
policy         = policy_any
unique_subject = no
copy_extensions = none
email_in_dn    = no

[ policy_any ]
commonName       = supplied
organizationName = optional

[ req ]
distinguished_name = req_dn
prompt             = no
[ req_dn ]
CN = placeholder

[ root_ext ]
basicConstraints       = critical, CA:TRUE
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ intermediate_ext ]
basicConstraints       = critical, CA:TRUE, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always

[ ee_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, \${ENV::KU}
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = \${ENV::SAN}

[ ee_noku_ext ]
basicConstraints       = critical, CA:FALSE
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always
subjectAltName         = \${ENV::SAN}

[ selfsigned_ext ]
basicConstraints       = critical, CA:FALSE
keyUsage               = critical, digitalSignature, keyEncipherment
subjectKeyIdentifier   = hash
subjectAltName         = \${ENV::SAN}
CNF

mkdir "$WORK/newcerts"
: > "$WORK/index.txt"
echo 1000 > "$WORK/serial"
export SAN="URI:sip:placeholder@example.com"
# ee_ext's keyUsage; a certificate with another one sets KU in a subshell (exported already).
export KU="digitalSignature, keyEncipherment"

key() { # name [bits | ec]
    if [ "${2:-}" = ec ]; then
        openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$WORK/$1.key.pem"
    else
        openssl genpkey -quiet -algorithm RSA -pkeyopt "rsa_keygen_bits:${2:-2048}" -out "$WORK/$1.key.pem"
    fi
}

csr() { # name CN
    openssl req -new -config "$WORK/ca.cnf" -key "$WORK/$1.key.pem" -subj "/O=mikey test PKI/CN=$2" \
        -out "$WORK/$1.csr"
}

# sign name issuer extensions start end
sign() {
    if [ "$2" = self ]; then
        set -- "$1" "$3" "$4" "$5" -selfsign -keyfile "$WORK/$1.key.pem"
    else
        set -- "$1" "$3" "$4" "$5" -cert "$WORK/$2.crt.pem" -keyfile "$WORK/$2.key.pem"
    fi
    local name=$1 extensions=$2 start=$3 end=$4
    shift 4
    openssl ca -batch -notext -config "$WORK/ca.cnf" "$@" -in "$WORK/$name.csr" -out "$WORK/$name.crt.pem" \
        -extensions "$extensions" -startdate "$start" -enddate "$end" 2>/dev/null
}

# Certificate authorities.
key root;         csr root "mikey test root CA";           sign root self root_ext "$START" "$END"
key intermediate; csr intermediate "mikey test intermediate CA"
sign intermediate root intermediate_ext "$START" "$END"
key rogue-root;   csr rogue-root "mikey test rogue root CA";  sign rogue-root self root_ext "$START" "$END"

# End entities: name CN SAN issuer extensions start end [bits]
ee() {
    key "$1" "${8:-2048}"
    csr "$1" "$2"
    SAN="$3" sign "$1" "$4" "$5" "$6" "$7"
}
ee alice      "Alice"             "URI:sip:alice@example.com"                  intermediate ee_ext          "$START" "$END"
ee bob        "Bob"               "URI:sip:bob@example.com"                    intermediate ee_ext          "$START" "$END"
ee carol      "Carol"             "email:carol@example.com"                    intermediate ee_ext          "$START" "$END"
ee expired    "Expired"           "URI:sip:expired@example.com"                intermediate ee_ext          "$START" 210101000000Z
ee notyet     "Not yet valid"     "URI:sip:notyet@example.com"                 intermediate ee_ext          21000101000000Z 21100101000000Z
(KU="nonRepudiation, dataEncipherment"
ee badku      "Bad key usage"     "URI:sip:badku@example.com"                  intermediate ee_ext          "$START" "$END")
(KU="digitalSignature"
ee signonly   "Sign only"         "URI:sip:signonly@example.com"               intermediate ee_ext          "$START" "$END")
ee noku       "No key usage"      "URI:sip:noku@example.com,email:noku@example.com" intermediate ee_noku_ext "$START" "$END"
ee weak-1024  "Weak 1024"         "URI:sip:weak@example.com"                   intermediate ee_ext          "$START" "$END" 1024
(KU="digitalSignature"
ee ec-p256    "EC P-256"          "URI:sip:ec@example.com"                     intermediate ee_ext          "$START" "$END" ec)
ee mallory    "Mallory"           "URI:sip:alice@example.com"                  rogue-root   ee_ext          "$START" "$END"
ee selfsigned "Self-signed"       "URI:sip:selfsigned@example.com"             self         selfsigned_ext  "$START" "$END"

# Outputs: every certificate as PEM, a few also as DER; keys as PKCS#8 PEM; alice's key in all
# four encodings (PKCS#8 / PKCS#1, PEM / DER); alice's chain as a PEM bundle (end entity first).
for name in root intermediate rogue-root alice bob carol expired notyet badku signonly noku weak-1024 ec-p256 \
    mallory selfsigned; do
    cp "$WORK/$name.crt.pem" "$OUT/$name.crt.pem"
done
for name in root intermediate alice bob carol selfsigned weak-1024 ec-p256; do
    cp "$WORK/$name.key.pem" "$OUT/$name.key.pem"
done
openssl x509 -in "$WORK/alice.crt.pem" -outform DER -out "$OUT/alice.crt.der"
openssl x509 -in "$WORK/intermediate.crt.pem" -outform DER -out "$OUT/intermediate.crt.der"
openssl pkcs8 -topk8 -nocrypt -in "$WORK/alice.key.pem" -outform DER -out "$OUT/alice.key.der"
openssl pkey -in "$WORK/alice.key.pem" -traditional -out "$OUT/alice.key.pkcs1.pem"
openssl rsa -in "$WORK/alice.key.pem" -traditional -outform DER -out "$OUT/alice.key.pkcs1.der" 2>/dev/null
openssl pkcs8 -topk8 -in "$WORK/alice.key.pem" -v2 aes-128-cbc -passout pass:test -out "$OUT/alice.key.encrypted.pem"
cat "$WORK/alice.crt.pem" "$WORK/intermediate.crt.pem" > "$OUT/alice-chain.pem"

# Interop vectors made by OpenSSL (what minisip calls: EVP_SignInit with SHA-1, RSA_public_encrypt
# with RSA_PKCS1_PADDING): signatures by alice over signed-message.bin, and a 20-byte envelope
# key encrypted to alice.
printf 'MIKEY signed data: HDR T RAND IDi CERTi SP KEMAC PKE\n' > "$OUT/signed-message.bin"
openssl dgst -sha1 -sign "$WORK/alice.key.pem" -out "$OUT/alice.sig-pkcs1-sha1.bin" "$OUT/signed-message.bin"
openssl dgst -sha256 -sign "$WORK/alice.key.pem" -out "$OUT/alice.sig-pkcs1-sha256.bin" "$OUT/signed-message.bin"
openssl dgst -sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:digest -sign "$WORK/alice.key.pem" \
    -out "$OUT/alice.sig-pss-sha256.bin" "$OUT/signed-message.bin"
openssl dgst -sha1 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:max -sign "$WORK/alice.key.pem" \
    -out "$OUT/alice.sig-pss-sha1-maxsalt.bin" "$OUT/signed-message.bin"
printf '0123456789abcdefghij' > "$OUT/envelope-key.bin"
openssl pkey -in "$WORK/alice.key.pem" -pubout -out "$WORK/alice.pub.pem"
openssl pkeyutl -encrypt -pubin -inkey "$WORK/alice.pub.pem" -pkeyopt rsa_padding_mode:pkcs1 \
    -in "$OUT/envelope-key.bin" -out "$OUT/alice.pke.bin"
chmod 644 "$OUT"/*.pem "$OUT"/*.der "$OUT"/*.bin

# Sanity check with OpenSSL itself.
openssl verify -CAfile "$WORK/root.crt.pem" -untrusted "$WORK/intermediate.crt.pem" \
    -attime 1767225600 "$WORK/alice.crt.pem" "$WORK/bob.crt.pem" > /dev/null
echo "test PKI written to $OUT"
