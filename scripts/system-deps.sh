#!/usr/bin/env bash
# Install Debian's chromium + chromium-driver for the browser test, when they are missing and we can.
set -u
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "system-deps: chromium missing and not root; the browser test will be skipped" >&2; exit 0; fi
fi
if command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1 \
    || echo "system-deps: could not install chromium; the browser test will be skipped" >&2
else
  echo "system-deps: no apt-get; install chromium + chromedriver yourself for the browser test" >&2
fi
exit 0
