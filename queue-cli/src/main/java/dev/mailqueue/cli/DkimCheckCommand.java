package dev.mailqueue.cli;

import dev.mailqueue.smtp.DkimKey;
import dev.mailqueue.smtp.DkimKeyCheck;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code mailqueue dkim check --domain D --selector S --key FILE}: whether {@code S._domainkey.D}
 * publishes the public key of the private key in FILE. Exit 0 when it does, 1 when it is not
 * published, differs or DNS failed, 2 for bad input (e.g. an unreadable or short key).
 */
@Command(
    name = "check",
    description = {
      "Check that the DKIM key record SELECTOR._domainkey.DOMAIN (TXT) publishes the public key of "
          + "a private key file, and print the record to publish when it does not.",
      "Exit codes: 0 published and matching, 1 not published, different or DNS failure, "
          + "2 bad input."
    })
final class DkimCheckCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--domain",
      required = true,
      paramLabel = "DOMAIN",
      description = "The signing domain (d=), e.g. example.com.")
  String domain;

  @Option(
      names = "--selector",
      required = true,
      paramLabel = "SELECTOR",
      description = "The selector (s=), e.g. mail2026.")
  String selector;

  @Option(
      names = "--key",
      required = true,
      paramLabel = "FILE",
      description =
          "The private key: PEM, PKCS#8 (BEGIN PRIVATE KEY) or PKCS#1 RSA (BEGIN RSA PRIVATE "
              + "KEY); RSA of at least 2048 bits or Ed25519.")
  Path key;

  @Option(
      names = "--dns-server",
      converter = HostPortConverter.class,
      paramLabel = "HOST[:PORT]",
      description = "Ask this name server (default: the system's).")
  InetSocketAddress dnsServer;

  @Option(
      names = "--timeout",
      converter = Options.DurationConverter.class,
      paramLabel = "DURATION",
      description = "How long the lookup may take (default: 5s).")
  Duration timeout = Duration.ofSeconds(5);

  @Override
  public Integer call() {
    DkimKey k;
    try {
      k = DkimKey.fromPem(domain, selector, key);
    } catch (IllegalArgumentException | UncheckedIOException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    DkimKeyCheck.Result r;
    try {
      r = DkimKeyCheck.check(k, dnsServer == null ? List.of() : List.of(dnsServer), timeout);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    if (r.status() == DkimKeyCheck.Status.MATCHES) {
      PrintWriter out = spec.commandLine().getOut();
      out.println("ok: " + r.detail());
      out.flush();
      return 0;
    }
    PrintWriter err = spec.commandLine().getErr();
    err.println(r.status().name().toLowerCase(Locale.ROOT).replace('_', ' ') + ": " + r.detail());
    err.flush();
    return 1;
  }

  /** {@code host} or {@code host:port} (port 53 by default); {@code [v6]:port} for IPv6. */
  static final class HostPortConverter implements ITypeConverter<InetSocketAddress> {
    @Override
    public InetSocketAddress convert(String value) {
      String host = value;
      int port = 53;
      int colon = value.lastIndexOf(':');
      if (colon > 0 && (value.indexOf(':') == colon || value.startsWith("["))) {
        host = value.substring(0, colon);
        try {
          port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
          throw new CommandLine.TypeConversionException("not a port: " + value);
        }
        if (port < 1 || port > 65535) {
          throw new CommandLine.TypeConversionException("not a port: " + value);
        }
      }
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      if (host.isBlank()) {
        throw new CommandLine.TypeConversionException("no host in " + value);
      }
      return new InetSocketAddress(host, port);
    }
  }
}
