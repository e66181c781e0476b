#!/bin/bash
# First boot / re-provisioning: takes lastmile.yaml from the boot partition (the FAT partition any PC
# can write), validates it with `lastmile validate`, and only then moves it to /etc/lastmile/site.yaml.
# Files in a `lastmile/` folder next to it (password hashes, the uplink secret, CA) go to /etc/lastmile/
# too, and are removed from the boot partition, which anyone holding the SD card can read.
# On failure the config stays where it is and lastmile-error.txt explains why, in zh-CN and en.
# Run by lastmile-firstboot.service as root. Overridable for tests: LASTMILE_BOOT_DIRS, LASTMILE_ETC,
# LASTMILE_CLI, LASTMILE_GROUP.
set -euo pipefail

BOOT_DIRS=${LASTMILE_BOOT_DIRS:-"/boot/firmware /boot"}
ETC=${LASTMILE_ETC:-/etc/lastmile}
CLI=${LASTMILE_CLI:-"/usr/bin/node /opt/lastmile/bin/lastmile.js"}
GROUP=${LASTMILE_GROUP:-lastmile}

boot=""
for dir in $BOOT_DIRS; do
  if [ -f "$dir/lastmile.yaml" ]; then boot=$dir; break; fi
done
if [ -z "$boot" ]; then
  echo "no lastmile.yaml on the boot partition ($BOOT_DIRS); nothing to do"
  exit 0
fi

incoming="$boot/lastmile.yaml"
error_file="$boot/lastmile-error.txt"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
echo "$stamp: found $incoming"

install -d -m 0750 "$ETC"
staged="$ETC/site.yaml.incoming"
# The boot partition is FAT: strip DOS line endings a Windows editor may have added.
tr -d '\r' < "$incoming" > "$staged"

set +e
# --config-only: the files it names (password hashes under $boot/lastmile/) are copied only after it is accepted.
report=$($CLI validate --config-only "$staged" 2>&1)
status=$?
set -e

if [ $status -ne 0 ]; then
  rm -f "$staged"
  {
    echo "lastmile 配置未导入 / config NOT applied ($stamp)"
    echo "请修改 lastmile.yaml 后重新上电 / fix lastmile.yaml and power-cycle the gateway"
    echo
    echo "${report//$staged/lastmile.yaml}"
  } > "$error_file"
  sync
  echo "validation failed; wrote $error_file"
  echo "$report"
  exit 1
fi

if [ -f "$ETC/site.yaml" ]; then cp -p "$ETC/site.yaml" "$ETC/site.yaml.$stamp.bak"; fi
mv "$staged" "$ETC/site.yaml"
chmod 0640 "$ETC/site.yaml"
if getent group "$GROUP" > /dev/null; then chgrp "$GROUP" "$ETC/site.yaml"; fi

if [ -d "$boot/lastmile" ]; then
  for file in "$boot"/lastmile/*; do
    [ -f "$file" ] || continue
    install -m 0640 "$file" "$ETC/$(basename "$file")"
    if getent group "$GROUP" > /dev/null; then chgrp "$GROUP" "$ETC/$(basename "$file")"; fi
    rm -f "$file"
  done
  rmdir "$boot/lastmile" 2> /dev/null || true
fi

rm -f "$incoming" "$error_file"
echo "lastmile 配置已导入 / config applied ($stamp): $report" > "$boot/lastmile-applied.txt"
sync
echo "applied: $report"
