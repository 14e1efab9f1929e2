#!/usr/bin/env bash
# Installs the Debian packages iotscan's lab, tests and benchmark use: iproute2 (network
# namespaces), nmap (the benchmark's peer), and the toolchain better-sqlite3 builds with.
# Safe to run again: it installs only what is missing.
set -euo pipefail
need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v nmap >/dev/null 2>&1 || need+=(nmap)
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v make >/dev/null 2>&1 || need+=(make)
command -v g++ >/dev/null 2>&1 || need+=(g++)
# GNU time: the benchmark's peak-memory figures.
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -eq 0 ]; then
  echo "setup: iproute2, nmap and the build tools are present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing ${need[*]}; run this script as root (sudo) to install them" >&2
  exit 1
fi
echo "setup: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
