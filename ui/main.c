#include "config.h"

#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cli/cli.h"
#include "conf.h"
#include "paths.h"
#include "util.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: opsdeck [OPTIONS]                  the console\n"
		"       opsdeck [OPTIONS] NOUN VERB [ARGS]  a command (see below)\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE   settings file (default $XDG_CONFIG_HOME/opsdeck/config.yaml)\n"
		"  -d, --db CONNINFO   PostgreSQL connection string (libpq syntax)\n"
		"      --context NAME  kube context to use\n"
		"  -t, --theme NAME    colour theme (default, light, mono, or your own)\n"
		"  -k, --keymap NAME   key map (default, vim, emacs, or your own)\n"
		"  -r, --read-only     refuse every change\n"
		"      --mouse         enable the mouse (turns off terminal text selection)\n"
		"      --no-worker     do not run provisioning jobs in this console\n"
		"      --json          machine-readable output for listings\n"
		"  -h, --help          show this help\n"
		"  -V, --version       show the version\n"
		"\n"
		"Commands:\n");
	cli_print_commands(out);
	fprintf(out, "\nSee opsdeck(1) and doc/configuration.md.\n");
}

enum { OPT_MOUSE = 256, OPT_NO_WORKER, OPT_CONTEXT, OPT_JSON };

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "db", required_argument, NULL, 'd' },
	{ "context", required_argument, NULL, OPT_CONTEXT },
	{ "theme", required_argument, NULL, 't' },
	{ "keymap", required_argument, NULL, 'k' },
	{ "read-only", no_argument, NULL, 'r' },
	{ "mouse", no_argument, NULL, OPT_MOUSE },
	{ "no-worker", no_argument, NULL, OPT_NO_WORKER },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Flags are applied after the file, so they win over it. */
struct flag_setting {
	const char *name;
	const char *value;
};

/* "context" for OPT_CONTEXT, "db" for 'd'. */
static const char *option_name(int opt)
{
	for (const struct option *o = long_options; o->name; o++) {
		if (o->val == opt)
			return o->name;
	}
	return "?";
}

int main(int argc, char **argv)
{
	struct conf conf;
	struct err err = { { 0 } };
	struct flag_setting flags[16];
	int flag_opts[ARRAY_LEN(flags)] = { 0 };
	size_t nflags = 0;
	const char *config_path = NULL;
	bool json = false;
	int opt, rc;

	setlocale(LC_ALL, "");
	conf_init(&conf);
	/* '+': options end at the first word, so a command's own options are
	 * left for the command. */
	while ((opt = getopt_long(argc, argv, "+c:d:t:k:rhV", long_options, NULL)) != -1) {
		/* An empty value is a mistake, not "unset". */
		if (optarg && !optarg[0]) {
			fprintf(stderr, "opsdeck: --%s cannot be empty\n", option_name(opt));
			conf_free(&conf);
			return CLI_USAGE;
		}
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'd': flags[nflags++] = (struct flag_setting){ "database", optarg }; break;
		case 't': flags[nflags++] = (struct flag_setting){ "theme", optarg }; break;
		case 'k': flags[nflags++] = (struct flag_setting){ "keymap", optarg }; break;
		case 'r': flags[nflags++] = (struct flag_setting){ "read_only", "true" }; break;
		case OPT_CONTEXT:
			flags[nflags++] = (struct flag_setting){ "kube.context", optarg };
			break;
		case OPT_MOUSE: flags[nflags++] = (struct flag_setting){ "mouse", "true" }; break;
		case OPT_NO_WORKER:
			flags[nflags++] = (struct flag_setting){ "worker", "false" };
			break;
		case OPT_JSON: json = true; break;
		case 'h':
			usage(stdout);
			conf_free(&conf);
			return 0;
		case 'V':
			printf("opsdeck %s\n", PACKAGE_VERSION);
			conf_free(&conf);
			return 0;
		default:
			usage(stderr);
			conf_free(&conf);
			return CLI_USAGE;
		}
		if (nflags > 0 && !flag_opts[nflags - 1])
			flag_opts[nflags - 1] = opt; /* for messages */
		if (nflags == ARRAY_LEN(flags)) {
			fprintf(stderr, "opsdeck: too many options\n");
			conf_free(&conf);
			return CLI_USAGE;
		}
	}

	if (!conf_load(&conf, config_path, &err)) {
		fprintf(stderr, "opsdeck: %s\n", err.msg);
		conf_free(&conf);
		return CLI_USAGE;
	}
	for (size_t i = 0; i < nflags; i++) {
		if (!conf_set(&conf, flags[i].name, flags[i].value, &err)) {
			fprintf(stderr, "opsdeck: --%s: %s\n", option_name(flag_opts[i]), err.msg);
			conf_free(&conf);
			return CLI_USAGE;
		}
	}

	if (optind < argc) {
		struct cli_ctx ctx = { .conf = &conf, .json = json, .out = stdout, .err = stderr };

		rc = cli_main(&ctx, argc - optind, argv + optind);
	} else {
		struct app_options o = { .conf = &conf };

		rc = app_run(&o);
	}
	conf_free(&conf);
	return rc;
}
