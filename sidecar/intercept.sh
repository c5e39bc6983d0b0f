#!/bin/sh
# Transparent interception for the Weft sidecar (optional): iptables nat rules that send the
# app's outbound TCP to the sidecar's outbound listener (15001) and TCP arriving for the app to
# its inbound listener (15006), so the app needs no HTTP_PROXY setting. Like Istio's
# istio-iptables, it runs once per network namespace (a pod's init container with NET_ADMIN, or
# as root on a VM) before the app starts. Tests never run it.
#
#   sidecar/intercept.sh apply     add the rules (idempotent: removes Weft's chains first)
#   sidecar/intercept.sh remove    remove them
#   sidecar/intercept.sh show      list them
#
# Settings (environment):
#   WEFT_SIDECAR_UID              UID the sidecar runs as; its own connections are never
#                                 redirected (default 1337, the image's `weft` user)
#   WEFT_SIDECAR_INBOUND_PORT     default 15006
#   WEFT_SIDECAR_OUTBOUND_PORT    default 15001
#   WEFT_SIDECAR_ADMIN_PORT       default 15000 (never redirected: probes reach it directly)
#   WEFT_INTERCEPT_INBOUND_PORTS  destination ports to redirect inbound, comma-separated, or
#                                 `*` for all (default `*`)
#   WEFT_INTERCEPT_OUTBOUND_PORTS destination ports to redirect outbound, or `*` (default `*`)
#   WEFT_INTERCEPT_EXCLUDE_OUTBOUND_CIDRS  destinations never redirected, comma-separated
#                                 (e.g. the control plane's address, a database subnet)
#   WEFT_INTERCEPT_EXCLUDE_PORTS  ports never redirected in either direction (e.g. 22)
#
# What is never redirected: traffic of the sidecar's UID, loopback destinations (the app
# talking to its own sidecar or to itself), the sidecar's own ports, and the admin port.
#
# The sidecar proxies HTTP/1.1 only, and outbound it forwards only to services the snapshot
# declares, found by the Host header. Redirected non-HTTP traffic (TLS to the internet, a
# database protocol) fails: limit WEFT_INTERCEPT_OUTBOUND_PORTS to your mesh services' ports
# (for example `80,9080`) or exclude those destinations.
set -eu

SIDECAR_UID="${WEFT_SIDECAR_UID:-1337}"
INBOUND="${WEFT_SIDECAR_INBOUND_PORT:-15006}"
OUTBOUND="${WEFT_SIDECAR_OUTBOUND_PORT:-15001}"
ADMIN="${WEFT_SIDECAR_ADMIN_PORT:-15000}"
IN_PORTS="${WEFT_INTERCEPT_INBOUND_PORTS:-*}"
OUT_PORTS="${WEFT_INTERCEPT_OUTBOUND_PORTS:-*}"
EXCLUDE_CIDRS="${WEFT_INTERCEPT_EXCLUDE_OUTBOUND_CIDRS:-}"
EXCLUDE_PORTS="${WEFT_INTERCEPT_EXCLUDE_PORTS:-}"

IPT="${IPTABLES:-iptables}"

split() { echo "$1" | tr ',' ' '; }

remove() {
  $IPT -t nat -D PREROUTING -p tcp -j WEFT_INBOUND 2>/dev/null || true
  $IPT -t nat -D OUTPUT -p tcp -j WEFT_OUTPUT 2>/dev/null || true
  for chain in WEFT_INBOUND WEFT_INBOUND_REDIRECT WEFT_OUTPUT WEFT_REDIRECT; do
    $IPT -t nat -F "$chain" 2>/dev/null || true
    $IPT -t nat -X "$chain" 2>/dev/null || true
  done
}

apply() {
  remove
  $IPT -t nat -N WEFT_INBOUND_REDIRECT
  $IPT -t nat -A WEFT_INBOUND_REDIRECT -p tcp -j REDIRECT --to-ports "$INBOUND"
  $IPT -t nat -N WEFT_REDIRECT
  $IPT -t nat -A WEFT_REDIRECT -p tcp -j REDIRECT --to-ports "$OUTBOUND"

  # Inbound: TCP arriving for the app goes to the inbound listener; the sidecar's own ports
  # (admin for probes and scrapes, inbound and outbound themselves) are left alone.
  $IPT -t nat -N WEFT_INBOUND
  for p in "$ADMIN" "$INBOUND" "$OUTBOUND" $(split "$EXCLUDE_PORTS"); do
    $IPT -t nat -A WEFT_INBOUND -p tcp --dport "$p" -j RETURN
  done
  if [ "$IN_PORTS" = "*" ]; then
    $IPT -t nat -A WEFT_INBOUND -p tcp -j WEFT_INBOUND_REDIRECT
  else
    for p in $(split "$IN_PORTS"); do $IPT -t nat -A WEFT_INBOUND -p tcp --dport "$p" -j WEFT_INBOUND_REDIRECT; done
  fi
  $IPT -t nat -A PREROUTING -p tcp -j WEFT_INBOUND

  # Outbound: the app's TCP goes to the outbound listener, except the sidecar's own
  # connections (its UID: upstream calls, control plane), loopback and excluded destinations.
  $IPT -t nat -N WEFT_OUTPUT
  $IPT -t nat -A WEFT_OUTPUT -m owner --uid-owner "$SIDECAR_UID" -j RETURN
  $IPT -t nat -A WEFT_OUTPUT -d 127.0.0.1/32 -j RETURN
  $IPT -t nat -A WEFT_OUTPUT -o lo -j RETURN
  for c in $(split "$EXCLUDE_CIDRS"); do $IPT -t nat -A WEFT_OUTPUT -d "$c" -j RETURN; done
  for p in "$ADMIN" $(split "$EXCLUDE_PORTS"); do $IPT -t nat -A WEFT_OUTPUT -p tcp --dport "$p" -j RETURN; done
  if [ "$OUT_PORTS" = "*" ]; then
    $IPT -t nat -A WEFT_OUTPUT -p tcp -j WEFT_REDIRECT
  else
    for p in $(split "$OUT_PORTS"); do $IPT -t nat -A WEFT_OUTPUT -p tcp --dport "$p" -j WEFT_REDIRECT; done
  fi
  $IPT -t nat -A OUTPUT -p tcp -j WEFT_OUTPUT
  echo "weft intercept: inbound -> :$INBOUND, outbound -> :$OUTBOUND (sidecar uid $SIDECAR_UID exempt, admin :$ADMIN untouched)"
}

case "${1:-}" in
  apply) apply ;;
  remove) remove; echo "weft intercept: rules removed" ;;
  show) $IPT -t nat -S | grep -E 'WEFT_' || echo "weft intercept: no rules" ;;
  *) echo "usage: $0 apply|remove|show   (see the comments at the top for settings)" >&2; exit 2 ;;
esac
