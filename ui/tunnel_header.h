/* The console's tunnels: one tunnel set on the console's loop, the
 * process's route (src/route.h) backed by it, the database riding the
 * `database_tunnel` profile and the kube contexts their `kube.tunnels`
 * profiles (a broker's `tunnel` is its own setting), each opened tunnel's
 * state in the header, and
 * the passphrase of an encrypted key asked without echo (on the terminal
 * before the screen is taken, after that on the prompt line while the
 * loop goes on, one question after another). */
#ifndef OPSDECK_UI_TUNNEL_HEADER_H
#define OPSDECK_UI_TUNNEL_HEADER_H

#include <stdbool.h>

struct app;
struct tunnel_header;

/* Before any client connects. NULL when the settings have no tunnels (the
 * route is then left uninstalled: a profile is refused in words). */
struct tunnel_header *tunnel_header_new(struct app *app);
void tunnel_header_free(struct tunnel_header *h);
/* The screen is the console's (curses started) or not: where passphrases
 * are asked. */
void tunnel_header_screen(struct tunnel_header *h, bool on);

#endif
