#!/usr/bin/env bash
# Makes a development PKI in OUTDIR with the openssl CLI, for TLS to Kafka
# (scripts/kafka.sh start --secure, tests/integration/secure_*) and the admin
# listener. Nothing here is for production; nothing it makes is committed.
#
#   ca.pem / ca.key             the development CA (trusted by broker and proxy)
#   broker.pem / broker.key     the broker (SAN 127.0.0.1, localhost)
#   broker-keystore.pem         broker key + certificate chain (Kafka PEM keystore)
#   proxy.pem / proxy.key       maskproxy's client certificate (CN=maskproxy)
#   client.pem / client.key     another client (CN=client: test tools, admin)
#   rogue-ca.pem / rogue-ca.key a second CA that nobody trusts
#   rogue.pem / rogue.key       a client certificate from it (CN=maskproxy):
#                               the broker must refuse it
#   analyst.pem / analyst.key   a client of the dev CA (CN=analyst: the reveal
#                               service's granted operator in the tests)
#   support.pem / support.key   another one (CN=support: a role without the field)
#   expired.pem / expired.key   CN=analyst from the dev CA, expired (valid only
#                               during 2020-01-01): TLS must refuse it
#
# Keys are RSA 2048, PKCS#8, unencrypted, mode 0600; certificates 0644, valid
# 30 days. Existing files in OUTDIR are overwritten.
# Usage: certs/make-dev-certs.sh OUTDIR
set -euo pipefail

[[ $# -eq 1 && "$1" != -* ]] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
command -v openssl >/dev/null || { echo "$0: openssl not found (apt-get install openssl)" >&2; exit 1; }
out="$1"
mkdir -p "$out"
cd "$out"
umask 077
days=30

key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; chmod 600 "$1"; }

ca() {  # ca NAME CN
    key "$1.key"
    openssl req -x509 -new -key "$1.key" -sha256 -days "$days" -subj "/O=maskproxy dev/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -out "$1.pem"
    chmod 644 "$1.pem"
}

leaf() {  # leaf NAME CN CA EXTENSIONS
    local name="$1" cn="$2" issuer="$3" ext="$4"
    key "$name.key"
    openssl req -new -key "$name.key" -subj "/O=maskproxy dev/CN=$cn" -out "$name.csr"
    printf '%s\n' "$ext" >"$name.ext"
    openssl x509 -req -in "$name.csr" -CA "$issuer.pem" -CAkey "$issuer.key" -CAcreateserial -sha256 \
        -days "$days" -extfile "$name.ext" -out "$name.pem" 2>/dev/null
    chmod 644 "$name.pem"
    rm -f "$name.csr" "$name.ext"
}

client_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth'

ca ca "maskproxy dev CA"
leaf broker localhost ca 'basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=IP:127.0.0.1,DNS:localhost'
leaf proxy maskproxy ca "$client_ext"
leaf client client ca "$client_ext"
ca rogue-ca "untrusted CA"
leaf rogue maskproxy rogue-ca "$client_ext"
leaf analyst analyst ca "$client_ext"
leaf support support ca "$client_ext"
# An expired certificate: `openssl x509 -req` cannot backdate (3.0), `openssl
# ca` can (-startdate/-enddate), with a throwaway CA database.
key expired.key
openssl req -new -key expired.key -subj "/O=maskproxy dev/CN=analyst" -out expired.csr
mkdir -p expired-ca.d
: >expired-ca.d/index.txt
printf '%s\n' "$client_ext" >expired.ext
cat >expired-ca.cnf <<CNF
[ca]
default_ca = dev
[dev]
dir = expired-ca.d
database = expired-ca.d/index.txt
new_certs_dir = expired-ca.d
serial = expired-ca.d/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
organizationName = optional
CNF
openssl rand -hex 8 >expired-ca.d/serial
openssl ca -batch -config expired-ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
    -startdate 20200101000000Z -enddate 20200102000000Z -extfile expired.ext -notext -preserveDN 2>/dev/null
chmod 644 expired.pem
rm -rf expired-ca.d expired-ca.cnf expired.csr expired.ext
rm -f ./*.srl

cat broker.key broker.pem ca.pem >broker-keystore.pem
chmod 600 broker-keystore.pem
echo "$0: development CA and certificates in $(pwd)" >&2
