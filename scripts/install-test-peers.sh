#!/usr/bin/env bash
# Installs the real peers the tests start on 127.0.0.1 (see ../shared/DESIGN.md "Real peers for tests"):
# mosquitto (MQTT), victoria-metrics (InfluxDB write endpoint), pymodbus (independent Modbus slave),
# socat (pty pairs for serial), chromium (console tests), postgresql (the workflow store's shared database). Skips what is already there.
set -euo pipefail
need=()
command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v socat >/dev/null || need+=(socat)
command -v victoria-metrics >/dev/null || [ -x /usr/bin/victoria-metrics ] || need+=(victoria-metrics)
command -v chromium >/dev/null || need+=(chromium)
/usr/bin/python3 -c 'import pymodbus' 2>/dev/null || need+=(python3-pymodbus)
/usr/bin/python3 -c 'import serial_asyncio' 2>/dev/null || need+=(python3-serial-asyncio)
command -v unshare >/dev/null || need+=(util-linux)
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql)
# better-sqlite3 (the embedded workflow store) compiles on npm ci: its prebuilt binaries are not reachable here.
{ command -v g++ && command -v make; } >/dev/null || need+=(g++ make)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# The Debian mosquitto package starts a system broker on :1883; the tests start their own on free ports.
if command -v systemctl >/dev/null && systemctl is-active --quiet mosquitto 2>/dev/null; then
  systemctl stop mosquitto || true
fi
