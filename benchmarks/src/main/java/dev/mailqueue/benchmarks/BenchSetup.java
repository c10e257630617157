package dev.mailqueue.benchmarks;

/**
 * What every benchmark shares: the PostgreSQL server it measures on and the message body it sends.
 */
final class BenchSetup {
  /**
   * From the environment variable MAILQUEUE_POSTGRESQL_URL; the local server's test database by
   * default.
   */
  static final String POSTGRESQL_URL =
      System.getenv()
          .getOrDefault(
              "MAILQUEUE_POSTGRESQL_URL", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

  /**
   * About 1.9 KB of text in 75-character lines, as mail is written. (One 1,900-character line would
   * force quoted-printable, since SMTP lines end at 998 characters.)
   */
  static final String BODY = ("x".repeat(74) + "\n").repeat(25);

  private BenchSetup() {}
}
