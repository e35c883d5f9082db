# UI tests: opsdeck in tmux at a fixed size, keys in, screen text out.
UI_TESTS = \
	tests/ui/panes.sh \
	tests/ui/help.sh \
	tests/ui/keys.sh \
	tests/ui/resize.sh \
	tests/ui/looks.sh \
	tests/ui/lifetime.sh \
	tests/ui/startup.sh \
	tests/ui/settings_load.sh \
	tests/ui/migrate.sh
TESTS += $(UI_TESTS)
EXTRA_DIST += $(UI_TESTS) tests/ui/lib.sh
