#!/usr/bin/env bash
# Installs what the test suite starts for real: Debian's PostgreSQL server binaries (the suite
# runs its own throwaway cluster on loopback), Debian's Chromium (driven by Playwright) and
# Debian's NATS server (the suite starts its own, with JetStream, for the broker's tests) and
# Debian's Dovecot IMAP server (the suite starts its own, unprivileged, for `hustings connect imap`).
set -euo pipefail

need=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v nats-server > /dev/null || [ -x /usr/sbin/nats-server ] || need+=(nats-server)
[ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
command -v runuser > /dev/null || need+=(util-linux)

if [ ${#need[@]} -eq 0 ]; then
    echo "system dependencies present: postgresql, chromium, nats-server, dovecot-imapd"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo > /dev/null; then sudo=(sudo); else
    echo "error: need ${need[*]} from Debian's packages, and cannot install them without root or sudo" >&2
    exit 1
fi
echo "installing ${need[*]} from Debian's packages"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${need[@]}"
