#!/bin/sh
# Verify a releasebot delivery (Standard Webhooks) before acting on it.
# Needs openssl and od.
#
#   DEPLOY_SECRET=whsec_… ./verify.sh WEBHOOK_ID WEBHOOK_TIMESTAMP "WEBHOOK_SIGNATURE" BODY_FILE
#
# Pass the three headers as received and the body exactly as received (not
# re-encoded). Exit status 0 when one of the signatures matches and the
# timestamp is within 5 minutes of now.
set -eu
id=$1 ts=$2 sigs=$3 body=$4

now=$(date +%s)
if [ $((now - ts)) -gt 300 ] || [ $((ts - now)) -gt 300 ]; then
	echo "webhook-timestamp is more than 5 minutes off" >&2
	exit 1
fi
case $DEPLOY_SECRET in
whsec_*) key=$(printf '%s' "${DEPLOY_SECRET#whsec_}" | openssl base64 -d -A | od -An -v -tx1 | tr -d ' \n') ;;
*) key=$(printf '%s' "$DEPLOY_SECRET" | od -An -v -tx1 | tr -d ' \n') ;;
esac
want="v1,$( { printf '%s.%s.' "$id" "$ts"; cat "$body"; } | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | openssl base64 -A)"
for sig in $sigs; do
	# A shell can't compare in constant time; comparing HMACs of both sides
	# under a fresh key hides where they differ.
	nonce=$(openssl rand -hex 16)
	a=$(printf '%s' "$sig" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$nonce" -r)
	b=$(printf '%s' "$want" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$nonce" -r)
	[ "$a" = "$b" ] && exit 0
done
echo "no webhook-signature matches" >&2
exit 1
