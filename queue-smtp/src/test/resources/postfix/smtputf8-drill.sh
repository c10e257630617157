#!/usr/bin/env bash
# Drill: SMTPUTF8 (RFC 6531) against a real Postfix smtpd, run by hand (CI machines have no Postfix).
#
# Starts a private Postfix instance (its own main.cf, master.cf, queue and log in a temporary
# directory; nothing of the system's Postfix is used or touched) with two smtpd services on the
# loopback interface: one with smtputf8_enable = yes, one with smtputf8_enable = no. Everything
# they accept is discarded. Then runs PostfixSmtpUtf8Test against them, which checks the replies
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
DAEMONS=$(postconf -h daemon_directory)
DIR=$(mktemp -d /tmp/mailqueue-postfix.XXXXXX)
mkdir "$DIR/etc" "$DIR/queue" "$DIR/data"
chmod 755 "$DIR" "$DIR/etc"
chown postfix "$DIR/data"

cat > "$DIR/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $DIR/queue
data_directory = $DIR/data
daemon_directory = $DAEMONS
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix-drill.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtputf8_enable = yes
default_transport = discard:drill
relay_transport = discard:drill
local_transport = discard:drill
alias_maps =
alias_database =
maillog_file = $DIR/maillog
maillog_file_prefixes = $DIR
CF

cat > "$DIR/etc/master.cf" <<CF
127.0.0.1:$UTF8_PORT inet n - n - - smtpd -o syslog_name=postfix-smtputf8
127.0.0.1:$ASCII_PORT inet n - n - - smtpd -o syslog_name=postfix-ascii -o smtputf8_enable=no
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
smtp      unix  - - n -  - smtp
relay     unix  - - n -  - smtp
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
CF

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
echo "PostfixSmtpUtf8Test passed against Postfix $(postconf -h mail_version); Postfix's log:"
cat "$DIR/maillog"
