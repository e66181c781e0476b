#!/bin/bash
# Installs (or upgrades) lastmile on Raspberry Pi OS: a dedicated `lastmile` user, /opt/lastmile (the
# app), /etc/lastmile (config, root-owned, group-readable), /var/lib/lastmile (spool), the systemd
# units, journald limits, log rotation and the hardware watchdog. Run from an unpacked release or a
# checkout that has node_modules (or network access for `npm ci`):  sudo ./deploy/install.sh [--no-start]
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=/opt/lastmile
START=1
for arg in "$@"; do
  case $arg in
    --no-start) START=0 ;;
    *) echo "usage: sudo $0 [--no-start]" >&2; exit 2 ;;
  esac
done

say() { printf '\n== %s\n' "$*"; }
[ "$(id -u)" -eq 0 ] || { echo "run as root: sudo $0 / 请用 sudo 运行" >&2; exit 1; }
command -v node > /dev/null || { echo "Node.js 20 or newer is needed: sudo apt install nodejs / 需要 Node.js 20+" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "Node.js $(node -v) is too old; 20 or newer is needed / Node.js 版本过旧" >&2; exit 1; }
command -v systemd-notify > /dev/null || { echo "systemd-notify is missing (package systemd)" >&2; exit 1; }

say "user and groups / 用户和组"
getent group gpio > /dev/null || groupadd --system gpio   # Raspberry Pi OS has it; other boards may not
getent group dialout > /dev/null || groupadd --system dialout
if ! id lastmile > /dev/null 2>&1; then
  useradd --system --user-group --home-dir /var/lib/lastmile --no-create-home --shell /usr/sbin/nologin lastmile
fi
usermod -a -G dialout,gpio lastmile

say "directories / 目录"
install -d -o root -g lastmile -m 0750 /etc/lastmile
install -d -o lastmile -g lastmile -m 0750 /var/lib/lastmile /var/lib/lastmile/spool
install -d -o root -g root -m 0755 /var/log/lastmile

say "app to $PREFIX / 安装程序"
install -d -m 0755 "$PREFIX"
for item in bin gateway config devices deploy docs package.json package-lock.json tsconfig.json README.md; do
  [ -e "$SRC/$item" ] || continue
  rm -rf "${PREFIX:?}/$item"
  cp -a "$SRC/$item" "$PREFIX/$item"
done
if [ -d "$SRC/node_modules" ]; then
  rm -rf "$PREFIX/node_modules"
  cp -a "$SRC/node_modules" "$PREFIX/node_modules"
else
  (cd "$PREFIX" && npm ci --omit=dev --no-audit --no-fund)
fi
chown -R root:root "$PREFIX"
chmod 0755 "$PREFIX/bin/lastmile.js" "$PREFIX/deploy/firstboot.sh"
ln -sf "$PREFIX/bin/lastmile.js" /usr/local/bin/lastmile

say "systemd units, journald, logrotate, watchdog / 系统服务"
install -m 0644 "$SRC/deploy/lastmile.service" /etc/systemd/system/lastmile.service
install -m 0644 "$SRC/deploy/lastmile-firstboot.service" /etc/systemd/system/lastmile-firstboot.service
install -d /etc/systemd/journald.conf.d /etc/systemd/system.conf.d
install -m 0644 "$SRC/deploy/journald.conf.d/lastmile.conf" /etc/systemd/journald.conf.d/lastmile.conf
install -m 0644 "$SRC/deploy/system.conf.d/lastmile-watchdog.conf" /etc/systemd/system.conf.d/lastmile-watchdog.conf
install -m 0644 "$SRC/deploy/logrotate.d/lastmile" /etc/logrotate.d/lastmile
systemctl restart systemd-journald
systemctl daemon-reload
systemctl enable lastmile-firstboot.service lastmile.service

if [ -f /etc/lastmile/site.yaml ]; then
  say "config check / 配置检查"
  lastmile validate /etc/lastmile/site.yaml
  if [ "$START" -eq 1 ]; then systemctl restart lastmile.service; fi
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
echo "hardware watchdog takes effect after the next reboot / 硬件看门狗在重启后生效"
