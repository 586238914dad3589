#!/bin/sh
# Runs inside the new Debian system (chroot) after its packages are in: what the published guest adds on top.
# Keep it reproducible: no downloads without a pinned version and checksum, no random names, no times.
set -eu
# Jobs see CI=true, as on GitHub's runners.
echo 'export CI=true' >/etc/profile.d/vmplan-ci.sh
