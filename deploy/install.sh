#!/bin/bash
# Installs (or upgrades) lastmile from a release made with `npm pack` (compiled dist/, no sources) on
# Raspberry Pi OS or Debian: a dedicated user, /opt/lastmile (the app; `npm ci --omit=dev` runs here, on
# the box, so native modules (onoff's epoll, serialport, better-sqlite3) are built for its CPU),
# /etc/lastmile (config, root-owned, group-readable), /var/lib/lastmile (spool), the systemd units,
# journald limits, log rotation and the hardware watchdog. Build prerequisites: docs/install.md.
#
#   sudo ./deploy/install.sh [--no-start] [--township]          from an unpacked release (package/)
#   sudo ./install.sh --release lastmile-0.1.0.tgz [...]        from the tarball
#   ./deploy/install.sh --root /tmp/x --release lastmile-0.1.0.tgz   into a staging root (DESTDIR-style):
#        everything lands under /tmp/x; no users, no chown, no systemctl (tests, image builders)
#
# --township installs the township service (cloud-ingest, unit lastmile-ingest.service, user
# lastmile-ingest, /etc/lastmile-ingest, /var/lib/lastmile-ingest) instead of the gateway.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=/opt/lastmile
ROOT=""
RELEASE=""
START=1
ROLE=gateway
usage() { echo "usage: sudo $0 [--no-start] [--township] [--release lastmile-X.tgz] [--root DIR]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --no-start) START=0 ;;
    --township) ROLE=township ;;
    --release) [ $# -ge 2 ] || usage; RELEASE=$2; shift ;;
    --root) [ $# -ge 2 ] || usage; ROOT=$(mkdir -p "$2" && cd "$2" && pwd); shift ;;
    *) usage ;;
  esac
  shift
done
# Only a real install (no --root) touches users, ownership and systemd.
SYSTEM=1
[ -z "$ROOT" ] || SYSTEM=0

say() { printf '\n== %s\n' "$*"; }
[ "$SYSTEM" -eq 0 ] || [ "$(id -u)" -eq 0 ] || { echo "run as root: sudo $0 / 请用 sudo 运行" >&2; exit 1; }
command -v node > /dev/null || { echo "Node.js 20.19 or newer is needed: sudo apt install nodejs npm / 需要 Node.js 20.19+" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "Node.js $(node -v) is too old; 20.19 or newer is needed / Node.js 版本过旧" >&2; exit 1; }
command -v npm > /dev/null || { echo "npm is missing: sudo apt install npm / 缺少 npm" >&2; exit 1; }
if [ "$SYSTEM" -eq 1 ]; then command -v systemd-notify > /dev/null || { echo "systemd-notify is missing (package systemd)" >&2; exit 1; }; fi

if [ -n "$RELEASE" ]; then
  unpacked=$(mktemp -d)
  trap 'rm -rf "$unpacked"' EXIT
  tar -xzf "$RELEASE" -C "$unpacked"
  SRC="$unpacked/package"
fi
[ -f "$SRC/dist/gateway/cli.js" ] || { echo "$SRC is not a release (no dist/): make one with npm pack, which builds dist/ / 不是发布包: 请用 npm pack 生成" >&2; exit 1; }

if [ "$ROLE" = gateway ]; then
  USER_NAME=lastmile ETC=/etc/lastmile STATE=/var/lib/lastmile UNIT=lastmile.service
else
  USER_NAME=lastmile-ingest ETC=/etc/lastmile-ingest STATE=/var/lib/lastmile-ingest UNIT=lastmile-ingest.service
fi
APP="$ROOT$PREFIX"

if [ "$SYSTEM" -eq 1 ]; then
  say "user and groups / 用户和组"
  if [ "$ROLE" = gateway ]; then
    getent group gpio > /dev/null || groupadd --system gpio   # Raspberry Pi OS has it; other boards may not
    getent group dialout > /dev/null || groupadd --system dialout
  fi
  if ! id "$USER_NAME" > /dev/null 2>&1; then
    useradd --system --user-group --home-dir "$STATE" --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
  fi
  if [ "$ROLE" = gateway ]; then usermod -a -G dialout,gpio lastmile; fi
fi
# install -o/-g only on a real install; a staging root keeps the caller's ownership.
owner() { if [ "$SYSTEM" -eq 1 ]; then echo "-o $1 -g $2"; fi; }

say "directories / 目录"
# shellcheck disable=SC2046
install -d $(owner root "$USER_NAME") -m 0750 "$ROOT$ETC"
# shellcheck disable=SC2046
install -d $(owner "$USER_NAME" "$USER_NAME") -m 0750 "$ROOT$STATE"
if [ "$ROLE" = gateway ]; then
  # shellcheck disable=SC2046
  install -d $(owner "$USER_NAME" "$USER_NAME") -m 0750 "$ROOT$STATE/spool"
fi
install -d -m 0755 "$ROOT/var/log/lastmile"

say "app to $APP / 安装程序"
install -d -m 0755 "$APP"
# npm-shrinkwrap.json in a packed release (npm pack leaves package-lock.json out), package-lock.json in a built checkout.
for item in bin dist deploy docs config package.json npm-shrinkwrap.json package-lock.json README.md; do
  rm -rf "${APP:?}/$item"
  [ -e "$SRC/$item" ] || continue
  cp -a "$SRC/$item" "$APP/$item"
done
# One role's code only (issue 12): a gateway has no township code and a township no gateway code. Each
# side is one bundle with its chunks (dist/gateway/, dist/cloud-ingest/; scripts/build.mjs), each with its
# own copy of contract/, and lint keeps the two from importing each other.
if [ "$ROLE" = gateway ]; then
  rm -rf "$APP/dist/cloud-ingest" "$APP/bin/lastmile-ingest.js"
else
  rm -rf "$APP/dist/gateway" "$APP/dist/devices" "$APP/dist/config" "$APP/bin/lastmile.js"
fi
# On the box, from the release's lockfile (npm-shrinkwrap.json): native modules build for this CPU.
# npm 11 runs only the install scripts package.json's allowScripts approves (docs/install.md).
rm -rf "$APP/node_modules"
(cd "$APP" && npm ci --omit=dev --no-audit --no-fund)
if [ "$SYSTEM" -eq 1 ]; then chown -R root:root "$APP"; fi
chmod 0755 "$APP"/bin/*.js "$APP/deploy/firstboot.sh"
install -d "$ROOT/usr/local/bin"
if [ "$ROLE" = gateway ]; then ln -sf "$APP/bin/lastmile.js" "$ROOT/usr/local/bin/lastmile"; else ln -sf "$APP/bin/lastmile-ingest.js" "$ROOT/usr/local/bin/lastmile-ingest"; fi

say "systemd units, journald, logrotate, watchdog / 系统服务"
install -d "$ROOT/etc/systemd/system" "$ROOT/etc/systemd/journald.conf.d" "$ROOT/etc/systemd/system.conf.d" "$ROOT/etc/logrotate.d"
install -m 0644 "$SRC/deploy/$UNIT" "$ROOT/etc/systemd/system/$UNIT"
install -m 0644 "$SRC/deploy/journald.conf.d/lastmile.conf" "$ROOT/etc/systemd/journald.conf.d/lastmile.conf"
install -m 0644 "$SRC/deploy/logrotate.d/lastmile" "$ROOT/etc/logrotate.d/lastmile"
if [ "$ROLE" = gateway ]; then
  install -m 0644 "$SRC/deploy/lastmile-firstboot.service" "$ROOT/etc/systemd/system/lastmile-firstboot.service"
  install -m 0644 "$SRC/deploy/system.conf.d/lastmile-watchdog.conf" "$ROOT/etc/systemd/system.conf.d/lastmile-watchdog.conf"
fi
if [ "$SYSTEM" -eq 1 ]; then
  systemctl restart systemd-journald
  systemctl daemon-reload
  if [ "$ROLE" = gateway ]; then systemctl enable lastmile-firstboot.service lastmile.service; else systemctl enable lastmile-ingest.service; fi
fi

if [ "$ROLE" = township ]; then
  [ -f "$ROOT$ETC/cloud-ingest.yaml" ] || install -m 0640 "$APP/config/cloud-ingest.example.yaml" "$ROOT$ETC/cloud-ingest.yaml.example"
  echo "config: $ETC/cloud-ingest.yaml (example next to it), then: sudo systemctl start lastmile-ingest"
  if [ "$SYSTEM" -eq 1 ] && [ "$START" -eq 1 ] && [ -f "$ETC/cloud-ingest.yaml" ]; then systemctl restart lastmile-ingest.service; fi
elif [ -f "$ROOT$ETC/site.yaml" ]; then
  say "config check / 配置检查"
  node "$APP/bin/lastmile.js" validate "$ROOT$ETC/site.yaml"
  if [ "$SYSTEM" -eq 1 ] && [ "$START" -eq 1 ]; then systemctl restart lastmile.service; fi
  echo "running: journalctl -u lastmile -f   /   体检: sudo -u lastmile lastmile doctor /etc/lastmile/site.yaml"
else
  cat << 'NEXT'

No /etc/lastmile/site.yaml yet / 还没有配置文件:
  - copy one:        sudo install -m 0640 -g lastmile site.yaml /etc/lastmile/site.yaml
  - or drop it on the boot partition as lastmile.yaml and reboot (see docs/install.md)
  - console password: lastmile passwd --out /etc/lastmile/console.hash  (then console.passwordFile)
  - then:            sudo systemctl start lastmile
NEXT
fi
if [ "$ROLE" = gateway ] && [ "$SYSTEM" -eq 1 ]; then echo "hardware watchdog takes effect after the next reboot / 硬件看门狗在重启后生效"; fi
