#!/bin/sh
# The one entry point of the sessionpix image (installed as /usr/local/bin/sessionpix).
# Every command ends in `exec node …`, so the process that receives SIGTERM is Node itself and
# Nest's shutdown hooks drain the workers; tini (PID 1) only forwards signals and reaps.
set -eu

app_dir=$(CDPATH='' cd -- "$(dirname -- "$(readlink -f -- "$0")")/.." && pwd)
cd "$app_dir"

SERVICES='gateway ingest vision-pass-1 vision-pass-2 billing notifications'

usage() {
  cat <<'EOF'
usage: sessionpix <command> [arguments]

  serve [services]     run the services named by SESSIONPIX_SERVICES, or by the argument
                       (comma-separated); the default command
  gateway | ingest | vision-pass-1 | vision-pass-2 | billing | notifications
                       run that one service (the same as `serve <name>`)
  migrate              apply pending database migrations, then exit
  admin <command>      the admin CLI (`sessionpix admin help` lists its commands)
  billing-cli <command>
                       the billing team's CLI: report, replay, resync (`sessionpix billing-cli help`)
  probe [path]         GET http://127.0.0.1:$OPS_PORT<path> (default /readyz); exit 0 on 2xx
  help                 this text
EOF
}

fail() {
  printf 'sessionpix: %s\n' "$1" >&2
  exit 64
}

# SESSIONPIX_SERVICES from the argument; an environment that says otherwise is a mistake.
choose_services() {
  if [ -n "${SESSIONPIX_SERVICES:-}" ] && [ "$SESSIONPIX_SERVICES" != "$1" ]; then
    fail "the argument names \"$1\" but SESSIONPIX_SERVICES is \"$SESSIONPIX_SERVICES\"; set one of them"
  fi
  SESSIONPIX_SERVICES=$1
  export SESSIONPIX_SERVICES
}

command=${1:-serve}
if [ $# -gt 0 ]; then shift; fi

case " $SERVICES " in
  *" $command "*)
    [ $# -eq 0 ] || fail "$command takes no arguments"
    choose_services "$command"
    exec node apps/sessionpix/dist/main.js
    ;;
esac

case "$command" in
  serve)
    [ $# -le 1 ] || fail 'serve takes at most one argument: a comma-separated list of services'
    if [ $# -eq 1 ]; then choose_services "$1"; fi
    exec node apps/sessionpix/dist/main.js
    ;;
  migrate)
    exec node apps/sessionpix/dist/migrate.js "$@"
    ;;
  admin)
    exec node apps/sessionpix/dist/admin.js "$@"
    ;;
  billing-cli)
    exec node apps/sessionpix/dist/billing-cli.js "$@"
    ;;
  probe)
    exec node -e '
      const path = process.argv[1] || "/readyz";
      const port = process.env.OPS_PORT || "9464";
      fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(3000) }).then(
        (res) => process.exit(res.ok ? 0 : 1),
        () => process.exit(1),
      );
    ' "${1:-/readyz}"
    ;;
  help | -h | --help)
    usage
    ;;
  *)
    usage >&2
    fail "unknown command \"$command\""
    ;;
esac
