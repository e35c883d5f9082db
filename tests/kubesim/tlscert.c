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

bool tls_generate(struct tls_pem *out, struct err *err)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_NAME *name;
	BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	bool ok = false;

	memset(out, 0, sizeof(*out));
	if (!key || !cert || !kb || !cb) {
		err_set(err, "cannot generate a TLS key");
		goto done;
	}
	X509_set_version(cert, 2);
	{
		FILE *f = fopen("/dev/urandom", "rb");

		if (!f || fread(serial, 1, sizeof(serial), f) != sizeof(serial)) {
			if (f)
				fclose(f);
			err_set(err, "cannot read /dev/urandom for a certificate serial");
			goto done;
		}
		fclose(f);
	}
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 3600);
	X509_set_pubkey(cert, key);
	name = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"kubesim", -1,
				   -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"kubesim", -1,
				   -1, 0);
	X509_set_issuer_name(cert, name);
	if (!add_ext(cert, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(cert, NID_key_usage, "critical,digitalSignature,keyCertSign") ||
	    !add_ext(cert, NID_ext_key_usage, "serverAuth") ||
	    !add_ext(cert, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost") ||
	    !add_ext(cert, NID_subject_key_identifier, "hash")) {
		err_set(err, "cannot add certificate extensions");
		goto done;
	}
	if (!X509_sign(cert, key, EVP_sha256())) {
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
	BN_free(bn);
	BIO_free(kb);
	BIO_free(cb);
	X509_free(cert);
	EVP_PKEY_free(key);
	if (!ok)
		tls_free(out);
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

void tls_free(struct tls_pem *p)
{
	free(p->cert);
	free(p->key);
	p->cert = p->key = NULL;
}

bool kubeconfig_write(const char *path, const char *server, const char *ca_pem, const char *token,
		      const char *ro_token, struct err *err)
{
	struct buf b = BUF_INIT;
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd;
	bool ok;

	buf_printf(&b,
		   "apiVersion: v1\nkind: Config\nclusters:\n- name: kubesim\n  cluster:\n"
		   "    server: %s\n",
		   server);
	if (ca_pem) {
		unsigned char *enc = xmalloc(4 * (strlen(ca_pem) / 3 + 2) + 1);
		int n = EVP_EncodeBlock(enc, (const unsigned char *)ca_pem, (int)strlen(ca_pem));

		buf_printf(&b, "    certificate-authority-data: %.*s\n", n, enc);
		free(enc);
	}
	buf_printf(&b, "contexts:\n- name: kubesim\n  context:\n    cluster: kubesim\n"
		       "    user: kubesim-admin\n    namespace: default\n");
	if (ro_token)
		buf_printf(&b, "- name: kubesim-readonly\n  context:\n    cluster: kubesim\n"
			       "    user: kubesim-viewer\n    namespace: default\n");
	buf_printf(&b,
		   "current-context: kubesim\nusers:\n- name: kubesim-admin\n  user:\n"
		   "    token: %s\n",
		   token);
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
