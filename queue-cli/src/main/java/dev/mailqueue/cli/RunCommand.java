package dev.mailqueue.cli;

import dev.mailqueue.DeliveryMode;
import dev.mailqueue.MailQueue;
import dev.mailqueue.smtp.RelayBuilder;
import dev.mailqueue.smtp.Security;
import dev.mailqueue.smtp.SmtpTransport;
import dev.mailqueue.smtp.SmtpTransportBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A standalone dispatcher: delivers the database's queue until SIGTERM (or Ctrl-C). On SIGTERM it
 * stops claiming, lets the deliveries in flight finish (up to the queue's shutdown timeout) and
 * exits with 143 (128 + 15), as the JVM does for a signal; a supervisor such as systemd should be
 * told that 143 is a clean stop ({@code SuccessExitStatus=143}).
 */
@Command(
    name = "run",
    description =
        "Deliver queued mail through a relay (or directly to MX hosts) until stopped "
            + "with SIGTERM; in-flight deliveries finish first.")
final class RunCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin Options.Database db;

  // Plain options checked in call(), not an exclusive ArgGroup: picocli's messages for a group
  // ("expected only one match but got ...", "Missing required argument (specify one of these)")
  // name its internals, not what to type.
  @Option(
      names = "--relay-host",
      paramLabel = "HOST",
      description = "Deliver through this relay (one of --relay-host or --direct is required).")
  String relayHost;

  @Option(
      names = "--relay-port",
      paramLabel = "PORT",
      description = "The relay's port (default: " + DEFAULT_RELAY_PORT + ").")
  Integer relayPort;

  @Option(
      names = "--security",
      description =
          "${COMPLETION-CANDIDATES} (default: IMPLICIT_TLS on port 465, "
              + "STARTTLS_OPPORTUNISTIC for a relay on localhost or a loopback address, else STARTTLS_REQUIRED; the "
              + "library's default).")
  Security security;

  @Option(
      names = "--username",
      description = "Relay user; the password is read from env MAILQUEUE_SMTP_PASSWORD.")
  String username;

  @Option(names = "--direct", description = "Deliver straight to each domain's MX hosts (port 25).")
  boolean direct;

  /** The relay's port when --relay-port is not given: 587, message submission. */
  static final int DEFAULT_RELAY_PORT = 587;

  @Option(
      names = "--workers",
      defaultValue = "" + MailQueue.Builder.DEFAULT_WORKERS,
      description = "Parallel deliveries, 1..1024 (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(
      names = "--lease",
      converter = Options.DurationConverter.class,
      paramLabel = "AGE",
      description =
          "How long a claimed message is leased to this process, renewed while it is sent; another "
              + "dispatcher may take it over after a crash once it ran out (default: the library's, 5m).")
  Duration lease;

  @Option(
      names = "--worker-id",
      paramLabel = "ID",
      description =
          "This dispatcher's name in leases (mailqueue show "
              + "names it for a message being sent) and in the node registry; unique per process, 1 to 64 characters "
              + "(default: host name, process id and a random suffix).")
  String workerId;

  @Option(
      names = "--trust-store",
      paramLabel = "FILE",
      description =
          "Trust the certificates in FILE instead of the "
              + "JDK's: PEM (one or more certificates, e.g. a private CA), PKCS#12 or JKS; a password from env "
              + "MAILQUEUE_TRUST_STORE_PASSWORD. Host names are verified all the same.")
  Path trustStore;

  @Option(
      names = "--poll-interval",
      defaultValue = "1s",
      converter = Options.DurationConverter.class,
      paramLabel = "AGE",
      description = "Fallback polling interval (default: ${DEFAULT-VALUE}).")
  Duration pollInterval;

  @Option(
      names = {"--ehlo-name", "--ehlo"},
      paramLabel = "NAME",
      description =
          "The name sent with EHLO, this host's public name (default: its canonical host name).")
  String ehlo;

  @Option(
      names = "--mode",
      paramLabel = "MODE",
      defaultValue = "live",
      description =
          "What this dispatcher does with the mail: live (send it), capture (send nothing, record it "
              + "CAPTURED), redirect (send it to --redirect-to instead) or allow (send only to --allow, "
              + "capture the rest) (default: ${DEFAULT-VALUE}).")
  String mode;

  @Option(
      names = "--redirect-to",
      paramLabel = "ADDRESS",
      split = ",",
      description =
          "With --mode redirect: the inbox(es) every message goes to; repeatable or comma-separated.")
  List<String> redirectTo = new ArrayList<>();

  @Option(
      names = "--allow",
      paramLabel = "DOMAIN|ADDRESS",
      split = ",",
      description =
          "With --mode allow: a domain or address mail may go to; repeatable or comma-separated.")
  List<String> allow = new ArrayList<>();

  @Override
  public Integer call() throws InterruptedException {
    if (workers < 1 || workers > 1024) {
      throw usage("--workers must be 1..1024");
    }
    if (relayHost != null && direct) {
      throw usage("give --relay-host or --direct, not both");
    }
    if (relayHost == null && !direct) {
      throw usage("give --relay-host HOST (a relay) or --direct (MX delivery)");
    }
    if (direct && (relayPort != null || security != null || username != null)) {
      throw usage("--relay-port, --security and --username apply to --relay-host, not --direct");
    }
    SmtpTransportBuilder<?> transport;
    if (direct) {
      transport = SmtpTransport.direct();
    } else {
      int port = relayPort == null ? DEFAULT_RELAY_PORT : relayPort;
      if (port < 1 || port > 65535) {
        throw usage("--relay-port must be 1..65535");
      }
      if (username != null && security == Security.NONE) {
        throw usage(
            "--username is never sent without TLS: remove --username, or use --security "
                + "STARTTLS_REQUIRED or IMPLICIT_TLS");
      }
      if (username != null && security == Security.STARTTLS_OPPORTUNISTIC) {
        throw usage(
            "--username would be sent in plain text when the relay does not offer STARTTLS: "
                + "remove --username, or use --security STARTTLS_REQUIRED or IMPLICIT_TLS");
      }
      RelayBuilder relay = SmtpTransport.relay(relayHost, port);
      transport = relay;
      if (security != null) {
        relay.security(security);
      }
      if (username != null) {
        String password = System.getenv("MAILQUEUE_SMTP_PASSWORD");
        if (password == null) {
          throw usage("--username needs the password in env MAILQUEUE_SMTP_PASSWORD");
        }
        relay.credentials(username, password);
      }
    }
    MailQueue.Builder queueBuilder =
        MailQueue.builder().workers(workers).pollInterval(pollInterval);
    try {
      if (ehlo != null) {
        transport.ehloName(ehlo);
      }
      if (trustStore != null) {
        String password = System.getenv("MAILQUEUE_TRUST_STORE_PASSWORD");
        transport.trustStore(
            TrustStores.load(trustStore, password == null ? null : password.toCharArray()));
      }
      if (lease != null) {
        queueBuilder.lease(lease);
      }
      if (workerId != null) {
        queueBuilder.workerId(workerId);
      }
      queueBuilder.mode(DeliveryMode.of(mode, redirectTo, allow));
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw usage(e.getMessage());
    }
    // Built before connecting: a builder refusing a combination of options is a usage error (exit
    // 2 with the hint), not a failure while running.
    SmtpTransport smtp;
    try {
      smtp = transport.build();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw usage(e.getMessage());
    }
    Options.Store s;
    try {
      s = db.open(spec, workers + 2);
    } catch (RuntimeException e) {
      smtp.close();
      throw e;
    }
    MailQueue queue;
    try {
      queue = queueBuilder.store(s.store()).transport(smtp).build();
    } catch (RuntimeException e) {
      smtp.close();
      s.close();
      throw e instanceof IllegalArgumentException || e instanceof IllegalStateException
          ? usage(e.getMessage())
          : e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              queue.close();
              s.dataSource().close();
              stopped.countDown();
            },
            "mailqueue-cli-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    queue.start();
    spec.commandLine()
        .getOut()
        .println(
            "dispatching "
                + s.store()
                + " with "
                + workers
                + " workers"
                + (workerId == null ? "" : " as " + workerId)
                + ", mode "
                + queue.mode()
                + "; stop with SIGTERM");
    spec.commandLine().getOut().flush();
    stopped.await();
    return 0;
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
