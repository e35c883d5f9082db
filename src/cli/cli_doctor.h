/* `opsdeck doctor`: checks the settings, the database and every cluster
 * opsdeck places stores on, and says in words what is wrong. */
#ifndef OPSDECK_CLI_CLI_DOCTOR_H
#define OPSDECK_CLI_CLI_DOCTOR_H

#include "cli/cli.h"
#include "conf.h"
#include "kube/probe.h"
#include "loop.h"

extern const struct cli_command *const cli_doctor_commands[];

/* Probes one kube context as doctor does (reach, credentials, resources and
 * what provisioning needs to do there), running loop until it is done.
 * The caller frees the probe, then the loop. */
struct kube_probe *cli_probe_context(struct loop *loop, const struct conf *conf,
				     const char *context, long timeout_ms);

#endif
