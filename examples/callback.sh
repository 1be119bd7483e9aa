#!/bin/sh
# Report a deployment's status to releasebot, signed (Standard Webhooks), from
# a CI job. Needs curl, openssl and od.
#
#   DEPLOY_SECRET=whsec_… ./callback.sh CALLBACK_URL STATUS [MESSAGE] [LINK]
#
# CALLBACK_URL is the delivery's callback_url; STATUS is in_progress,
# succeeded or failed. The body names the deployment of CALLBACK_URL
# ("deployment_id"), which binds the signed report to it. Exit status 0 when
# releasebot took it (204).
set -eu
url=$1 status=$2 message=${3:-} link=${4:-}

# .../webhooks/deployments/D-17/status -> D-17
deployment=$(printf '%s' "$url" | sed -n 's#^.*/deployments/\(D-[0-9][0-9]*\)/status$#\1#p')
if [ -z "$deployment" ]; then
	echo "callback.sh: $url is not a callback_url (…/webhooks/deployments/D-17/status)" >&2
	exit 2
fi

# The HMAC key: the base64-decoded part of a whsec_ secret, else the secret's bytes.
case $DEPLOY_SECRET in
whsec_*) key=$(printf '%s' "${DEPLOY_SECRET#whsec_}" | openssl base64 -d -A | od -An -v -tx1 | tr -d ' \n') ;;
*) key=$(printf '%s' "$DEPLOY_SECRET" | od -An -v -tx1 | tr -d ' \n') ;;
esac

json() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr '\n\t' '  '; }
body=$(printf '{"deployment_id":"%s","status":"%s","message":"%s","url":"%s"}' "$deployment" "$status" "$(json "$message")" "$(json "$link")")
id="msg_$(openssl rand -hex 12)"
ts=$(date +%s)
sig=$(printf '%s.%s.%s' "$id" "$ts" "$body" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | openssl base64 -A)

code=$(curl -sS -o /dev/stderr -w '%{http_code}' -X POST "$url" \
	-H 'Content-Type: application/json' \
	-H "webhook-id: $id" -H "webhook-timestamp: $ts" -H "webhook-signature: v1,$sig" \
	--data-binary "$body")
[ "$code" = 204 ]
