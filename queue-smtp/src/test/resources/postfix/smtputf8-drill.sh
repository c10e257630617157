#!/usr/bin/env bash
# Drill: SMTPUTF8 (RFC 6531) against a real Postfix smtpd, run by hand.
#
# A manual alternative: mvn verify runs PostfixSmtpUtf8Test by itself wherever Postfix is installed
# and the tests run as root (PrivatePostfix starts the same instance on free ports), and CI does.
# This script starts the instance outside the JVM, on ports you choose, and can leave it running.
#
# Starts a private Postfix instance (its own main.cf, master.cf, queue and log in a temporary
# directory; nothing of the system's Postfix is used or touched) with two smtpd services on the
# loopback interface: one with smtputf8_enable = yes, one with smtputf8_enable = no. Everything
# they accept is discarded (main.cf and master.cf next to this script). Then runs
# PostfixSmtpUtf8Test against them (through MAILQUEUE_POSTFIX_*), which checks the replies
# and Postfix's own log, and stops the instance.
#
# Needs: Postfix 3.x (Debian/Ubuntu: apt-get install postfix; the system instance may stay
# stopped), root (Postfix's master insists), Maven. Run from the repository root:
#
#   sudo queue-smtp/src/test/resources/postfix/smtputf8-drill.sh            # ports 25251, 25252
#   sudo queue-smtp/src/test/resources/postfix/smtputf8-drill.sh 26001 26002
#   sudo KEEP=1 queue-smtp/src/test/resources/postfix/smtputf8-drill.sh     # leave it running
set -eu

UTF8_PORT=${1:-25251}
ASCII_PORT=${2:-25252}
DAEMONS=$(postconf -d -h daemon_directory)
DIR=$(mktemp -d /tmp/mailqueue-postfix.XXXXXX)
mkdir "$DIR/etc" "$DIR/queue" "$DIR/data"
chmod 755 "$DIR" "$DIR/etc"
chown postfix "$DIR/data"

# The same configuration as PrivatePostfix, which PostfixSmtpUtf8Test starts by itself.
HERE=$(cd "$(dirname "$0")" && pwd)
sed -e "s|@DIR@|$DIR|g" -e "s|@DAEMON_DIRECTORY@|$DAEMONS|g" "$HERE/main.cf" > "$DIR/etc/main.cf"
sed -e "s|@SMTPUTF8_PORT@|$UTF8_PORT|g" -e "s|@ASCII_PORT@|$ASCII_PORT|g" "$HERE/master.cf" > "$DIR/etc/master.cf"

stop() {
  if [ -z "${KEEP:-}" ]; then
    postfix -c "$DIR/etc" stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
  else
    echo "left running: postfix -c $DIR/etc stop; log: $DIR/maillog"
  fi
}
trap stop EXIT

postfix -c "$DIR/etc" check
postfix -c "$DIR/etc" start
for i in $(seq 1 50); do
  if (exec 3<>/dev/tcp/127.0.0.1/$UTF8_PORT) 2>/dev/null; then break; fi
  sleep 0.2
done

MAILQUEUE_POSTFIX_SMTPUTF8=127.0.0.1:$UTF8_PORT \
MAILQUEUE_POSTFIX_NO_SMTPUTF8=127.0.0.1:$ASCII_PORT \
MAILQUEUE_POSTFIX_MAILLOG=$DIR/maillog \
  mvn -q -pl queue-smtp -am verify -Dtest=PostfixSmtpUtf8Test -Dsurefire.failIfNoSpecifiedTests=false
# A skipped test passes quietly too: make sure both ran.
grep -q "Tests run: 2, Failures: 0, Errors: 0, Skipped: 0" queue-smtp/target/surefire-reports/dev.mailqueue.smtp.PostfixSmtpUtf8Test.txt
echo "PostfixSmtpUtf8Test passed against Postfix $(postconf -d -h mail_version); Postfix's log:"
cat "$DIR/maillog"
