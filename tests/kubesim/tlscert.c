#include "config.h"

#include "tlscert.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"

static char *bio_text(BIO *b)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);

	return n > 0 ? xstrndup(data, (size_t)n) : NULL;
}

static bool add_ext(X509 *cert, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	bool ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return false;
	ok = X509_add_ext(cert, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

static bool random_serial(X509 *cert, struct err *err)
{
	unsigned char serial[16];
	FILE *f = fopen("/dev/urandom", "rb");
	BIGNUM *bn;
	bool ok;

	if (!f || fread(serial, 1, sizeof(serial), f) != sizeof(serial)) {
		if (f)
			fclose(f);
		err_set(err, "cannot read /dev/urandom for a certificate serial");
		return false;
	}
	fclose(f);
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
	BN_free(bn);
	if (!ok)
		err_set(err, "cannot set a certificate serial");
	return ok;
}

/* What a certificate is for: the extensions tls_make adds. */
struct cert_spec {
	const char *cn, *org; /* org may be NULL */
	const char *basic, *usage, *ext_usage, *san; /* san may be NULL */
};

/* A new EC P-256 key and a certificate for it, valid for a year, signed by
 * issuer/issuer_key, or self-signed when they are NULL. */
static bool tls_make(const struct cert_spec *spec, X509 *issuer, EVP_PKEY *issuer_key,
		     struct tls_pem *out, struct err *err)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_NAME *name;
	BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
	X509V3_CTX ctx;
	bool ok = false;

	memset(out, 0, sizeof(*out));
	if (!key || !cert || !kb || !cb) {
		err_set(err, "cannot generate a TLS key");
		goto done;
	}
	X509_set_version(cert, 2);
	if (!random_serial(cert, err))
		goto done;
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 3600);
	X509_set_pubkey(cert, key);
	name = X509_get_subject_name(cert);
	if (spec->org)
		X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					   (const unsigned char *)spec->org, -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)spec->cn,
				   -1, -1, 0);
	X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
	if (!add_ext(cert, NID_basic_constraints, spec->basic) ||
	    !add_ext(cert, NID_key_usage, spec->usage) ||
	    !add_ext(cert, NID_ext_key_usage, spec->ext_usage) ||
	    (spec->san && !add_ext(cert, NID_subject_alt_name, spec->san)) ||
	    !add_ext(cert, NID_subject_key_identifier, "hash")) {
		err_set(err, "cannot add certificate extensions");
		goto done;
	}
	if (issuer) {
		X509_EXTENSION *ext;

		X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid");
		if (!ext || X509_add_ext(cert, ext, -1) != 1) {
			X509_EXTENSION_free(ext);
			err_set(err, "cannot add certificate extensions");
			goto done;
		}
		X509_EXTENSION_free(ext);
	}
	if (!X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256())) {
		err_set(err, "cannot sign the certificate");
		goto done;
	}
	if (!PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(cb, cert)) {
		err_set(err, "cannot encode the certificate");
		goto done;
	}
	out->key = bio_text(kb);
	out->cert = bio_text(cb);
	ok = out->key && out->cert;
	if (!ok)
		err_set(err, "cannot encode the certificate");
done:
	BIO_free(kb);
	BIO_free(cb);
	X509_free(cert);
	EVP_PKEY_free(key);
	if (!ok)
		tls_free(out);
	return ok;
}

bool tls_generate(struct tls_pem *out, struct err *err)
{
	static const struct cert_spec spec = {
	    .cn = "kubesim",
	    .org = "kubesim",
	    .basic = "critical,CA:TRUE",
	    .usage = "critical,digitalSignature,keyCertSign",
	    .ext_usage = "serverAuth",
	    .san = "IP:127.0.0.1,DNS:localhost",
	};

	return tls_make(&spec, NULL, NULL, out, err);
}

bool tls_generate_client_ca(struct tls_pem *out, struct err *err)
{
	static const struct cert_spec spec = {
	    .cn = "kubesim-client-ca",
	    .basic = "critical,CA:TRUE",
	    .usage = "critical,digitalSignature,keyCertSign,cRLSign",
	    .ext_usage = "clientAuth",
	};

	return tls_make(&spec, NULL, NULL, out, err);
}

bool tls_issue_client(const struct tls_pem *ca, const char *cn, const char *org,
		      struct tls_pem *out, struct err *err)
{
	const struct cert_spec spec = {
	    .cn = cn,
	    .org = org,
	    .basic = "critical,CA:FALSE",
	    .usage = "critical,digitalSignature,keyEncipherment",
	    .ext_usage = "clientAuth",
	};
	BIO *cb = BIO_new_mem_buf(ca->cert, -1), *kb = BIO_new_mem_buf(ca->key, -1);
	X509 *cacert = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
	EVP_PKEY *cakey = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
	bool ok;

	memset(out, 0, sizeof(*out));
	if (!cacert || !cakey) {
		err_set(err, "the client CA certificate or key cannot be read");
		ok = false;
	} else if (X509_check_private_key(cacert, cakey) != 1) {
		err_set(err, "the client CA key does not belong to its certificate");
		ok = false;
	} else {
		ok = tls_make(&spec, cacert, cakey, out, err);
	}
	X509_free(cacert);
	EVP_PKEY_free(cakey);
	BIO_free(cb);
	BIO_free(kb);
	return ok;
}

static char *slurp(const char *path, struct err *err)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;

	if (!f) {
		err_set(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_append(&b, chunk, n);
		if (b.len > 1024 * 1024) {
			fclose(f);
			buf_free(&b);
			err_set(err, "%s: too large for a PEM file", path);
			return NULL;
		}
	}
	fclose(f);
	return buf_steal(&b);
}

bool tls_load(struct tls_pem *out, const char *cert_file, const char *key_file, struct err *err)
{
	memset(out, 0, sizeof(*out));
	out->cert = slurp(cert_file, err);
	if (!out->cert)
		return false;
	out->key = slurp(key_file, err);
	if (!out->key) {
		tls_free(out);
		return false;
	}
	if (!strstr(out->cert, "-----BEGIN CERTIFICATE-----") ||
	    !strstr(out->key, "PRIVATE KEY-----")) {
		err_set(err, "%s or %s is not PEM", cert_file, key_file);
		tls_free(out);
		return false;
	}
	return true;
}

bool tls_load_ca(struct tls_pem *out, const char *cert_file, const char *key_file,
		 struct err *err)
{
	if (key_file)
		return tls_load(out, cert_file, key_file, err);
	memset(out, 0, sizeof(*out));
	out->cert = slurp(cert_file, err);
	if (!out->cert)
		return false;
	if (!strstr(out->cert, "-----BEGIN CERTIFICATE-----")) {
		err_set(err, "%s is not a PEM certificate", cert_file);
		tls_free(out);
		return false;
	}
	return true;
}

void tls_free(struct tls_pem *p)
{
	free(p->cert);
	free(p->key);
	p->cert = p->key = NULL;
}

static void put_b64(struct buf *b, const char *key, const char *pem)
{
	unsigned char *enc = xmalloc(4 * (strlen(pem) / 3 + 2) + 1);
	int n = EVP_EncodeBlock(enc, (const unsigned char *)pem, (int)strlen(pem));

	buf_printf(b, "    %s: %.*s\n", key, n, enc);
	free(enc);
}

/* A YAML single-quoted scalar: nothing in it is special but the quote. */
static void put_quoted(struct buf *b, const char *key, const char *v)
{
	buf_printf(b, "    %s: '", key);
	for (; *v; v++) {
		if (*v == '\'')
			buf_puts(b, "''");
		else
			buf_append(b, v, 1);
	}
	buf_puts(b, "'\n");
}

bool kubeconfig_write(const char *path, const char *server, const char *ca_pem,
		      const struct kc_admin *admin, const char *ro_token, struct err *err)
{
	struct buf b = BUF_INIT;
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd;
	bool ok;

	buf_printf(&b,
		   "apiVersion: v1\nkind: Config\nclusters:\n- name: kubesim\n  cluster:\n"
		   "    server: %s\n",
		   server);
	if (ca_pem)
		put_b64(&b, "certificate-authority-data", ca_pem);
	buf_printf(&b, "contexts:\n- name: kubesim\n  context:\n    cluster: kubesim\n"
		       "    user: kubesim-admin\n    namespace: default\n");
	if (ro_token)
		buf_printf(&b, "- name: kubesim-readonly\n  context:\n    cluster: kubesim\n"
			       "    user: kubesim-viewer\n    namespace: default\n");
	buf_printf(&b, "current-context: kubesim\nusers:\n- name: kubesim-admin\n  user:\n");
	if (admin->cert_pem && admin->key_pem) {
		put_b64(&b, "client-certificate-data", admin->cert_pem);
		put_b64(&b, "client-key-data", admin->key_pem);
	} else if (admin->username && admin->password) {
		put_quoted(&b, "username", admin->username);
		put_quoted(&b, "password", admin->password);
	} else {
		buf_printf(&b, "    token: %s\n", admin->token);
	}
	if (ro_token)
		buf_printf(&b, "- name: kubesim-viewer\n  user:\n    token: %s\n", ro_token);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok = fd >= 0 && write(fd, b.data, b.len) == (ssize_t)b.len;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	if (ok && rename(tmp, path) != 0)
		ok = false;
	if (!ok) {
		err_set(err, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	buf_free(&b);
	return ok;
}
