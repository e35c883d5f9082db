# Shell completion for bash and zsh, made at build time from the command
# table of the opsdeck just built (`opsdeck complete --commands`), so that
# it never drifts from the commands.
bashcompletion_DATA = completion/opsdeck
zshcompletion_DATA = completion/_opsdeck
COMPLETION_GEN = $(top_srcdir)/completion/gen-completion.sh

completion/opsdeck: $(top_srcdir)/completion/opsdeck.bash.in $(COMPLETION_GEN) opsdeck$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) completion && \
	$(SHELL) $(COMPLETION_GEN) $(top_srcdir)/completion/opsdeck.bash.in ./opsdeck$(EXEEXT) \
		>$@.tmp && mv $@.tmp $@
completion/_opsdeck: $(top_srcdir)/completion/opsdeck.zsh.in $(COMPLETION_GEN) opsdeck$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) completion && \
	$(SHELL) $(COMPLETION_GEN) $(top_srcdir)/completion/opsdeck.zsh.in ./opsdeck$(EXEEXT) \
		>$@.tmp && mv $@.tmp $@

CLEANFILES += completion/opsdeck completion/_opsdeck
EXTRA_DIST += completion/gen-completion.sh completion/opsdeck.bash.in completion/opsdeck.zsh.in
