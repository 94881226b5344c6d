/*
 * tls.c - key material for `sluice sim --tls`: a throw-away self-signed CA and a server
 * certificate for 127.0.0.1 / localhost signed by it, made in memory with OpenSSL (EC P-256,
 * one year). The server key and certificate go to libmicrohttpd as PEM; the CA goes into the
 * kubeconfig's certificate-authority-data so clients verify the server normally.
 */
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sim/sim_int.h"

static char *bio_string(BIO *b)
{
    char *data = NULL;
    long n = BIO_get_mem_data(b, &data);
    if (n <= 0)
        return NULL;
    return slu_strndup(data, (size_t)n);
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ex)
        return -1;
    int ok = X509_add_ext(cert, ex, -1);
    X509_EXTENSION_free(ex);
    return ok ? 0 : -1;
}

static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, bool ca)
{
    X509 *c = X509_new();
    if (!c)
        return NULL;
    X509_set_version(c, 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
    BN_free(bn);
    X509_gmtime_adj(X509_getm_notBefore(c), -3600);
    X509_gmtime_adj(X509_getm_notAfter(c), 365L * 24 * 3600);
    X509_set_pubkey(c, key);
    X509_NAME *name = X509_get_subject_name(c);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"sluice sim", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509 *iss = issuer ? issuer : c;
    X509_set_issuer_name(c, X509_get_subject_name(iss));
    int rc = 0;
    if (ca) {
        rc |= add_ext(c, iss, NID_basic_constraints, "critical,CA:TRUE");
        rc |= add_ext(c, iss, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
        rc |= add_ext(c, iss, NID_subject_key_identifier, "hash");
    } else {
        rc |= add_ext(c, iss, NID_basic_constraints, "critical,CA:FALSE");
        rc |= add_ext(c, iss, NID_key_usage, "critical,digitalSignature,keyEncipherment");
        rc |= add_ext(c, iss, NID_ext_key_usage, "serverAuth");
        rc |= add_ext(c, iss, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
        rc |= add_ext(c, iss, NID_authority_key_identifier, "keyid:always");
    }
    if (rc != 0 || X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()) == 0) {
        X509_free(c);
        return NULL;
    }
    return c;
}

int sim_tls_generate(char **ca_pem, char **cert_pem, char **key_pem, struct slu_err *err)
{
    *ca_pem = *cert_pem = *key_pem = NULL;
    int rc = SLU_ESERVER;
    EVP_PKEY *ca_key = EVP_EC_gen("P-256");
    EVP_PKEY *srv_key = EVP_EC_gen("P-256");
    X509 *ca = NULL, *srv = NULL;
    BIO *b1 = BIO_new(BIO_s_mem()), *b2 = BIO_new(BIO_s_mem()), *b3 = BIO_new(BIO_s_mem());
    if (!ca_key || !srv_key || !b1 || !b2 || !b3)
        goto out;
    ca = make_cert(ca_key, "sluice-sim-ca", NULL, NULL, true);
    if (!ca)
        goto out;
    srv = make_cert(srv_key, "127.0.0.1", ca, ca_key, false);
    if (!srv)
        goto out;
    if (!PEM_write_bio_X509(b1, ca) || !PEM_write_bio_X509(b2, srv) ||
        !PEM_write_bio_PrivateKey(b3, srv_key, NULL, NULL, 0, NULL, NULL))
        goto out;
    *ca_pem = bio_string(b1);
    *cert_pem = bio_string(b2);
    *key_pem = bio_string(b3);
    if (*ca_pem && *cert_pem && *key_pem)
        rc = 0;
out:
    if (rc) {
        free(*ca_pem);
        free(*cert_pem);
        free(*key_pem);
        *ca_pem = *cert_pem = *key_pem = NULL;
        slu_err_set(err, rc, "generating the sim's TLS certificates failed (OpenSSL)");
    }
    X509_free(ca);
    X509_free(srv);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(srv_key);
    BIO_free(b1);
    BIO_free(b2);
    BIO_free(b3);
    return rc;
}
