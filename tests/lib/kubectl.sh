# kubectl in shell tests, whichever one is on the PATH: Debian's own
# (kubernetes-client, 1.20) or a current one.
#
#   kubectl_compat ARGS...   runs ${KUBECTL:-kubectl} ARGS; an apply (or a
#                            create or replace of a file) gets
#                            --validate=false from a kubectl before 1.25,
#                            which checks manifests against /openapi/v2
#                            (kubesim does not serve it; newer ones leave
#                            the check to the server)

kubectl_compat() {
	if [ -z "${kubectl__minor_known:-}" ]; then
		kubectl__minor=$("${KUBECTL:-kubectl}" version --client -o json 2>/dev/null |
			sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -n 1)
		kubectl__minor_known=1
	fi
	case " $* " in
	*" apply "* | *" create "*"-f "* | *" replace "*"-f "*)
		if [ -n "$kubectl__minor" ] && [ "$kubectl__minor" -lt 25 ]; then
			set -- --validate=false "$@"
		fi
		;;
	esac
	"${KUBECTL:-kubectl}" "$@"
}
