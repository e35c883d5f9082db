/* Where opsdeck's files live. Shipped data (themes, keymaps, catalog) is
 * looked up in order: $OPSDECK_DATADIR (tests, the demo, running from the
 * source tree), then the installed $(pkgdatadir). User files in
 * $XDG_CONFIG_HOME/opsdeck/ (default ~/.config/opsdeck/) come first. */
#ifndef OPSDECK_SRC_PATHS_H
#define OPSDECK_SRC_PATHS_H

#include <stdbool.h>
#include <stddef.h>

/* $XDG_CONFIG_HOME/opsdeck or ~/.config/opsdeck; caller frees. */
char *paths_config_dir(void);
/* The default config file path; caller frees. */
char *paths_config_file(void);
/* $XDG_STATE_HOME/opsdeck or ~/.local/state/opsdeck; caller frees. */
char *paths_state_dir(void);
/* The shipped data directory in use; caller frees. */
char *paths_data_dir(void);
/* Finds "<kind>/<name>.yaml" (kind: "themes", "keymaps", "catalog"), user
 * directory first unless shipped_only. NULL if no file exists; caller frees. */
char *paths_find_data(const char *kind, const char *name, bool shipped_only);
/* Names (file stems) of every <kind>/NAME.yaml in the user and shipped
 * directories, sorted, without duplicates. Returns the count; *out is an
 * array of strings the caller frees with paths_free_list(). */
size_t paths_list_data(const char *kind, char ***out);
void paths_free_list(char **list, size_t n);
/* True if name is safe as a file stem: [A-Za-z0-9_-], 1..64 chars. */
bool paths_valid_name(const char *name);
/* Writes data to path atomically (temp file + rename). */
bool paths_write_atomic(const char *path, const char *data, size_t len);

#endif
