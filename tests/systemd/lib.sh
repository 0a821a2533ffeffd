# Shared by tests/systemd/run: a cached Debian 12 root image, and booting it
# under systemd-nspawn with a real systemd as PID 1 on a host whose own
# PID 1 may not be systemd (--register=no --keep-unit; the container is
# driven through nsenter, since machinectl needs a host systemd).
# shellcheck shell=bash

# The apt mirror of the host's own sources (debootstrap needs one).
host_mirror() {
  sed -n -E 's/^(URIs:|deb) +(\[[^]]*\] +)?(https?:\/\/[^ ]*debian)\/?( .*)?$/\3/p' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
    2>/dev/null | grep -v security | head -1
}

# ensure_image CACHE PACKAGE... : prints the path of a minimal bookworm root
# with systemd, the given packages and the test users, built once per set of
# inputs (the package list and this file) and reused after that.
#   carol (uid 1000, lingering: her user manager runs from boot), alice and
#   bob (put in group keywarden by the suite), eve (never in it).
ensure_image() {
  local cache=$1
  shift
  local packages key image
  packages=$(printf '%s\n' systemd systemd-sysv dbus libpam-systemd libnss-systemd \
    dbus-user-session procps "$@" | sort -u | paste -sd, -)
  key=$( (echo "$packages" && cat "${BASH_SOURCE[0]}") | sha256sum | cut -c1-16)
  image=$cache/image-$key
  if [ ! -x "$image/lib/systemd/systemd" ]; then
    rm -rf "$image.tmp"
    mkdir -p "$cache"
    echo "# building the root image (once per input set): $packages" >&2
    debootstrap --variant=minbase --include="$packages" bookworm "$image.tmp" \
      "$(host_mirror)" >"$cache/debootstrap.log" 2>&1 ||
      { tail -20 "$cache/debootstrap.log" >&2; return 1; }
    local u
    for u in carol:1000 alice:1001 bob:1002 eve:1003; do
      chroot "$image.tmp" useradd -m -u "${u#*:}" -s /bin/bash "${u%%:*}"
    done
    mkdir -p "$image.tmp/var/lib/systemd/linger"
    touch "$image.tmp/var/lib/systemd/linger/carol"
    rm -rf "$image.tmp"/var/cache/apt/archives/*.deb "$image.tmp"/var/lib/apt/lists/*
    mv "$image.tmp" "$image"
  fi
  echo "$image"
}

# boot IMAGE NAME LOG [NSPAWN_ARG...]: boots IMAGE on a throwaway overlay
# (the image stays pristine) and waits until systemd reports running. Sets
# NSPAWN (nspawn's pid), C (the container's PID 1) and BOOT_MS.
boot() {
  local image=$1 name=$2 log=$3
  shift 3
  local t0 state= i p
  t0=$(date +%s%N)
  systemd-nspawn --register=no --keep-unit --quiet -b -D "$image" -M "$name" \
    --volatile=overlay --console=read-only "$@" >"$log" 2>&1 </dev/null &
  NSPAWN=$!
  C=
  for i in $(seq 1 600); do
    for p in $(pgrep -P "$NSPAWN"); do
      [ "$(cat "/proc/$p/comm" 2>/dev/null)" = systemd ] && C=$p
    done
    [ -n "$C" ] && break
    kill -0 "$NSPAWN" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$C" ] || { cat "$log" >&2; return 1; }
  for i in $(seq 1 600); do
    state=$(nsenter -t "$C" -a systemctl is-system-running 2>/dev/null)
    case $state in running | degraded) break ;; esac
    sleep 0.1
  done
  BOOT_MS=$((($(date +%s%N) - t0) / 1000000))
  [ "$state" = running ] || { nsenter -t "$C" -a systemctl --failed --no-pager >&2; return 1; }
}

# poweroff NAME: stops the container booted last (SIGKILL to its PID 1
# after 30 s) and removes what nspawn leaves on a host without systemd.
poweroff() {
  local name=$1 i
  nsenter -t "$C" -a systemctl poweroff >/dev/null 2>&1
  for i in $(seq 1 300); do
    kill -0 "$NSPAWN" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$NSPAWN" 2>/dev/null && kill -KILL "$C"
  wait "$NSPAWN" 2>/dev/null
  rm -rf "/run/systemd/nspawn/propagate/$name"
}

# own_cgroup NAME / drop_cgroup NAME: nspawn --keep-unit puts its payload
# and supervisor cgroups under the caller's; give it one of its own, so that
# they neither land in the root cgroup nor collide with a parallel run.
own_cgroup() {
  local d
  if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
    CGDIRS=/sys/fs/cgroup
  else
    CGDIRS="/sys/fs/cgroup/systemd /sys/fs/cgroup/unified"
  fi
  for d in $CGDIRS; do
    [ -d "$d" ] && mkdir -p "$d/$1" && echo "$BASHPID" >"$d/$1/cgroup.procs"
  done
}
drop_cgroup() {
  local d
  for d in $CGDIRS; do
    [ -d "$d/$1" ] || continue
    echo "$BASHPID" >"$d/cgroup.procs"
    find "$d/$1" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
}
