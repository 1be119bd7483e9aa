#!/bin/sh
# Report a deployment's status to releasebot, signed (Standard Webhooks), from
# a CI job. Needs curl, openssl and od.
#
#   DEPLOY_SECRET=whsec_… ./callback.sh CALLBACK_URL STATUS [MESSAGE] [LINK]
#
# CALLBACK_URL is the delivery's callback_url; STATUS is in_progress,
# succeeded or failed. Exit status 0 when releasebot took it (204).
set -eu
url=$1 status=$2 message=${3:-} link=${4:-}

# The HMAC key: the base64-decoded part of a whsec_ secret, else the secret's bytes.
case $DEPLOY_SECRET in
whsec_*) key=$(printf '%s' "${DEPLOY_SECRET#whsec_}" | openssl base64 -d -A | od -An -v -tx1 | tr -d ' \n') ;;
*) key=$(printf '%s' "$DEPLOY_SECRET" | od -An -v -tx1 | tr -d ' \n') ;;
esac

json() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr '\n\t' '  '; }
body=$(printf '{"status":"%s","message":"%s","url":"%s"}' "$status" "$(json "$message")" "$(json "$link")")
id="msg_$(openssl rand -hex 12)"
ts=$(date +%s)
sig=$(printf '%s.%s.%s' "$id" "$ts" "$body" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | openssl base64 -A)

code=$(curl -sS -o /dev/stderr -w '%{http_code}' -X POST "$url" \
	-H 'Content-Type: application/json' \
	-H "webhook-id: $id" -H "webhook-timestamp: $ts" -H "webhook-signature: v1,$sig" \
	--data-binary "$body")
[ "$code" = 204 ]
