package dev.mailqueue.smtp;

/**
 * Finds where mail for a domain is delivered, for {@link SmtpTransport#direct()}. The default is
 * {@link DnsMxResolver}; tests and special set-ups may supply their own.
 *
 * <p>Implementations are thread-safe, return within a bounded time and never throw for DNS
 * failures: those are {@link MxLookup.TemporaryFailure} results.
 */
@FunctionalInterface
public interface MxResolver {
  /**
   * Looks up {@code domain} (lower-case ASCII, no trailing dot): its MX hosts in the order to try,
   * each with its addresses, or why there are none.
   *
   * @param domain the recipient domain, lower-case ASCII (A-labels) without a trailing dot
   * @return the hosts to try, or why there are none; never null
   */
  MxLookup lookup(String domain);
}
